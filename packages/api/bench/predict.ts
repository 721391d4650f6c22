// `npm run bench:predict`: what using a trained model costs, for the benchmark MLP of packages/ml's bench
// (784 -> 256 -> 128 -> 10), on a fresh SQLite database in this process:
//
// - single-row prediction latency, warm (p50/p99 of BENCH_REQUESTS sequential requests after a warm-up), through
//   tRPC (`models.predict`) and REST (MLW's predict: a one-row CSV data resource scored with the deployed model,
//   the REST styles' only prediction call, which stores its result as a new file), both served by a plain Node
//   HTTP server in this process (the handlers apps/web mounts, without Next), plus the service call alone;
// - batch scoring throughput (rows/s) of a BENCH_ROWS x 784 CSV dataset resource (streamed in chunks, written
//   back as a new dataset resource);
// - the references, measured in the same run: the training core's own raw `TrainedModel.predict` (one row) and
//   `predictRaw` over the same rows in the same chunk size (no CSV), and PyTorch CPU inference of the same MLP
//   (`torch_predict.py`, Debian python3-torch; skipped with a word when missing or with BENCH_SKIP_TORCH).
// Figures are printed, never asserted.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { zipSync } from 'fflate';
import { LocalArtifactStore, createDb, migrate } from '@trainhub/db';
import { artifactFiles, currentBackend, loadTrainedModel, train } from '@trainhub/ml';
import { MLP_SPEC, synthetic } from '../../ml/bench/common.ts';
import { generateToken } from '../src/auth/secrets';
import { principalFromApiKey } from '../src/auth/resolve';
import { createRestHandler, mlwStyle, nodeRequestHandler, type RestDeps } from '../src/rest';
import { API_KEY_PREFIX } from '../src/services/accounts';
import { CHUNK_ROWS, deploy, predictRows, scoreDataset } from '../src/services/predictions';
import { handleTrpc } from '../src/trpc';

const requests = Number(process.env.BENCH_REQUESTS ?? 300);
const rows = Number(process.env.BENCH_ROWS ?? 10_000);
const dataDir = mkdtempSync(join(tmpdir(), 'trainhub-bench-predict-'));
const databaseUrl = `file:${join(dataDir, 'bench.db')}`;

function percentiles(samples: number[]) {
  const s = [...samples].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
  return { p50: at(0.5), p99: at(0.99), n: s.length };
}
const ms = (v: number) => `${v.toFixed(2)} ms`;

async function timeEach(n: number, warmup: number, fn: () => Promise<unknown> | unknown) {
  for (let i = 0; i < warmup; i++) await fn();
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await fn();
    samples.push(performance.now() - t);
  }
  return percentiles(samples);
}

await migrate(databaseUrl);
const db = createDb(databaseUrl);
const store = new LocalArtifactStore(join(dataDir, 'artifacts'));
const deps: RestDeps = {
  db,
  store,
  uploadLimitBytes: 1 << 30,
  jwtSecret: 'bench-jwt-secret-0123456789abcdef',
  pretrainedModelsDir: null,
};
const team = await db.team.create({ data: { name: 'bench', slug: 'bench' } });
const project = await db.project.create({ data: { teamId: team.id, name: 'bench' } });
const key = generateToken(API_KEY_PREFIX);
await db.apiKey.create({
  data: { teamId: team.id, name: 'bench', prefix: key.displayPrefix, keyHash: key.hash, role: 'ADMIN' },
});
const principal = (await principalFromApiKey(db, key.token))!;

// The benchmark MLP, trained briefly (weights do not change the cost of a forward pass).
const data = synthetic(2000, [784], 10, 1);
const trained = await train({
  spec: MLP_SPEC,
  data,
  hyperparameters: { epochs: 1, batchSize: 128, seed: 1 },
});
if (trained.status === 'cancelled') throw new Error('training cancelled');
const zip = Buffer.from(zipSync(artifactFiles(trained.artifacts)));
const stored = await store.put(`projects/${project.id}/models/bench.zip`, zip);
const modelResource = await db.resource.create({
  data: {
    projectId: project.id,
    kind: 'MODEL',
    name: 'mlp.zip',
    size: stored.size,
    contentHash: stored.contentHash,
    storageKey: stored.key,
  },
});
const task = await db.task.create({
  data: {
    projectId: project.id,
    name: 'mlp',
    source: 'bench',
    definition: {
      version: 1,
      problemType: 'classification',
      spec: {},
      datasetResourceId: 1,
      modelName: 'mlp',
    },
    hyperparameters: { epochs: 1, batchSize: 128 },
  },
});
await db.execution.create({
  data: { taskId: task.id, projectId: project.id, status: 'COMPLETED', modelResourceId: modelResource.id },
});
await deploy(deps, principal, project.id, modelResource.id);

// One row as the API takes it, and CSV files of rows.
const width = 784;
const header = Array.from({ length: width }, (_, j) => `p${j}`).join(',');
const rowValues = (i: number) => Array.from(data.features.subarray(i * width, (i + 1) * width));
const csvOf = (n: number) => {
  const lines = [header];
  for (let i = 0; i < n; i++)
    lines.push(
      rowValues(i % data.numSamples)
        .map((v) => v.toFixed(4))
        .join(','),
    );
  return lines.join('\n') + '\n';
};
const putCsv = async (name: string, text: string) => {
  const s = await store.put(`projects/${project.id}/resources/${name}`, Buffer.from(text));
  return db.resource.create({
    data: {
      projectId: project.id,
      kind: 'DATASET',
      name,
      contentType: 'text/csv',
      size: s.size,
      contentHash: s.contentHash,
      storageKey: s.key,
    },
  });
};
const oneRow = await putCsv('one.csv', csvOf(1));
const big = await putCsv('big.csv', csvOf(rows));

// The handlers apps/web mounts, on a plain Node HTTP server.
const serve = nodeRequestHandler([
  { prefix: '/api/trpc', handle: (request) => handleTrpc(request, deps) },
  { prefix: mlwStyle.basePath, handle: createRestHandler(mlwStyle, () => deps) },
]);
const server = createServer((req, res) => {
  void serve(req, res).then((handled) => {
    if (!handled) res.writeHead(404).end();
  });
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const port = (server.address() as { port: number }).port;
const base = `http://127.0.0.1:${port}`;

// PyTorch CPU inference of the same model shape (Debian python3-torch under /usr/bin/python3, which
// `npm run bench:train` installs), measured in this run; null with the reason when it cannot run.
let torchMissing = 'BENCH_SKIP_TORCH is set';
function torchReference(): {
  torch: string;
  threads: number;
  p50: number;
  p99: number;
  n: number;
  rowsPerSecond: number;
} | null {
  if (process.env.BENCH_SKIP_TORCH) return null;
  const run = spawnSync(
    '/usr/bin/python3',
    [
      fileURLToPath(new URL('torch_predict.py', import.meta.url)),
      JSON.stringify({ rows, chunk: CHUNK_ROWS, requests }),
    ],
    { encoding: 'utf8', timeout: 300_000 },
  );
  if (run.status !== 0) {
    torchMissing = 'python3-torch is not installed for /usr/bin/python3; `npm run bench:train` installs it';
    return null;
  }
  return JSON.parse(run.stdout.trim().split('\n').pop()!) as ReturnType<typeof torchReference>;
}

const row = rowValues(0);
// superjson's envelope, as tRPC clients send it.
const trpcBody = JSON.stringify({
  json: { projectId: project.id, resourceId: modelResource.id, rows: [row] },
});
const viaTrpc = async () => {
  const res = await fetch(`${base}/api/trpc/models.predict`, {
    method: 'POST',
    headers: { 'x-api-key': key.token, 'content-type': 'application/json' },
    body: trpcBody,
  });
  if (res.status !== 200) throw new Error(`tRPC predict answered ${res.status}: ${await res.text()}`);
  await res.arrayBuffer();
};
const viaRest = async () => {
  const res = await fetch(
    `${base}${mlwStyle.basePath}/projects/${project.id}_Project/resources/${oneRow.id}_Resource/predict/mlp`,
    { headers: { authorization: `Bearer ${key.token}` } },
  );
  if (res.status !== 200) throw new Error(`MLW predict answered ${res.status}: ${await res.text()}`);
  await res.arrayBuffer();
};

const service = await timeEach(requests, 30, () =>
  predictRows(deps, principal, project.id, modelResource.id, [row]),
);
const backend = currentBackend();
const raw = await loadTrainedModel(trained.artifacts);
const rawOne = await timeEach(requests, 30, () => raw.predict([row]));
const trpc = await timeEach(requests, 30, viaTrpc);
const rest = await timeEach(Math.min(requests, 200), 10, viaRest);

// Batch scoring vs the raw forward pass over the same rows in the same chunks.
let t = performance.now();
const { resource: scored } = await scoreDataset(deps, principal, project.id, modelResource.id, big.id);
const scoreSeconds = (performance.now() - t) / 1000;
const matrix = new Float32Array(rows * width);
for (let i = 0; i < rows; i++)
  matrix.set(
    data.features.subarray((i % data.numSamples) * width, ((i % data.numSamples) + 1) * width),
    i * width,
  );
t = performance.now();
for (let i = 0; i < rows; i += CHUNK_ROWS)
  raw.predictRaw(matrix.subarray(i * width, Math.min(rows, i + CHUNK_ROWS) * width));
const rawSeconds = (performance.now() - t) / 1000;
raw.dispose();

console.log(
  `\nbench:predict — benchmark MLP 784-256-128-10, backend ${backend?.name} (${backend?.provider}), SQLite`,
);
const torch = torchReference();
console.log(
  torch
    ? `PyTorch ${torch.torch} CPU (${torch.threads} threads) runs the same MLP in the same run.\n`
    : `PyTorch reference unavailable (${torchMissing}): the training core's raw predict is the reference.\n`,
);
console.log('single-row prediction, warm         p50         p99     n');
const line = (name: string, p: { p50: number; p99: number; n: number }) =>
  console.log(
    `${name.padEnd(34)} ${ms(p.p50).padStart(10)} ${ms(p.p99).padStart(11)} ${String(p.n).padStart(5)}`,
  );
line('tRPC models.predict (HTTP)', trpc);
line('REST MLW predict, 1-row CSV (HTTP)', rest);
line('service predictRows (in-process)', service);
line('raw TrainedModel.predict (ref)', rawOne);
if (torch) line(`PyTorch ${torch.torch} model(x) (ref)`, { p50: torch.p50, p99: torch.p99, n: torch.n });
console.log(`\nbatch scoring ${rows} rows x ${width} features (chunks of ${CHUNK_ROWS})`);
console.log(
  `scoreDataset (CSV in -> CSV out)   ${Math.round(rows / scoreSeconds)} rows/s (${scoreSeconds.toFixed(2)} s, result ${(scored.size / 1e6).toFixed(1)} MB)`,
);
console.log(
  `raw predictRaw (ref, no CSV)       ${Math.round(rows / rawSeconds)} rows/s (${rawSeconds.toFixed(2)} s)`,
);
console.log(`scoring / raw forward pass         ${(rawSeconds / scoreSeconds).toFixed(2)}x`);
if (torch) {
  console.log(`PyTorch forward (ref, no CSV)      ${Math.round(torch.rowsPerSecond)} rows/s`);
  console.log(
    `scoring / PyTorch forward          ${(rows / scoreSeconds / torch.rowsPerSecond).toFixed(2)}x; ` +
      `raw forward / PyTorch ${(rows / rawSeconds / torch.rowsPerSecond).toFixed(2)}x; ` +
      `single-row speed ours (raw) / PyTorch ${(torch.p50 / rawOne.p50).toFixed(2)}x`,
  );
}

server.close();
await db.$disconnect();
rmSync(dataDir, { recursive: true, force: true });
