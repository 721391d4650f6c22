import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@trainhub/db/testing';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { LocalArtifactStore } from '@trainhub/db';
import { addDataset, blobsCsv, queueTraining, seedProject, waitFor } from './fixtures';

// Real trainer processes against one PostgreSQL database: exactly-once execution, crash recovery from
// checkpoints, and cron occurrences under concurrency.

const root = join(import.meta.dirname, '../../..');
const entry = join(root, 'apps/trainer/src/main.ts');

describe('trainer processes on postgresql', () => {
  let t: TestDatabase;
  // The trainers read artifacts from DATA_DIR/artifacts; the tests write datasets there.
  const dataDir = mkdtempSync(join(tmpdir(), 'trainhub-cluster-'));
  const store = new LocalArtifactStore(join(dataDir, 'artifacts'));
  const children: ChildProcess[] = [];

  function startTrainer(id: string, env: Record<string, string> = {}): ChildProcess {
    const child = spawn(process.execPath, ['--import', 'tsx', entry], {
      cwd: root,
      env: {
        ...process.env,
        DATABASE_URL: t.url,
        DATA_DIR: dataDir,
        TRAINER_ID: id,
        TRAINER_BACKEND: 'wasm',
        TRAINER_HEARTBEAT_MS: '500',
        TRAINER_LEASE_MS: '3000',
        LOG_LEVEL: 'warn',
        ...env,
      },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    children.push(child);
    return child;
  }

  async function stopAll() {
    await Promise.all(
      children.splice(0).map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            child.on('exit', () => resolve());
            child.kill('SIGTERM');
          }),
      ),
    );
  }

  beforeAll(async () => {
    t = await createTestDatabase('postgresql');
  });
  afterEach(stopAll);
  afterAll(async () => {
    await stopAll();
    await t?.drop();
  });

  it('3 trainers run 30 queued executions, each exactly once', async () => {
    const { project } = await seedProject(t.db);
    const dataset = await addDataset(t.db, store, project.id, blobsCsv(60));
    const { executions } = await queueTraining(t.db, {
      projectId: project.id,
      datasetResourceId: dataset.id,
      hyperparameters: { epochs: 2 },
      count: 30,
    });
    for (const id of ['a', 'b', 'c']) startTrainer(`cluster-${id}`);
    const ids = executions.map((e) => e.id);
    await waitFor(
      async () => (await t.db.execution.count({ where: { id: { in: ids }, status: 'COMPLETED' } })) === 30,
      240_000,
    );
    const rows = await t.db.execution.findMany({ where: { id: { in: ids } }, include: { events: true } });
    expect(rows.every((r) => r.attempt === 1)).toBe(true);
    expect(new Set(rows.map((r) => r.modelResourceId)).size).toBe(30);
    for (const row of rows) {
      expect(
        row.events
          .filter((e) => e.kind === 'EPOCH')
          .map((e) => e.epoch)
          .sort(),
      ).toEqual([1, 2]);
    }
    expect(await t.db.resource.count({ where: { kind: 'MODEL', projectId: project.id } })).toBe(30);
    const owners = new Set((await t.db.trainerStatus.findMany()).map((s) => s.id));
    expect(owners).toEqual(new Set(['cluster-a', 'cluster-b', 'cluster-c']));
  });

  it('a trainer killed with SIGKILL mid-training is taken over and resumed from its checkpoint', async () => {
    const { project } = await seedProject(t.db);
    const dataset = await addDataset(t.db, store, project.id, blobsCsv(3000));
    const epochs = 12;
    const { executions } = await queueTraining(t.db, {
      projectId: project.id,
      datasetResourceId: dataset.id,
      spec: {
        layers: [
          { type: 'dense', units: 64 },
          { type: 'dense', units: 32 },
        ],
      },
      // No seed (as MLW clients send): the resumed attempt must still match the checkpoint's run.
      hyperparameters: { epochs, batchSize: 8, seed: undefined },
    });
    const id = executions[0]!.id;
    const victim = startTrainer('victim');
    await waitFor(
      async () => ((await t.db.execution.findUnique({ where: { id } }))?.checkpointEpoch ?? 0) >= 2,
      120_000,
    );
    victim.kill('SIGKILL');
    const atKill = await t.db.execution.findUniqueOrThrow({ where: { id } });
    expect(atKill.status).toBe('RUNNING');
    expect(atKill.checkpointEpoch).toBeLessThan(epochs);

    startTrainer('rescuer');
    const done = await waitFor(async () => {
      const row = await t.db.execution.findUnique({ where: { id }, include: { events: true } });
      return row?.status === 'COMPLETED' ? row : null;
    }, 180_000);
    expect(done.attempt).toBe(2);
    const history = done.events
      .filter((e) => e.kind === 'EPOCH')
      .map((e) => e.epoch!)
      .sort((a, b) => a - b);
    expect(history).toEqual(Array.from({ length: epochs }, (_, i) => i + 1));
    expect(done.events.some((e) => e.kind === 'LOG' && /resuming after epoch/.test(e.message ?? ''))).toBe(
      true,
    );
  });

  it('a cron schedule firing every second with 3 trainers yields one execution per occurrence', async () => {
    const { project } = await seedProject(t.db);
    const dataset = await addDataset(t.db, store, project.id, blobsCsv(30));
    const { task } = await queueTraining(t.db, {
      projectId: project.id,
      datasetResourceId: dataset.id,
      hyperparameters: { epochs: 1 },
      count: 0,
    });
    for (const id of ['x', 'y', 'z']) startTrainer(`cron-${id}`);
    await waitFor(
      async () =>
        (await t.db.trainerStatus.count({ where: { id: { startsWith: 'cron-' }, stoppedAt: null } })) === 3,
      60_000,
    );
    const start = new Date(Math.ceil(Date.now() / 1000) * 1000);
    await t.db.task.update({
      where: { id: task.id },
      data: {
        scheduleKind: 'CRON',
        cronExpression: '* * * * * *',
        timezone: 'UTC',
        scheduleEnabled: true,
        nextRunAt: start,
      },
    });
    await new Promise((r) => setTimeout(r, 10_000));
    await t.db.task.update({ where: { id: task.id }, data: { scheduleEnabled: false } });
    await new Promise((r) => setTimeout(r, 1_500));

    const occurrences = await t.db.scheduleOccurrence.findMany({ where: { taskId: task.id } });
    const executions = await t.db.execution.findMany({ where: { taskId: task.id } });
    expect(occurrences.length).toBeGreaterThanOrEqual(5);
    expect(occurrences.length).toBeLessThanOrEqual(12);
    expect(executions).toHaveLength(occurrences.length);
    expect(new Set(executions.map((e) => e.scheduledFor?.toISOString())).size).toBe(executions.length);
    expect(new Set(occurrences.map((o) => o.executionId))).toEqual(new Set(executions.map((e) => e.id)));
  });
});
