import { execFileSync, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  admin,
  blobsCsv,
  productionBuilt,
  root,
  startProductionPlatform,
  type RunningPlatform,
} from '../src/platform';

// @trainhub/client as an outside team uses it: `npm pack` of the built package, installed with plain npm into
// a fresh project in the system temp folder (no workspace, no pnpm), a script typechecked against the
// package's bundled .d.ts (a wrong procedure name or input must fail), then run against the production web
// server and a real trainer: create project, upload CSV, train, follow progress to the end, download. The
// CLI from the same tarball (`npx trainhub`) logs in and trains. Skipped without a production build.
const clientDir = join(root, 'packages/client');
const built = productionBuilt(join(clientDir, 'dist/index.js'));

const EMAIL = 'client@example.com';
const EPOCHS = 3;

/** Hidden layers only: the training core adds the softmax head from the problem type. */
const ARCHITECTURE = { layers: [{ type: 'dense', units: 12, activation: 'relu' }] };

const npm = (cwd: string, args: string[]) =>
  execFileSync('npm', args, {
    cwd,
    encoding: 'utf8',
    env: {
      ...process.env,
      npm_config_audit: 'false',
      npm_config_fund: 'false',
      npm_config_update_notifier: 'false',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });

function duBytes(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) total += duBytes(path);
    else if (entry.isFile()) total += statSync(path).size;
  }
  return total;
}

// The outside user's script: everything a script does with the platform, typechecked against the package.
const SCRIPT = `import { createWriteStream } from 'node:fs';
import { createClient, NotFoundError, type ExecutionEvent } from '@trainhub/client';

const client = createClient({ url: process.env.TRAINHUB_URL!, apiKey: process.env.TRAINHUB_API_KEY! });
const project = await client.trpc.projects.create.mutate({ name: 'outside ' + Date.now() });
const dataset = await client.uploadPath(project.id, process.env.CSV_PATH!);
const architecture = await client.trpc.resources.uploadText.mutate({
  projectId: project.id,
  name: 'net.architecture',
  content: process.env.ARCHITECTURE!,
});
const { execution } = await client.trpc.tasks.train.mutate({
  projectId: project.id,
  datasetResourceId: dataset.id,
  architectureResourceId: architecture.id,
  problemType: 'classification',
  modelName: 'outside',
  hyperparameters: { epochs: ${EPOCHS}, batchSize: 8, learningRate: 0.05 },
});
const events: ExecutionEvent[] = [];
const done = await client.followExecution(execution!.id, { onEvent: (e) => events.push(e) });
const bytes = done.modelResourceId
  ? await client.downloadToFile(project.id, done.modelResourceId, process.env.MODEL_PATH!)
  : 0;
let notFound = '';
try {
  await client.trpc.projects.get.query({ projectId: 999999 });
} catch (error) {
  if (error instanceof NotFoundError) notFound = error.code;
}
const log = createWriteStream(process.env.RESULT_PATH!);
log.end(JSON.stringify({
  status: done.status,
  epochs: events.filter((e) => e.kind === 'EPOCH').map((e) => e.epoch),
  metrics: done.metrics,
  bytes,
  notFound,
}));
`;

// Each must fail the typecheck: a procedure that does not exist, an input of the wrong type.
const WRONG = {
  procedure: `import { createClient } from '@trainhub/client';
const client = createClient({ url: 'http://localhost', apiKey: 'k' });
await client.trpc.projects.createProject.mutate({ name: 'x' });
`,
  input: `import { createClient } from '@trainhub/client';
const client = createClient({ url: 'http://localhost', apiKey: 'k' });
await client.trpc.tasks.train.mutate({ projectId: '1', datasetResourceId: 1, architectureResourceId: 1,
  problemType: 'classification', modelName: 'm', hyperparameters: { epochs: 1, batchSize: 1 } });
`,
  output: `import { createClient } from '@trainhub/client';
const client = createClient({ url: 'http://localhost', apiKey: 'k' });
const run = await client.trpc.executions.get.query({ executionId: 1 });
const status: number = run.status;
`,
};

describe.skipIf(!built)('@trainhub/client installed from its tarball outside the workspace', () => {
  let platform: RunningPlatform;
  let apiKey: string;
  let project: string;
  let work: string | undefined;

  beforeAll(async () => {
    platform = await startProductionPlatform({
      user: { email: EMAIL, password: 'client-package-pw', team: 'Outside' },
      trainerId: 'client-trainer',
    });
    const out = admin(platform, [
      'create-api-key',
      '--email',
      EMAIL,
      '--team',
      'Outside',
      '--role',
      'editor',
    ]);
    apiKey = /\b((?:th|ei)_[A-Za-z0-9_-]+)/.exec(out)![1]!;

    // npm pack, then a fresh project that installs the tarball like any npm package.
    work = mkdtempSync(join(tmpdir(), 'trainhub-client-'));
    const tarball = join(
      work,
      npm(clientDir, ['pack', '--pack-destination', work, '--silent']).trim().split('\n').pop()!,
    );
    project = join(work, 'app');
    mkdirSync(project);
    writeFileSync(
      join(project, 'package.json'),
      JSON.stringify({ name: 'app', private: true, type: 'module' }),
    );
    npm(project, ['install', tarball]);
    const lock = JSON.parse(readFileSync(join(project, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, unknown>;
    };
    const installed = Object.keys(lock.packages).filter((p) => p.startsWith('node_modules/'));
    console.log(
      `@trainhub/client installed: ${installed.length} packages (${installed.map((p) => p.slice(13)).join(', ')}), ` +
        `${(duBytes(join(project, 'node_modules')) / 1024).toFixed(0)} KiB in node_modules, ` +
        `tarball ${(statSync(tarball).size / 1024).toFixed(1)} KiB`,
    );
    // The toolchain an outside TypeScript project has (from the npm registry, not the workspace).
    npm(project, ['install', '--save-dev', 'typescript@5.9.3', '@types/node@20.19.43']);
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          strict: true,
          types: ['node'],
          outDir: 'out',
          skipLibCheck: false,
        },
      }),
    );
  }, 300_000);
  afterAll(async () => {
    await platform?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  const tsc = (...args: string[]) =>
    spawnSync(
      process.execPath,
      [join(project, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json', ...args],
      {
        cwd: project,
        encoding: 'utf8',
      },
    );

  it('has no server package in its dependency tree and works from CommonJS', () => {
    const names = readdirSync(join(project, 'node_modules'));
    expect(names.some((n) => n === '@prisma' || n === '@tensorflow' || n === 'prisma')).toBe(false);
    const dts = readFileSync(join(project, 'node_modules/@trainhub/client/dist/index.d.ts'), 'utf8');
    expect(dts).not.toMatch(/@prisma|@tensorflow|@trainhub\/(api|db|ml)/);
    expect(dts).toMatch(/\bpredict\b|\btrain\b/);
    const cjs = execFileSync(
      process.execPath,
      [
        '-e',
        "const c = require('@trainhub/client'); console.log(typeof c.createClient, typeof c.NotFoundError)",
      ],
      { cwd: project, encoding: 'utf8' },
    );
    expect(cjs.trim()).toBe('function function');
  });

  it(
    'typechecks a script against the package, and refuses a wrong procedure, input or output type',
    { timeout: 300_000 },
    () => {
      for (const [name, text] of Object.entries(WRONG)) {
        writeFileSync(join(project, 'wrong.mts'), text);
        const result = tsc('--noEmit');
        expect(result.status, `${name}: ${result.stdout}`).not.toBe(0);
        expect(result.stdout).toContain('wrong.mts');
      }
      writeFileSync(join(project, 'wrong.mts'), 'export {};\n');
      writeFileSync(join(project, 'script.mts'), SCRIPT);
      // The README's example, as an outside user copies it.
      writeFileSync(join(project, 'train-iris.mts'), readFileSync(join(root, 'examples/train-iris.ts')));
      const result = tsc();
      expect(result.stdout + result.stderr).toBe('');
      expect(result.status).toBe(0);
      expect(existsSync(join(project, 'out/script.mjs'))).toBe(true);
    },
  );

  it(
    'runs the script against the production server: project, upload, train, progress, download',
    { timeout: 300_000 },
    () => {
      writeFileSync(join(project, 'data.csv'), blobsCsv(90));
      const run = spawnSync(process.execPath, ['out/script.mjs'], {
        cwd: project,
        encoding: 'utf8',
        timeout: 240_000,
        env: {
          ...process.env,
          TRAINHUB_URL: platform.baseUrl,
          TRAINHUB_API_KEY: apiKey,
          CSV_PATH: join(project, 'data.csv'),
          ARCHITECTURE: JSON.stringify(ARCHITECTURE),
          MODEL_PATH: join(project, 'model.zip'),
          RESULT_PATH: join(project, 'result.json'),
        },
      });
      expect(run.status, run.stderr).toBe(0);
      const result = JSON.parse(readFileSync(join(project, 'result.json'), 'utf8')) as {
        status: string;
        epochs: number[];
        metrics: Record<string, number>;
        bytes: number;
        notFound: string;
      };
      expect(result.status).toBe('COMPLETED');
      expect(result.epochs).toEqual(Array.from({ length: EPOCHS }, (_, i) => i + 1));
      expect(result.notFound).toBe('NOT_FOUND');
      const model = readFileSync(join(project, 'model.zip'));
      expect(result.bytes).toBe(model.length);
      expect(model.subarray(0, 2).toString()).toBe('PK'); // a zip: model.json + weights.bin + metadata.json
    },
  );

  it('runs examples/train-iris.ts as an outside user would', { timeout: 300_000 }, () => {
    const run = spawnSync(process.execPath, ['out/train-iris.mjs'], {
      cwd: project,
      encoding: 'utf8',
      timeout: 240_000,
      env: { ...process.env, TRAINHUB_URL: platform.baseUrl, TRAINHUB_API_KEY: apiKey },
    });
    expect(run.status, run.stderr + run.stdout).toBe(0);
    expect(run.stdout).toContain('epoch 20: ');
    expect(run.stdout).toContain('finished: COMPLETED');
    expect(statSync(join(project, 'iris-model.zip')).size).toBeGreaterThan(1000);
  });

  it(
    'the trainhub CLI logs in (key file 0600), trains with progress to the end and exits with the documented codes',
    {
      timeout: 300_000,
    },
    () => {
      const config = join(project, 'config');
      const cli = (args: string[], env: Record<string, string> = {}) =>
        spawnSync('npx', ['--no-install', 'trainhub', ...args], {
          cwd: project,
          encoding: 'utf8',
          timeout: 240_000,
          env: { ...process.env, XDG_CONFIG_HOME: config, TRAINHUB_URL: '', TRAINHUB_API_KEY: '', ...env },
        });
      expect(cli(['projects']).status).toBe(2); // not signed in
      const wrong = cli(['--url', platform.baseUrl, 'login', '--key', 'th_not-a-key']);
      expect(wrong.status).toBe(2);
      const login = cli(['--url', platform.baseUrl, 'login', '--key', apiKey]);
      expect(login.status, login.stderr).toBe(0);
      expect(statSync(join(config, 'trainhub/config.json')).mode & 0o777).toBe(0o600);

      const created = cli(['--json', 'projects', 'create', 'cli project']);
      expect(created.status, created.stderr).toBe(0);
      const projectId = (JSON.parse(created.stdout) as { id: number }).id;
      writeFileSync(join(project, 'net.architecture'), JSON.stringify(ARCHITECTURE));
      const train = cli([
        'train',
        String(projectId),
        '--dataset',
        join(project, 'data.csv'),
        '--architecture',
        join(project, 'net.architecture'),
        '--epochs',
        String(EPOCHS),
        '--batch-size',
        '8',
      ]);
      expect(train.status, train.stderr).toBe(0);
      // Not a terminal: the epoch lines instead of the bar, then the final status and metrics.
      for (let epoch = 1; epoch <= EPOCHS; epoch++)
        expect(train.stderr).toContain(`epoch ${epoch}/${EPOCHS}: `);
      expect(train.stdout).toMatch(/execution \d+: COMPLETED/);
      expect(train.stdout).toMatch(/metrics: .*accuracy=/);
      const modelId = Number(/download \d+ (\d+)/.exec(train.stdout)![1]);

      const runs = cli(['--json', 'runs', String(projectId)]);
      expect((JSON.parse(runs.stdout) as { status: string }[])[0]!.status).toBe('COMPLETED');
      const download = cli([
        '--json',
        'download',
        String(projectId),
        String(modelId),
        '-o',
        join(project, 'cli-model.zip'),
      ]);
      expect(download.status, download.stderr).toBe(0);
      expect((JSON.parse(download.stdout) as { bytes: number }).bytes).toBe(
        statSync(join(project, 'cli-model.zip')).size,
      );
      expect(cli(['download', String(projectId), '999999']).status).toBe(3); // not found
      // predict with the trained model version: one row in the model's column order, one of the three classes.
      const predict = cli([
        '--json',
        'predict',
        String(projectId),
        String(modelId),
        '--rows',
        '[[2.5,0.4,0.6,0.3]]',
      ]);
      expect(predict.status, predict.stderr).toBe(0);
      const predictions = (JSON.parse(predict.stdout) as { predictions: { label: string }[] }).predictions;
      expect(predictions).toHaveLength(1);
      expect(['c0', 'c1', 'c2']).toContain(predictions[0]!.label);
    },
  );
});
