import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
// @ts-expect-error plain ESM helpers shared with the npm scripts
import { freePort } from '../../scripts/lib/postgres.mjs';
import { root } from '../src/platform';

// Every `npm run` command the README documents, run the way a newcomer runs it right after `npm start` or
// `npm test`: through npm, with nothing on PATH but Node, npm and the system's /usr/bin:/bin (no pnpm, no
// node_modules/.bin), each in its quick mode. A documented command without a quick mode here fails the
// first test, so a new one cannot be added untested. The suites that drive the production web server run
// only when it is built (npm test builds before Vitest).

interface Quick {
  /** Arguments after `npm run <name>`. */
  args?: string[];
  /** The knobs that make it quick (see the README and each script's header). */
  env?: Record<string, string>;
  /** Printed on success. */
  expect: RegExp;
  /** Needs the production build of the web app (apps/web/.next). */
  needsBuild?: boolean;
  /**
   * A proving suite: exit 1 means it ran and found a must-be-zero figure not zero, which its own test in
   * prove/test asserts; here it only has to run and print its figures.
   */
  suite?: boolean;
}

const QUICK: Record<string, Quick> = {
  admin: {
    args: [
      '--',
      'create-user',
      '--email',
      'newcomer@example.com',
      '--password',
      'newcomer-pass-1',
      '--team',
      'N',
    ],
    expect: /newcomer@example\.com/,
  },
  'db:migrate': { expect: /migrate: / },
  build: { args: ['--', '--filter=@trainhub/db'], expect: /Tasks:\s+\d+ successful/ },
  lint: { args: ['--', '--filter=@trainhub/db'], expect: /Tasks:\s+\d+ successful/ },
  typecheck: { args: ['--', '--filter=@trainhub/db'], expect: /Tasks:\s+\d+ successful/ },
  'bench:train': {
    env: { BENCH_QUICK: '1', BENCH_SKIP_TORCH: '1', BENCH_SKIP_MEMORY: '1' },
    expect: /samples\/s/,
  },
  'bench:queue': { env: { BENCH_SUBMISSIONS: '2' }, expect: /2 submissions per database/ },
  'bench:api': { env: { BENCH_SECONDS: '1' }, expect: /req\/s/, needsBuild: true },
  'bench:predict': { env: { BENCH_REQUESTS: '5', BENCH_ROWS: '200' }, expect: /bench:predict/ },
  'prove:scale': {
    env: { SCALE_TASKS: '2', SCALE_EXECUTIONS: '20', SCALE_EPOCHS: '2', SCALE_REPEAT: '1' },
    expect: /p99 ms/,
    suite: true,
  },
  'prove:fuzz': { env: { FUZZ_RUNS: '1' }, expect: /fuzz: 1 generated/, suite: true },
  'prove:authz': { expect: /authorization matrix/, needsBuild: true, suite: true },
  'prove:faults': { env: { FAULTS_TRAININGS: '1' }, expect: /fault suite/, needsBuild: true, suite: true },
  'prove:load': {
    env: {
      LOAD_DATABASES: 'sqlite',
      LOAD_SECONDS: '2',
      LOAD_READERS: '2',
      LOAD_WRITERS: '1',
      LOAD_ROWS: '200',
      LOAD_EPOCHS: '2',
    },
    expect: /req\/s/,
    needsBuild: true,
    suite: true,
  },
};

const scripts = (
  JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
).scripts;
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const documented = [...new Set([...readme.matchAll(/npm run ([a-z][\w:-]*)/g)].map((m) => m[1]!))].sort();
const built = existsSync(join(root, 'apps/web/.next/BUILD_ID'));

/** Node's own folder and the system's folders: what a fresh machine with only Node and npm has on PATH. */
const barePath = [
  dirname(process.execPath),
  '/usr/local/sbin',
  '/usr/local/bin',
  '/usr/sbin',
  '/usr/bin',
  '/sbin',
  '/bin',
].join(delimiter);

describe('documented npm commands', () => {
  it('exist, each has a quick mode here, and none calls pnpm or turbo by name', () => {
    expect(documented.length).toBeGreaterThan(5);
    for (const name of documented) {
      expect(scripts[name], `README documents npm run ${name}`).toBeDefined();
      expect(QUICK[name], `a quick mode for npm run ${name} in this test`).toBeDefined();
    }
    // pnpm lives in .tools/ (not on PATH) in a fresh clone; turbo calls pnpm: both go through scripts/pnpm.mjs.
    for (const [name, command] of Object.entries(scripts))
      expect(command, `npm run ${name}`).not.toMatch(/(^|&&|;|\|)\s*(pnpm|turbo|npx)\b/);
  });

  it.each(documented)(
    'npm run %s works with only Node and npm on PATH',
    { timeout: 600_000 },
    async (name) => {
      const quick = QUICK[name];
      if (!quick) return; // reported by the test above
      if (quick.needsBuild && !built) {
        console.log(`npm run ${name}: skipped, needs the production build (npm test builds first)`);
        return;
      }
      const dataDir = mkdtempSync(join(tmpdir(), `trainhub-cmd-${name.replace(':', '-')}-`));
      const env: NodeJS.ProcessEnv = {
        HOME: process.env.HOME,
        PATH: barePath,
        DATA_DIR: dataDir,
        BENCH_PORT: String(await freePort()),
        ...(process.env.TEST_DATABASE_URL_POSTGRES
          ? { TEST_DATABASE_URL_POSTGRES: process.env.TEST_DATABASE_URL_POSTGRES }
          : {}),
        ...quick.env,
      };
      const started = Date.now();
      const result = spawnSync('npm', ['run', '--silent', name, ...(quick.args ?? [])], {
        cwd: root,
        env,
        encoding: 'utf8',
        timeout: 580_000,
        maxBuffer: 64 * 1024 * 1024,
      });
      const output = `${result.stdout}\n${result.stderr}`;
      console.log(
        `npm run ${name}: exit ${result.status ?? result.signal} in ${((Date.now() - started) / 1000).toFixed(1)} s`,
      );
      expect(output).not.toMatch(/pnpm: not found|turbo: not found|command not found/);
      expect(quick.suite ? [0, 1] : [0], output.slice(-3000)).toContain(result.status);
      expect(output).toMatch(quick.expect);
    },
  );
});
