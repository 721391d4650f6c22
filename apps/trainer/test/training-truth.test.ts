import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, testProviders, type TestDatabase } from '@trainhub/db/testing';
import { epochDataSchema } from '@trainhub/db';
import { claimNext } from '../src/queue';
import { runExecution } from '../src/runner';
import { addDataset, queueTraining, runContext, seedProject, tempStore } from './fixtures';

// Issue 16, finding 1: the run of diverges-sgd.csv (MLW trainNN: regression, sgd, lr 0.01, 60 epochs,
// batch 24, testSize 0.2, no scaling) ends FAILED with the divergence, not COMPLETED with null metrics.
const repoRoot = path.resolve(__dirname, '../../..');
const cases = path.resolve(repoRoot, '../shared/cases/2026-11-30');

describe.each(testProviders)('a diverging run on %s', (provider) => {
  let t: TestDatabase;
  const { store } = tempStore();
  beforeAll(async () => {
    t = await createTestDatabase(provider);
  });
  afterAll(async () => {
    await t?.drop();
  });

  it('ends FAILED "diverged at epoch N", keeps epochs 1..N-1 with finite numbers, stores no model', async () => {
    const { project } = await seedProject(t.db);
    const csv = readFileSync(path.join(cases, 'diverges-sgd.csv'), 'utf8');
    const dataset = await addDataset(t.db, store, project.id, csv, 'diverges-sgd.csv');
    await queueTraining(t.db, {
      projectId: project.id,
      datasetResourceId: dataset.id,
      spec: { format: 'mlw-architecture', architecture: { layers: [] } },
      definition: { problemType: 'regression' },
      hyperparameters: {
        optimizer: 'sgd',
        learningRate: 0.01,
        epochs: 60,
        batchSize: 24,
        testSize: 0.2,
        seed: 1,
      },
    });
    const ctx = runContext(t.db, store);
    const claimed = await claimNext(t.db, ctx);
    await runExecution(ctx, claimed!);
    const done = await t.db.execution.findUniqueOrThrow({
      where: { id: claimed!.id },
      include: { events: { orderBy: { seq: 'asc' } } },
    });
    expect(done.status).toBe('FAILED');
    expect(done.attempt).toBe(1);
    expect(done.message).toMatch(
      /^Training diverged at epoch \d+: (val_)?loss became Infinity; lower the learning rate or scale the inputs$/,
    );
    expect(done.error).toBe(done.message);
    expect(done.modelResourceId).toBeNull();
    expect(done.metrics).toBeNull();
    const n = Number(/epoch (\d+)/.exec(done.message!)![1]);
    const epochs = done.events.filter((e) => e.kind === 'EPOCH');
    expect(epochs.map((e) => e.epoch)).toEqual(Array.from({ length: n - 1 }, (_, i) => i + 1));
    for (const e of epochs) expect(epochDataSchema.safeParse(e.data).success).toBe(true);
    expect(JSON.stringify(epochs.map((e) => e.data))).not.toContain('null');
    expect(done.events.some((e) => e.kind === 'LOG' && e.message?.startsWith('Training diverged'))).toBe(
      true,
    );
  });

  it('names every bad cell of missing-values.csv in the failure of a legacy task (no up-front check)', async () => {
    const { project } = await seedProject(t.db);
    const csv = readFileSync(path.join(cases, 'missing-values.csv'), 'utf8');
    const dataset = await addDataset(t.db, store, project.id, csv, 'missing-values.csv');
    await queueTraining(t.db, { projectId: project.id, datasetResourceId: dataset.id });
    const ctx = runContext(t.db, store);
    const claimed = await claimNext(t.db, ctx);
    await runExecution(ctx, claimed!);
    const failed = await t.db.execution.findUniqueOrThrow({ where: { id: claimed!.id } });
    expect(failed.status).toBe('FAILED');
    expect(failed.error).toMatch(
      /^6 problems in the data: Row 3, column "humidity": missing value \(empty\); Row 4, column "pressure": missing value \(NaN\);/,
    );
  });

  it('trains missing-values.csv with "missing": "drop" in the inline preprocessing, and records split and seed', async () => {
    const { project } = await seedProject(t.db);
    const csv = readFileSync(path.join(cases, 'missing-values.csv'), 'utf8');
    const dataset = await addDataset(t.db, store, project.id, csv, 'missing-values.csv');
    await queueTraining(t.db, {
      projectId: project.id,
      datasetResourceId: dataset.id,
      definition: { preprocessing: { missing: 'drop' } },
      hyperparameters: { epochs: 2, batchSize: 4, classWeights: true, seed: 5 },
    });
    const ctx = runContext(t.db, store);
    const claimed = await claimNext(t.db, ctx);
    await runExecution(ctx, claimed!);
    const done = await t.db.execution.findUniqueOrThrow({
      where: { id: claimed!.id },
      include: { events: true },
    });
    expect(done.status).toBe('COMPLETED');
    expect((done.metrics as { evaluatedOn: string }).evaluatedOn).toBe('validation');
    const logs = done.events.filter((e) => e.kind === 'LOG').map((e) => e.message);
    expect(logs).toContain('6 rows with missing values left out (missing: "drop")');
    expect(logs.some((l) => /^Split: \d+ training, \d+ validation, 0 test samples \(seed 5\)/.test(l!))).toBe(
      true,
    );
    expect(logs.some((l) => /^Class weights: ok=\d/.test(l!))).toBe(true);
  });
});
