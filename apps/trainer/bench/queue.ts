// `npm run bench:queue`: queued -> running latency of an idle trainer process, and the per-epoch cost of
// persisting progress (history row, log lines, checkpoint), on SQLite and on PostgreSQL, measured in one run.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDb, LocalArtifactStore, migrate, type Db } from '@trainhub/db';
import { train } from '@trainhub/ml';
// @ts-expect-error plain ESM helper shared with the npm scripts
import { startPostgres } from '../../../scripts/lib/postgres.mjs';
import { ProgressRecorder } from '../src/progress';
import { addDataset, blobsCsv, queueTraining, seedProject, waitFor } from '../test/fixtures';

const root = join(import.meta.dirname, '../../..');
const SUBMISSIONS = Number(process.env.BENCH_SUBMISSIONS ?? 25);
const EPOCHS = 60;
const controlLatency: string[] = [];

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function latency(db: Db, url: string, dataDir: string, store: LocalArtifactStore): Promise<number[]> {
  const trainer = spawn(process.execPath, ['--import', 'tsx', join(root, 'apps/trainer/src/main.ts')], {
    cwd: root,
    env: {
      ...process.env,
      DATABASE_URL: url,
      DATA_DIR: dataDir,
      TRAINER_ID: 'bench',
      TRAINER_BACKEND: 'cpu',
      LOG_LEVEL: 'warn',
    },
    stdio: 'inherit',
  });
  try {
    await waitFor(() => db.trainerStatus.findFirst({ where: { id: 'bench', stoppedAt: null } }), 60_000);
    const { project } = await seedProject(db);
    const dataset = await addDataset(db, store, project.id, blobsCsv(30));
    const { task } = await queueTraining(db, {
      projectId: project.id,
      datasetResourceId: dataset.id,
      hyperparameters: { epochs: 1 },
      count: 0,
    });
    const samples: number[] = [];
    for (let i = 0; i < SUBMISSIONS; i++) {
      // An idle moment between submissions, so each one measures an idle trainer noticing new work.
      await new Promise((r) => setTimeout(r, 150 + Math.random() * 200));
      const execution = await db.execution.create({ data: { taskId: task.id, projectId: project.id } });
      const running = await waitFor(async () => {
        const row = await db.execution.findUnique({ where: { id: execution.id } });
        return row?.startedAt ? row : null;
      }, 30_000);
      samples.push(running.startedAt!.getTime() - running.createdAt.getTime());
      await waitFor(
        async () => (await db.execution.findUnique({ where: { id: execution.id } }))?.finishedAt,
        60_000,
      );
    }
    controlLatency.length = 0;
    for (const request of ['STOP', 'CANCEL'] as const) {
      const big = await addDataset(db, store, project.id, blobsCsv(3000));
      const { executions } = await queueTraining(db, {
        projectId: project.id,
        datasetResourceId: big.id,
        spec: { layers: [{ type: 'dense', units: 64 }] },
        hyperparameters: { epochs: 500, batchSize: 16 },
      });
      const id = executions[0]!.id;
      await waitFor(() => db.executionEvent.findFirst({ where: { executionId: id, kind: 'EPOCH' } }), 60_000);
      const requested = Date.now();
      await db.execution.update({ where: { id }, data: { stopRequest: request } });
      const final = request === 'STOP' ? 'STOPPED' : 'CANCELLED';
      await waitFor(async () => (await db.execution.findUnique({ where: { id } }))?.status === final, 30_000);
      controlLatency.push(`${request.toLowerCase()} -> ${final} ${Date.now() - requested} ms`);
    }
    return samples;
  } finally {
    trainer.kill('SIGTERM');
    await new Promise((r) => trainer.on('exit', r));
  }
}

/** Milliseconds per epoch spent persisting: 5 log lines, the epoch row, a checkpoint of `checkpointBytes`. */
async function persistenceCost(
  db: Db,
  store: LocalArtifactStore,
  checkpointBytes: number,
): Promise<number[]> {
  const { project } = await seedProject(db);
  const dataset = await addDataset(db, store, project.id, blobsCsv(30));
  const { executions } = await queueTraining(db, { projectId: project.id, datasetResourceId: dataset.id });
  const id = executions[0]!.id;
  const recorder = await ProgressRecorder.open(db, id, null);
  const checkpoint = Buffer.alloc(checkpointBytes, 1);
  const costs: number[] = [];
  for (let epoch = 1; epoch <= EPOCHS; epoch++) {
    const started = performance.now();
    for (let i = 0; i < 5; i++) recorder.log(`epoch ${epoch} batch ${i}`);
    recorder.epoch({ epoch, loss: 1 / epoch, metrics: { acc: 0.5, val_loss: 1, val_acc: 0.5 }, lr: 0.001 });
    const key = `executions/${id}/checkpoint-${epoch}.bin`;
    await store.put(key, checkpoint);
    await recorder.checkpoint(key, epoch);
    costs.push(performance.now() - started);
  }
  return costs;
}

/** Reference: one epoch of a small MLP on 3000 samples (no persistence), in the same run. */
async function referenceEpochMs(): Promise<{ ms: number; checkpointBytes: number }> {
  const { parseCsv } = await import('@trainhub/ml');
  const data = await parseCsv(blobsCsv(3000));
  let checkpointBytes = 0;
  const result = await train({
    spec: {
      input: { shape: [4] },
      layers: [
        { type: 'dense', units: 64 },
        { type: 'dense', units: 32 },
      ],
    },
    data,
    hyperparameters: { epochs: 5, batchSize: 32, seed: 1 },
    backend: 'wasm',
    checkpoint: { save: (bytes) => void (checkpointBytes = bytes.length) },
  });
  const durations = result.history.map((h) => h.durationMs);
  return { ms: percentile(durations, 50), checkpointBytes };
}

const reference = await referenceEpochMs();
const postgres = await startPostgres();
const rows: string[] = [];
try {
  for (const provider of ['sqlite', 'postgresql'] as const) {
    const dataDir = mkdtempSync(join(tmpdir(), `trainhub-bench-${provider}-`));
    const url = provider === 'sqlite' ? `file:${join(dataDir, 'bench.db')}` : postgres.url;
    await migrate(url);
    const db = createDb(url);
    const store = new LocalArtifactStore(join(dataDir, 'artifacts'));
    const lat = await latency(db, url, dataDir, store);
    const cost = await persistenceCost(db, store, reference.checkpointBytes);
    rows.push(
      `${provider.padEnd(11)} queued->running p50 ${percentile(lat, 50).toFixed(0).padStart(4)} ms  p99 ${percentile(lat, 99).toFixed(0).padStart(4)} ms` +
        `   persistence/epoch p50 ${percentile(cost, 50).toFixed(2)} ms  p99 ${percentile(cost, 99).toFixed(2)} ms` +
        `  (= ${((percentile(cost, 50) / reference.ms) * 100).toFixed(1)}% of the reference epoch)` +
        `   ${controlLatency.join(', ')}`,
    );
    await db.$disconnect();
    rmSync(dataDir, { recursive: true, force: true });
  }
} finally {
  postgres.stop();
}
console.log(
  `\nreference epoch (MLP 4-64-32-3, 3000 samples, wasm): ${reference.ms.toFixed(1)} ms, checkpoint ${reference.checkpointBytes} bytes`,
);
console.log(`${SUBMISSIONS} submissions per database; persistence measured over ${EPOCHS} epochs`);
for (const row of rows) console.log(row);
