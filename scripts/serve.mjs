// Runs the platform in the foreground: migrates the database, then the web app and one trainer together.
// Ctrl-C (SIGINT) or SIGTERM stops both cleanly; if either exits on its own, the other is stopped too.
// Expects a finished build (`npm start` does the install and build first).
import { spawn } from 'node:child_process';
import { isAbsolute, join, resolve } from 'node:path';
import { bin, log, root } from './lib/setup.mjs';

const port = process.env.PORT ?? '3000';
const dataDir = resolve(root, process.env.DATA_DIR ?? './data');
const env = { ...process.env, PORT: port, DATA_DIR: dataDir, NODE_ENV: 'production' };
if (env.DATABASE_URL?.startsWith('file:')) {
  const path = env.DATABASE_URL.slice(5);
  env.DATABASE_URL = `file:${isAbsolute(path) ? path : resolve(root, path)}`;
}

function start(name, command, args, cwd) {
  const child = spawn(command, args, { cwd, env, stdio: 'inherit' });
  child.on('exit', (code, signal) => {
    children.delete(child);
    if (!stopping) {
      log(`${name} exited (${signal ?? code}); stopping`);
      stop(code || 1);
    } else if (children.size === 0) {
      process.exit(exitCode);
    }
  });
  return child;
}

const migrate = spawn(process.execPath, [bin('tsx'), join(root, 'packages/db/src/migrate-cli.ts')], {
  cwd: root,
  env,
  stdio: 'inherit',
});
const children = new Set();
let stopping = false;
let exitCode = 0;

function stop(code) {
  if (stopping) return;
  stopping = true;
  exitCode = code;
  if (children.size === 0) process.exit(code);
  for (const child of children) child.kill('SIGTERM');
  // A child that ignores SIGTERM is not allowed to hang the shutdown.
  setTimeout(() => {
    for (const child of children) child.kill('SIGKILL');
    process.exit(code || 1);
  }, 15_000).unref();
}

process.on('SIGINT', () => stop(0));
process.on('SIGTERM', () => stop(0));
process.on('SIGHUP', () => stop(0));
// If whatever started us (npm, a supervisor) dies without passing the signal on, stop rather than orphan
// the web app and the trainer.
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) stop(0);
}, 1000).unref();

migrate.on('exit', (code) => {
  if (code !== 0) {
    log('migration failed; not starting');
    process.exit(code ?? 1);
  }
  if (stopping) process.exit(exitCode);
  // node --import tsx keeps the server in this one process, so signals reach it directly.
  children.add(start('web', process.execPath, ['--import', 'tsx', 'server.ts'], join(root, 'apps/web')));
  children.add(
    start('trainer', process.execPath, ['--enable-source-maps', 'dist/main.mjs'], join(root, 'apps/trainer')),
  );
  log(`Trainhub is running at http://localhost:${port} (data in ${dataDir}); Ctrl-C stops it`);
});
