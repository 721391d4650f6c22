import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, testProviders, type TestDatabase } from '@trainhub/db/testing';
import { claimNext, finishExecution } from '../src/queue';
import { materializeDueSchedules } from '../src/schedules';
import { Worker } from '../src/worker';
import {
  addDataset,
  blobsCsv,
  queueTraining,
  runContext,
  seedProject,
  silentLog,
  tempStore,
  waitFor,
} from './fixtures';

describe.each(testProviders)('queue, control and schedules on %s', (provider) => {
  let t: TestDatabase;
  const { store } = tempStore();
  beforeAll(async () => {
    t = await createTestDatabase(provider);
  });
  afterAll(async () => {
    await t?.drop();
  });

  function worker(id: string) {
    const { shuttingDown: _ignored, ...ctx } = runContext(t.db, store, { trainerId: id });
    return new Worker(ctx, { concurrency: 1, pollMs: 50, scheduleMs: 60_000, databaseUrl: t.url }, silentLog);
  }

  async function longTraining() {
    const { project } = await seedProject(t.db);
    const dataset = await addDataset(t.db, store, project.id, blobsCsv(1500));
    const { executions } = await queueTraining(t.db, {
      projectId: project.id,
      datasetResourceId: dataset.id,
      spec: { layers: [{ type: 'dense', units: 32 }] },
      hyperparameters: { epochs: 200, batchSize: 8 },
    });
    return { project, id: executions[0]!.id };
  }

  const firstEpoch = (id: number) =>
    waitFor(() => t.db.executionEvent.findFirst({ where: { executionId: id, kind: 'EPOCH' } }), 60_000);

  it('claims each execution once, however many claimers race', async () => {
    const { project } = await seedProject(t.db);
    const dataset = await addDataset(t.db, store, project.id, blobsCsv(30));
    const { executions } = await queueTraining(t.db, {
      projectId: project.id,
      datasetResourceId: dataset.id,
      count: 5,
    });
    const claims = await Promise.all(
      Array.from({ length: 12 }, (_, i) => claimNext(t.db, { trainerId: `racer-${i}`, leaseMs: 60_000 })),
    );
    const claimed = claims.filter((c) => c !== null).map((c) => c!.id);
    expect(new Set(claimed).size).toBe(claimed.length);
    expect(claimed.sort()).toEqual(executions.map((e) => e.id).sort());
    // A lease we no longer hold cannot be finished by us.
    const row = claims.find((c) => c)!;
    expect(await finishExecution(t.db, row.id, 'someone-else', { status: 'COMPLETED', message: 'x' })).toBe(
      false,
    );
    for (const c of claims)
      if (c) await finishExecution(t.db, c.id, c.leaseOwner!, { status: 'CANCELLED', message: 'test' });
  });

  it('reclaims an execution whose lease expired, counting the attempt', async () => {
    const { project } = await seedProject(t.db);
    const dataset = await addDataset(t.db, store, project.id, blobsCsv(30));
    const { executions } = await queueTraining(t.db, {
      projectId: project.id,
      datasetResourceId: dataset.id,
    });
    const first = await claimNext(t.db, { trainerId: 'dead', leaseMs: 50 });
    expect(first?.attempt).toBe(1);
    expect(await claimNext(t.db, { trainerId: 'alive', leaseMs: 60_000 })).toBeNull();
    await new Promise((r) => setTimeout(r, 80));
    const second = await claimNext(t.db, { trainerId: 'alive', leaseMs: 60_000 });
    expect(second).toMatchObject({ id: executions[0]!.id, attempt: 2, leaseOwner: 'alive' });
    await finishExecution(t.db, second!.id, 'alive', { status: 'CANCELLED', message: 'test' });
  });

  it('stop early keeps the model trained so far', async () => {
    const { project, id } = await longTraining();
    const w = worker('stopper');
    await w.start();
    await firstEpoch(id);
    await t.db.execution.update({ where: { id }, data: { stopRequest: 'STOP' } });
    const done = await waitFor(async () => {
      const row = await t.db.execution.findUnique({ where: { id } });
      return row?.status === 'STOPPED' ? row : null;
    });
    await w.stop();
    expect(done.modelResourceId).not.toBeNull();
    expect(await t.db.resource.count({ where: { projectId: project.id, kind: 'MODEL' } })).toBe(1);
    expect(done.message).toMatch(/Stopped early after epoch \d+/);
  });

  it('cancel discards the run: no model', async () => {
    const { project, id } = await longTraining();
    const w = worker('canceller');
    await w.start();
    await firstEpoch(id);
    await t.db.execution.update({ where: { id }, data: { stopRequest: 'CANCEL' } });
    const done = await waitFor(async () => {
      const row = await t.db.execution.findUnique({ where: { id } });
      return row?.status === 'CANCELLED' ? row : null;
    });
    await w.stop();
    expect(done.modelResourceId).toBeNull();
    expect(await t.db.resource.count({ where: { projectId: project.id, kind: 'MODEL' } })).toBe(0);
  });

  it('a graceful shutdown gives the execution back to the queue with its checkpoint', async () => {
    const { id } = await longTraining();
    const w = worker('leaver');
    await w.start();
    await waitFor(
      async () => ((await t.db.execution.findUnique({ where: { id } }))?.checkpointEpoch ?? 0) >= 1,
      60_000,
    );
    await w.stop();
    const row = await t.db.execution.findUniqueOrThrow({ where: { id } });
    expect(row).toMatchObject({ status: 'QUEUED', leaseOwner: null, attempt: 0 });
    expect(row.checkpointKey).toBeTruthy();
    expect(await store.exists(row.checkpointKey!)).toBe(true);
    await t.db.execution.update({ where: { id }, data: { status: 'CANCELLED' } });
  });

  it('materializes a due cron tick once, and collapses missed ticks into one run', async () => {
    const { project } = await seedProject(t.db);
    const dataset = await addDataset(t.db, store, project.id, blobsCsv(30));
    const { task } = await queueTraining(t.db, {
      projectId: project.id,
      datasetResourceId: dataset.id,
      count: 0,
    });
    const now = new Date();
    const missedSince = new Date(now.getTime() - 3600_000);
    await t.db.task.update({
      where: { id: task.id },
      data: { scheduleKind: 'CRON', cronExpression: '* * * * *', nextRunAt: missedSince },
    });
    const created = await Promise.all([1, 2, 3].map(() => materializeDueSchedules(t.db, silentLog, now)));
    expect(created.reduce((a, b) => a + b, 0)).toBe(1);
    const executions = await t.db.execution.findMany({ where: { taskId: task.id } });
    expect(executions).toHaveLength(1);
    expect(executions[0]!.scheduledFor?.toISOString()).toBe(missedSince.toISOString());
    const after = await t.db.task.findUniqueOrThrow({ where: { id: task.id } });
    expect(after.nextRunAt!.getTime()).toBeGreaterThan(now.getTime());
    expect(await materializeDueSchedules(t.db, silentLog, now)).toBe(0);
    await t.db.task.update({
      where: { id: task.id },
      data: { scheduleEnabled: false, nextRunAt: missedSince },
    });
    expect(await materializeDueSchedules(t.db, silentLog, now)).toBe(0);
    await t.db.execution.updateMany({ where: { taskId: task.id }, data: { status: 'CANCELLED' } });
  });
});
