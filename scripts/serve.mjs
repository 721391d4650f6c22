// Runs the platform in the foreground: migrates the database, then supervises the web app and one trainer
// as a production supervisor would (expects a finished build; `npm start` installs and builds first).
//
// - A child that dies on its own (crash, SIGKILL, out of memory) is restarted with exponential backoff
//   (0.5 s, 1 s, 2 s, ... up to 30 s; back to 0.5 s once it has stayed up for a minute). The reason is logged.
//   The other child keeps running: a dead trainer does not take the web app down, nor the reverse.
// - The trainer keeps one TRAINER_ID across restarts and is told how its predecessor died
//   (TRAINER_PREVIOUS_EXIT), so it takes back the executions the dead one held at once instead of waiting
//   for their leases to expire, and a run that kills its trainer every time ends FAILED with that reason
//   after TRAINER_MAX_ATTEMPTS.
// - The children's state (running, restarting, crash-looping; restarts; last exit) is written to
//   DATA_DIR/supervisor.json, which the web app reads for /api/health and the home page.
// - Only Ctrl-C (SIGINT), SIGTERM or SIGHUP stop everything: SIGTERM to both, SIGKILL after 15 s.
//
// Why a hand-written loop and not pm2 or similar: what is needed is ~100 lines (spawn, backoff, stop), pm2
// brings a daemon, its own log files and ~200 dependencies, and production runs under systemd or a container
// runtime anyway (see the README's "Supervision" section).
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { bin, log, root } from './lib/setup.mjs';

const port = process.env.PORT ?? '3000';
const dataDir = resolve(root, process.env.DATA_DIR ?? './data');
const stateFile = join(dataDir, 'supervisor.json');
const env = {
  ...process.env,
  PORT: port,
  DATA_DIR: dataDir,
  NODE_ENV: 'production',
  TRAINHUB_SUPERVISOR_STATE: stateFile,
};
if (env.DATABASE_URL?.startsWith('file:')) {
  const path = env.DATABASE_URL.slice(5);
  env.DATABASE_URL = `file:${isAbsolute(path) ? path : resolve(root, path)}`;
}
// One identity for the trainer across its restarts; unique per supervisor on this host (two `npm start` on
// one machine sharing a PostgreSQL must not take each other's executions).
const trainerId = process.env.TRAINER_ID ?? `${hostname()}-supervised-${process.pid}`;

/** Backoff before restart n (1-based) of a child that keeps dying: 0.5 s doubling up to 30 s. */
const backoffMs = (failures) => Math.min(30_000, 500 * 2 ** Math.max(0, failures - 1));
/** A child that stayed up this long counts as healthy again: its next crash restarts it after 0.5 s. */
const STABLE_MS = 60_000;
/** This many quick deaths in a row make the state `crash-looping` (still restarted, more slowly). */
const CRASH_LOOP_AFTER = 3;

const services = {
  web: {
    args: ['--import', 'tsx', 'server.ts'],
    cwd: join(root, 'apps/web'),
    env: () => env,
  },
  trainer: {
    args: ['--enable-source-maps', 'dist/main.mjs'],
    cwd: join(root, 'apps/trainer'),
    env: (state) => ({
      ...env,
      TRAINER_ID: trainerId,
      ...(state.lastExit ? { TRAINER_PREVIOUS_EXIT: state.lastExit.reason } : {}),
    }),
  },
};

/** name -> { state, pid, restarts, failures, startedAt, lastExit, nextStartAt } (what supervisor.json holds). */
const states = {};
const children = new Map();
const timers = new Set();
let stopping = false;
let exitCode = 0;

function writeState() {
  try {
    const tmp = `${stateFile}.${process.pid}.tmp`;
    const document = {
      supervisorPid: process.pid,
      trainerId,
      updatedAt: new Date().toISOString(),
      services: states,
    };
    writeFileSync(tmp, `${JSON.stringify(document, null, 2)}\n`);
    renameSync(tmp, stateFile);
  } catch (error) {
    log(`could not write ${stateFile}: ${error.message}`);
  }
}

/** Processes killed by an OOM killer so far: this cgroup's count (v2, then v1), else the host's. */
function oomKills() {
  const sources = [
    ['/sys/fs/cgroup/memory.events', /^oom_kill (\d+)$/m],
    ['/sys/fs/cgroup/memory/memory.oom_control', /^oom_kill (\d+)$/m],
    ['/proc/vmstat', /^oom_kill (\d+)$/m],
  ];
  for (const [file, pattern] of sources) {
    try {
      const match = pattern.exec(readFileSync(file, 'utf8'));
      if (match) return Number(match[1]);
    } catch {
      // not on this system
    }
  }
  return null;
}

/** Why a child exited, in words: the signal or code, and whether memory ran out. */
function exitReason(code, signal, { oomBefore, heapOutOfMemory }) {
  if (heapOutOfMemory)
    return `${signal ? `killed by ${signal}` : `exit code ${code}`}: JavaScript heap out of memory`;
  if (signal === 'SIGKILL') {
    const oomAfter = oomKills();
    if (oomBefore !== null && oomAfter !== null && oomAfter > oomBefore)
      return 'killed by SIGKILL from the kernel OOM killer: out of memory';
    return 'killed by SIGKILL, likely out of memory';
  }
  if (signal) return `killed by ${signal}`;
  return `exit code ${code}`;
}

function start(name) {
  const service = services[name];
  const state = (states[name] ??= { state: 'starting', restarts: 0, failures: 0, lastExit: null });
  const child = spawn(process.execPath, service.args, {
    cwd: service.cwd,
    env: service.env(state),
    stdio: ['ignore', 'inherit', 'pipe'],
  });
  const watch = { oomBefore: oomKills(), heapOutOfMemory: false };
  // stderr passes through unchanged; it is only watched for V8's "heap out of memory" before it aborts.
  child.stderr.on('data', (chunk) => {
    process.stderr.write(chunk);
    if (chunk.includes('heap out of memory')) watch.heapOutOfMemory = true;
  });
  children.set(name, child);
  Object.assign(state, {
    state: 'running',
    pid: child.pid,
    startedAt: new Date().toISOString(),
    nextStartAt: null,
  });
  writeState();
  child.on('exit', (code, signal) => {
    children.delete(name);
    if (stopping) {
      Object.assign(state, { state: 'stopped', pid: null });
      writeState();
      if (children.size === 0) process.exit(exitCode);
      return;
    }
    const upMs = Date.now() - Date.parse(state.startedAt);
    const reason = exitReason(code, signal, watch);
    state.failures = upMs >= STABLE_MS ? 1 : state.failures + 1;
    const delay = backoffMs(state.failures);
    state.restarts += 1;
    state.lastExit = { reason, code, signal, at: new Date().toISOString(), upMs };
    state.state = state.failures >= CRASH_LOOP_AFTER ? 'crash-looping' : 'restarting';
    state.pid = null;
    state.nextStartAt = new Date(Date.now() + delay).toISOString();
    writeState();
    log(
      `${name} ${reason} (up ${(upMs / 1000).toFixed(1)} s); restarting in ${(delay / 1000).toFixed(1)} s` +
        (state.state === 'crash-looping' ? ` (crash-looping: ${state.failures} quick exits in a row)` : ''),
    );
    const timer = setTimeout(() => {
      timers.delete(timer);
      if (!stopping) start(name);
    }, delay);
    timers.add(timer);
  });
}

function stop(code) {
  if (stopping) return;
  stopping = true;
  exitCode = code;
  for (const timer of timers) clearTimeout(timer);
  for (const [name, state] of Object.entries(states))
    if (!children.has(name)) Object.assign(state, { state: 'stopped', pid: null, nextStartAt: null });
  writeState();
  if (children.size === 0) process.exit(code);
  for (const child of children.values()) child.kill('SIGTERM');
  // A child that ignores SIGTERM is not allowed to hang the shutdown.
  setTimeout(() => {
    for (const child of children.values()) child.kill('SIGKILL');
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

mkdirSync(dataDir, { recursive: true });
const migrate = spawn(process.execPath, [bin('tsx'), join(root, 'packages/db/src/migrate-cli.ts')], {
  cwd: root,
  env,
  stdio: 'inherit',
});
migrate.on('exit', (code) => {
  if (code !== 0) {
    log('migration failed; not starting');
    process.exit(code ?? 1);
  }
  if (stopping) process.exit(exitCode);
  // node --import tsx keeps the server in this one process, so signals reach it directly.
  start('web');
  start('trainer');
  log(`Trainhub is running at http://localhost:${port} (data in ${dataDir}); Ctrl-C stops it`);
});
