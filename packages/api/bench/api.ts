// `npm run bench:api`: autocannon against the production build (apps/web/.next, run `npm run build` first)
// on a fresh SQLite database, 50 connections. Prints req/s and p50/p99 latency for an execution status read
// in each style and for creating a training (MLW trainNN). Then the same status reads served by the same
// handlers from a plain Node HTTP server in this process (`nodeRequestHandler`, no Next in between), which
// separates the API's own cost from the framework's.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import autocannon from 'autocannon';
import { createServer } from 'node:http';
import { LocalArtifactStore, createDb, migrate } from '@trainhub/db';
import {
  createRestHandler,
  edgeImpulseStyle,
  mlwStyle,
  nodeRequestHandler,
  trainingModuleStyle,
} from '../src/rest';
import { generateToken, hashPassword } from '../src/auth/secrets';
import { API_KEY_PREFIX } from '../src/services/accounts';

const root = resolve(import.meta.dirname, '../../..');
const dataDir = mkdtempSync(join(tmpdir(), 'trainhub-bench-'));
const databaseUrl = `file:${join(dataDir, 'bench.db')}`;
const port = Number(process.env.BENCH_PORT ?? 3456);
const duration = Number(process.env.BENCH_SECONDS ?? 10);
const base = `http://127.0.0.1:${port}`;
const TARGET_RPS = 2000;
const TARGET_P99_MS = 50;

await migrate(databaseUrl);
const db = createDb(databaseUrl);
const user = await db.user.create({
  data: { email: 'bench@example.com', passwordHash: await hashPassword('bench-password') },
});
const team = await db.team.create({ data: { name: 'bench', slug: 'bench' } });
await db.membership.create({ data: { teamId: team.id, userId: user.id, role: 'OWNER' } });
const project = await db.project.create({ data: { teamId: team.id, name: 'bench' } });
const { token: apiKey, hash, displayPrefix } = generateToken(API_KEY_PREFIX);
await db.apiKey.create({
  data: {
    teamId: team.id,
    projectId: project.id,
    name: 'bench',
    prefix: displayPrefix,
    keyHash: hash,
    role: 'EDITOR',
  },
});
const resource = (kind: 'DATASET' | 'ARCHITECTURE' | 'CODE', name: string) =>
  db.resource.create({
    data: { projectId: project.id, kind, name, size: 1, contentHash: 'x', storageKey: `bench/${name}` },
  });
const [data, code] = [await resource('DATASET', 'd.csv'), await resource('CODE', 'c.py')];
const task = await db.task.create({
  data: {
    projectId: project.id,
    name: 'bench',
    source: 'bench',
    definition: { version: 1 },
    hyperparameters: { epochs: 1, batchSize: 1 },
  },
});
const execution = await db.execution.create({
  data: { taskId: task.id, projectId: project.id, status: 'RUNNING', startedAt: new Date() },
});
for (let epoch = 1; epoch <= 10; epoch++) {
  await db.executionEvent.create({
    data: {
      executionId: execution.id,
      seq: epoch,
      kind: 'EPOCH',
      epoch,
      data: { epoch, loss: 1 / epoch, metrics: { acc: 0.5 } },
    },
  });
}
const session = generateToken('tm');
await db.trainingSession.create({
  data: {
    keyHash: session.hash,
    teamId: team.id,
    projectId: project.id,
    taskId: task.id,
    state: 'TRAINING',
    config: {},
  },
});

// The architecture file must exist in the store for trainNN: upload it through the API once the server runs.
const server = spawn(process.execPath, [join(root, 'node_modules/.bin/tsx'), 'server.ts'], {
  cwd: join(root, 'apps/web'),
  env: {
    ...process.env,
    NODE_ENV: 'production',
    PORT: String(port),
    DATABASE_URL: databaseUrl,
    DATA_DIR: dataDir,
    HOSTNAME: '127.0.0.1',
  },
  stdio: ['ignore', 'inherit', 'inherit'],
});
const stop = () => {
  server.kill('SIGTERM');
  rmSync(dataDir, { recursive: true, force: true });
};
try {
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${base}/api/health`)).ok) break;
    } catch {
      /* not yet */
    }
    if (i > 120) throw new Error('the web server did not start');
    await new Promise((r) => setTimeout(r, 500));
  }
  const form = new FormData();
  form.append(
    'file',
    new Blob([JSON.stringify({ layers: [{ type: 'dense', units: 3 }] })]),
    'net.architecture',
  );
  // MLW answers the project with its files by group.
  const arch = (
    (await (
      await fetch(`${base}/service/mlw/projects/${project.id}_Project/resources`, {
        method: 'POST',
        headers: { authorization: `Bearer ${apiKey}` },
        body: form,
      })
    ).json()) as { resources: { 'nn-designer': { id: string }[] } }
  ).resources['nn-designer'][0]!;

  const cases: { name: string; opts: autocannon.Options }[] = [
    {
      name: 'MLW      GET /tasks/{id}/task/{sub}',
      opts: {
        url: `${base}/service/mlw/tasks/${task.id}/task/${execution.id}`,
        headers: { authorization: `Bearer ${apiKey}` },
      },
    },
    {
      name: 'EI       GET /jobs/{id}/status',
      opts: {
        url: `${base}/v1/api/${project.id}/jobs/${execution.id}/status`,
        headers: { 'x-api-key': apiKey },
      },
    },
    {
      name: 'session  GET /monitor/{key}',
      opts: { url: `${base}/training-module/monitor/${session.token}` },
    },
    {
      name: 'MLW      POST trainNN (create training)',
      opts: {
        url: `${base}/service/mlw/projects/${project.id}_Project/resources/${arch.id}/trainNN`,
        method: 'POST',
        headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'text/plain' },
        body: JSON.stringify({
          batchSize: 4,
          epoch: 2,
          learningRate: 0.01,
          loss: 'categorical_crossentropy',
          optimizer: 'adam',
          modelName: 'b',
          dataID: `${data.id}_Resource`,
          codeID: `${code.id}_Resource`,
          problemType: 'classification',
        }),
      },
    },
  ];
  const measure = async (c: { name: string; opts: autocannon.Options }) => {
    await autocannon({ ...c.opts, connections: 10, duration: 2 }); // warm-up
    const result = await autocannon({ ...c.opts, connections: 50, duration });
    const bad = result.non2xx + result.errors;
    console.log(
      `${c.name.padEnd(42)} ${result.requests.average.toFixed(0).padStart(6)} req/s   p50 ${String(result.latency.p50).padStart(4)} ms   p99 ${String(result.latency.p99).padStart(4)} ms${bad ? `   (${bad} non-2xx/errors)` : ''}`,
    );
    return { rps: result.requests.average, p99: result.latency.p99, bad };
  };
  console.log(
    `\nautocannon: 50 connections, ${duration}s each, SQLite, production web server (apps/web/server.ts)\n`,
  );
  const results = [];
  for (const c of cases) results.push(await measure(c));
  // The target applies to the three status reads (not to creating a training).
  const reads = results.slice(0, 3);
  const met = reads.every((r) => r.rps >= TARGET_RPS && r.p99 < TARGET_P99_MS && r.bad === 0);
  console.log(
    `\nstatus reads: slowest ${Math.min(...reads.map((r) => r.rps)).toFixed(0)} req/s, worst p99 ${Math.max(...reads.map((r) => r.p99))} ms; target >= ${TARGET_RPS} req/s with p99 < ${TARGET_P99_MS} ms: ${met ? 'met' : 'NOT met'}`,
  );

  // The same reads, the same handlers and database, without Next.
  const deps = {
    db,
    store: new LocalArtifactStore(join(dataDir, 'artifacts')),
    uploadLimitBytes: 64 * 1024 * 1024,
    jwtSecret: 'bench-jwt-secret-0123456789abcdef',
  };
  const direct = nodeRequestHandler(
    [mlwStyle, edgeImpulseStyle, trainingModuleStyle].map((style) => ({
      prefix: style.basePath,
      handle: createRestHandler(style, () => deps),
    })),
  );
  const plain = createServer((req, res) => {
    void direct(req, res).then((served) => {
      if (!served) res.writeHead(404).end();
    });
  });
  await new Promise<void>((r) => plain.listen(port + 1, '127.0.0.1', r));
  console.log(
    `\nthe same status reads from a plain Node HTTP server inside the bench process (no web server process)\n`,
  );
  try {
    for (const c of cases.slice(0, 3)) {
      await measure({
        name: c.name,
        opts: { ...c.opts, url: String(c.opts.url).replace(`:${port}/`, `:${port + 1}/`) },
      });
    }
  } finally {
    plain.close();
  }
} finally {
  await db.$disconnect();
  stop();
}
