// `npm test`: sets up what this machine lacks (pnpm, dependencies, Debian chromium and postgresql), starts a
// private PostgreSQL on a free loopback port, then runs every check: format, lint, typecheck, the Vitest
// suites (on SQLite and PostgreSQL), a production build and the Playwright suite in Debian chromium.
// Prints each runner's summary and ends with one line `N passed, N failed` totalling all of them.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureAptPackages, ensurePnpm, installDependencies, log, root } from './lib/setup.mjs';
import { freePort, startPostgres } from './lib/postgres.mjs';

const started = Date.now();
const pnpm = ensurePnpm();
// libopenblas0-pthread: the training core's native matrix products (packages/ml/native).
ensureAptPackages(['postgresql', 'chromium', 'libopenblas0-pthread']);
installDependencies(pnpm);

const outDir = join(root, '.test-output');
rmSync(outDir, { recursive: true, force: true });
mkdirSync(outDir, { recursive: true });

log('starting a private PostgreSQL');
const postgres = await startPostgres();
const stopPostgres = () => postgres.stop();
process.on('exit', stopPostgres);
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    stopPostgres();
    process.exit(130);
  });
}

const env = {
  ...process.env,
  TEST_DATABASE_URL_POSTGRES: postgres.url,
  TURBO_TELEMETRY_DISABLED: '1',
  PRISMA_HIDE_UPDATE_MESSAGE: '1',
  FORCE_COLOR: process.env.CI ? '0' : '1',
};

/** Runs one step; returns true when it exited 0. */
function step(name, command, args, extraEnv = {}) {
  log(`${name}: ${command} ${args.join(' ')}`);
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', env: { ...env, ...extraEnv } });
  const ok = result.status === 0;
  log(`${name}: ${ok ? 'ok' : `FAILED (exit ${result.status ?? result.signal})`}`);
  return ok;
}

const summary = [];
const count = { passed: 0, failed: 0, skipped: 0 };
function record(name, passed, failed, skipped = 0) {
  count.passed += passed;
  count.failed += failed;
  count.skipped += skipped;
  summary.push(
    `${name.padEnd(12)} ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`,
  );
}

// Static checks count as one test each, so a lint failure shows in the closing line too.
const turbo = [pnpm, 'exec', 'turbo'];
const checks = [
  ['format', pnpm, ['exec', 'prettier', '--check', '.', '--log-level', 'warn']],
  ['lint', turbo[0], [...turbo.slice(1), 'run', 'lint', '--output-logs=errors-only']],
  ['typecheck', turbo[0], [...turbo.slice(1), 'run', 'typecheck', '--output-logs=errors-only']],
];
for (const [name, command, args] of checks) {
  const ok = step(name, command, args);
  record(name, ok ? 1 : 0, ok ? 0 : 1);
}

// The production build: the whole-platform Vitest suites (prove/) and Playwright run against it.
const buildOk = step('build', turbo[0], [...turbo.slice(1), 'run', 'build', '--output-logs=errors-only']);
record('build', buildOk ? 1 : 0, buildOk ? 0 : 1);

// Vitest: every workspace package in one run (see vitest.config.ts), with a JSON report to count from.
const vitestJson = join(outDir, 'vitest.json');
const vitestOk = step('vitest', pnpm, [
  'exec',
  'vitest',
  'run',
  '--reporter=default',
  '--reporter=json',
  `--outputFile.json=${vitestJson}`,
]);
if (existsSync(vitestJson)) {
  const report = JSON.parse(readFileSync(vitestJson, 'utf8'));
  record(
    'vitest',
    report.numPassedTests,
    report.numFailedTests + (vitestOk || report.numFailedTests ? 0 : 1),
    report.numPendingTests + report.numTodoTests,
  );
} else {
  record('vitest', 0, 1);
}

// Playwright runs against the production build.
if (buildOk) {
  const playwrightJson = join(outDir, 'playwright.json');
  const e2eDataDir = join(outDir, 'e2e-data');
  const playwrightOk = step('playwright', pnpm, ['exec', 'playwright', 'test'], {
    E2E_PORT: String(await freePort()),
    E2E_DATA_DIR: e2eDataDir,
    PLAYWRIGHT_JSON_OUTPUT_NAME: playwrightJson,
  });
  if (existsSync(playwrightJson)) {
    const { stats } = JSON.parse(readFileSync(playwrightJson, 'utf8'));
    record(
      'playwright',
      stats.expected + stats.flaky,
      stats.unexpected + (playwrightOk || stats.unexpected ? 0 : 1),
      stats.skipped,
    );
  } else {
    record('playwright', 0, 1);
  }
}

stopPostgres();
console.log('\nSummary');
for (const line of summary) console.log(`  ${line}`);
console.log(`  took ${Math.round((Date.now() - started) / 1000)} s`);
const closing = `${count.passed} passed, ${count.failed} failed${count.skipped ? `, ${count.skipped} skipped` : ''}`;
writeFileSync(join(outDir, 'summary.txt'), `${closing}\n`);
console.log(closing);
process.exit(count.failed === 0 ? 0 : 1);
