// Idempotent machine setup shared by `npm start`, `npm test` and `npm run admin`: each step checks first
// and does nothing when its work is already done, so a second run costs seconds.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));

const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const pnpmVersion = pkg.packageManager.replace(/^pnpm@/, '');

export function log(message) {
  console.log(`\x1b[36m[trainhub]\x1b[0m ${message}`);
}

function commandVersion(command) {
  const result = spawnSync(command, ['--version'], { encoding: 'utf8' });
  return result.status === 0 ? result.stdout.trim() : null;
}

/** The pnpm binary pinned in package.json: the one on PATH if it matches, else a private copy in .tools/. */
export function ensurePnpm() {
  if (commandVersion('pnpm') === pnpmVersion) return 'pnpm';
  const local = join(root, '.tools', 'node_modules', '.bin', 'pnpm');
  if (!existsSync(local) || commandVersion(local) !== pnpmVersion) {
    log(`installing pnpm ${pnpmVersion} into .tools/`);
    const prefix = join(root, '.tools');
    run('npm', [
      'install',
      '--no-save',
      '--no-audit',
      '--no-fund',
      '--loglevel=error',
      '--prefix',
      prefix,
      `pnpm@${pnpmVersion}`,
    ]);
  }
  // turbo and package scripts call `pnpm` by name: put the private copy first on PATH for every child.
  process.env.PATH = `${dirname(local)}${delimiter}${process.env.PATH ?? ''}`;
  return local;
}

function isRoot() {
  return process.getuid?.() === 0;
}

function dpkgInstalled(name) {
  const result = spawnSync('dpkg-query', ['-W', '-f=${Status}', name], { encoding: 'utf8' });
  return result.status === 0 && result.stdout.includes('install ok installed');
}

let aptUpdated = false;

/** Installs missing Debian packages non-interactively (as root, or through passwordless sudo). */
export function ensureAptPackages(packages) {
  const missing = packages.filter((name) => !dpkgInstalled(name));
  if (missing.length === 0) return;
  const sudo = isRoot() ? [] : ['sudo', '-n'];
  if (!isRoot() && spawnSync('sudo', ['-n', 'true']).status !== 0) {
    throw new Error(
      `missing Debian packages: ${missing.join(' ')} (install them: sudo apt-get install -y ${missing.join(' ')})`,
    );
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const [cmd, ...prefix] = sudo.length ? sudo : ['apt-get'];
  // Another apt or dpkg run (unattended-upgrades, a second `npm test`) holds the lock: wait for it, as long as
  // APT_LOCK_TIMEOUT seconds (default 10 minutes), instead of failing at once. `install` waits on its own with
  // apt's DPkg::Lock::Timeout; `update` ignores that option for the package lists lock (APT 2.6, measured), so
  // it is retried every 5 s while apt answers "Could not get lock".
  const lockTimeout = Number(process.env.APT_LOCK_TIMEOUT ?? 600);
  const lockWait = ['-o', `DPkg::Lock::Timeout=${lockTimeout}`];
  const aptArgs = (args) =>
    sudo.length ? [...prefix, 'apt-get', ...lockWait, ...args] : [...lockWait, ...args];
  log(`installing Debian packages: ${missing.join(' ')}`);
  if (!aptUpdated) {
    const deadline = Date.now() + lockTimeout * 1000;
    for (;;) {
      const result = spawnSync(cmd, aptArgs(['update', '-qq']), {
        env,
        encoding: 'utf8',
        stdio: ['ignore', 'inherit', 'pipe'],
      });
      if (result.status === 0) break;
      const locked = /Could not get lock|Unable to lock/.test(result.stderr ?? '');
      if (!locked || Date.now() > deadline) {
        process.stderr.write(result.stderr ?? '');
        throw new Error(`apt-get update failed (exit ${result.status ?? result.signal})`);
      }
      log('another apt or dpkg process holds the package lists lock; waiting for it');
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5000);
    }
    aptUpdated = true;
  }
  run(cmd, aptArgs(['install', '-y', '-qq', '--no-install-recommends', ...missing]), { env });
}

/** A C++ toolchain and Python for node-gyp (better-sqlite3 compiles from source on Node 20 here). */
export function ensureBuildTools() {
  const have = ['python3', 'make', 'g++'].every((tool) => spawnSync('which', [tool]).status === 0);
  if (!have) ensureAptPackages(['python3', 'make', 'g++']);
}

function installEnv() {
  const env = { ...process.env, TURBO_TELEMETRY_DISABLED: '1', PRISMA_HIDE_UPDATE_MESSAGE: '1' };
  // Node's headers ship under /usr on Debian's and these machines' Node: compile native modules against them.
  if (!env.npm_config_nodedir && existsSync('/usr/include/node/node.h')) env.npm_config_nodedir = '/usr';
  return env;
}

/** `pnpm install` from the lockfile (a no-op in seconds when node_modules is current). */
export function installDependencies(pnpm) {
  ensureBuildTools();
  log('installing dependencies (pnpm install)');
  // Quiet unless something is wrong: errors only (no progress lines, no engine warnings of dependencies).
  run(pnpm, ['install', '--frozen-lockfile', '--reporter=append-only', '--loglevel=error'], {
    env: installEnv(),
  });
}

export function run(command, args, options = {}) {
  execFileSync(command, args, { stdio: 'inherit', cwd: root, env: installEnv(), ...options });
}

export function bin(name) {
  return join(root, 'node_modules', '.bin', name);
}
