import { unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, testProviders, type TestDatabase } from '@trainhub/db/testing';
import { epochDataSchema } from '@trainhub/db';
import { claimNext } from '../src/queue';
import { runExecution } from '../src/runner';
import { addDataset, blobsCsv, queueTraining, runContext, seedProject, tempStore } from './fixtures';

describe.each(testProviders)('running an execution on %s', (provider) => {
  let t: TestDatabase;
  const { store } = tempStore();
  beforeAll(async () => {
    t = await createTestDatabase(provider);
  });
  afterAll(async () => {
    await t?.drop();
  });

  it('trains to COMPLETED with stages, one history row per epoch, metrics and a model resource', async () => {
    const { project } = await seedProject(t.db);
    const dataset = await addDataset(t.db, store, project.id, blobsCsv(90));
    const { executions } = await queueTraining(t.db, {
      projectId: project.id,
      datasetResourceId: dataset.id,
    });
    const ctx = runContext(t.db, store);
    const claimed = await claimNext(t.db, ctx);
    expect(claimed?.id).toBe(executions[0]!.id);
    await runExecution(ctx, claimed!);

    const done = await t.db.execution.findUniqueOrThrow({
      where: { id: claimed!.id },
      include: { events: { orderBy: { seq: 'asc' } } },
    });
    expect(done.status).toBe('COMPLETED');
    expect(done.leaseOwner).toBeNull();
    expect(done.finishedAt).not.toBeNull();
    expect(done.backend).toBe('cpu');
    expect(Object.keys(done.stageLog as object)).toEqual(
      expect.arrayContaining(['ARCH_READ', 'DATA_INIT', 'COMPILE', 'TRAIN', 'SAVE']),
    );
    const epochs = done.events.filter((e) => e.kind === 'EPOCH');
    expect(epochs.map((e) => e.epoch)).toEqual([1, 2, 3]);
    for (const e of epochs) expect(epochDataSchema.safeParse(e.data).success).toBe(true);
    expect(done.events.map((e) => e.seq)).toEqual(done.events.map((_, i) => i + 1));
    const metrics = done.metrics as { accuracy: number; confusionMatrix: number[][]; classNames: string[] };
    expect(metrics.classNames).toHaveLength(3);
    expect(metrics.confusionMatrix).toHaveLength(3);
    expect(metrics.accuracy).toBeGreaterThanOrEqual(0);

    const model = await t.db.resource.findUniqueOrThrow({ where: { id: done.modelResourceId! } });
    expect(model).toMatchObject({ kind: 'MODEL', projectId: project.id, contentType: 'application/zip' });
    const files = unzipSync(new Uint8Array(await store.get(model.storageKey)));
    expect(Object.keys(files).sort()).toEqual(['metadata.json', 'model.json', 'weights.bin']);
    expect(model.size).toBe((await store.get(model.storageKey)).length);
  });

  it('fails at once, without retry, on bad data, naming the problem', async () => {
    const { project } = await seedProject(t.db);
    const dataset = await addDataset(t.db, store, project.id, 'a,b,label\n1,2,x\n3,oops,y\n');
    const { executions } = await queueTraining(t.db, {
      projectId: project.id,
      datasetResourceId: dataset.id,
    });
    const ctx = runContext(t.db, store);
    const claimed = await claimNext(t.db, ctx);
    expect(claimed?.id).toBe(executions[0]!.id);
    await runExecution(ctx, claimed!);
    const failed = await t.db.execution.findUniqueOrThrow({ where: { id: claimed!.id } });
    expect(failed.status).toBe('FAILED');
    expect(failed.attempt).toBe(1);
    expect(failed.error).toMatch(/row|column|numeric/i);
    expect(await claimNext(t.db, ctx)).toBeNull();
  });

  it('cancels at once when cancel was requested before it started', async () => {
    const { project } = await seedProject(t.db);
    const dataset = await addDataset(t.db, store, project.id, blobsCsv(30));
    const { executions } = await queueTraining(t.db, {
      projectId: project.id,
      datasetResourceId: dataset.id,
    });
    await t.db.execution.update({ where: { id: executions[0]!.id }, data: { stopRequest: 'CANCEL' } });
    const ctx = runContext(t.db, store);
    await runExecution(ctx, (await claimNext(t.db, ctx))!);
    const row = await t.db.execution.findUniqueOrThrow({ where: { id: executions[0]!.id } });
    expect(row.status).toBe('CANCELLED');
    expect(row.modelResourceId).toBeNull();
  });
});
