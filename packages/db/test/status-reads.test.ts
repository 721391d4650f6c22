import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, testProviders, type TestDatabase } from '../src/testing';
import {
  readEpochEvents,
  readExecutionWithScope,
  readLatestExecutionBySessionKeyHash,
  readSessionByKeyHash,
} from '../src/status-reads';

// The status reads are plain SQL for speed; they must return exactly what the Prisma query API returns for
// the same rows (types included: dates, JSON, booleans, enums, nulls), on both databases.
describe.each(testProviders)('status reads on %s', (provider) => {
  let t: TestDatabase;
  const at = new Date('2026-01-02T03:04:05.678Z');
  let ids: { team: number; project: number; task: number; executions: number[] };
  beforeAll(async () => {
    t = await createTestDatabase(provider);
    const { db } = t;
    const team = await db.team.create({ data: { name: 'Lab', slug: 'lab' } });
    const project = await db.project.create({ data: { teamId: team.id, name: 'p', deletedAt: at } });
    const task = await db.task.create({
      data: {
        projectId: project.id,
        name: 'task',
        source: 'mlw',
        definition: { version: 1, layers: [{ type: 'dense', units: 3 }] },
        hyperparameters: { epochs: 2, learningRate: 0.01 },
        scheduleKind: 'CRON',
        cronExpression: '0 * * * *',
        timezone: 'Europe/Berlin',
        scheduleEnabled: true,
        nextRunAt: at,
        startAt: at,
      },
    });
    const first = await db.execution.create({
      data: { taskId: task.id, projectId: project.id, status: 'COMPLETED', finishedAt: at },
    });
    const second = await db.execution.create({
      data: {
        taskId: task.id,
        projectId: project.id,
        status: 'RUNNING',
        stage: 'train',
        stageLog: [{ stage: 'load', at: at.toISOString() }],
        message: 'epoch 2',
        priority: 3,
        scheduledFor: at,
        attempt: 2,
        leaseOwner: 'trainer-1',
        leaseExpiresAt: at,
        stopRequest: 'STOP',
        checkpointKey: 'ck',
        checkpointEpoch: 1,
        backend: 'wasm',
        metrics: { loss: 0.25, acc: [0.5, 0.75] },
        error: 'none',
        startedAt: at,
      },
    });
    // Out of order, with a log line between: the reads keep EPOCH events only, ordered by seq.
    for (const [seq, kind, epoch] of [
      [3, 'EPOCH', 2],
      [1, 'EPOCH', 1],
      [2, 'LOG', null],
    ] as const) {
      await db.executionEvent.create({
        data: {
          executionId: second.id,
          seq,
          kind,
          epoch,
          message: kind === 'LOG' ? 'hello' : null,
          data: kind === 'EPOCH' ? { epoch, loss: 1 / epoch!, metrics: { acc: 0.5 } } : undefined,
          createdAt: new Date(at.getTime() + seq * 1000),
        },
      });
    }
    await db.trainingSession.create({
      data: {
        keyHash: 'with-task',
        teamId: team.id,
        projectId: project.id,
        taskId: task.id,
        config: { a: 1 },
      },
    });
    await db.trainingSession.create({
      data: {
        keyHash: 'without-task',
        teamId: team.id,
        projectId: project.id,
        active: false,
        state: 'DONE',
        config: {},
        status: { preprocess: { status: 'done', rows: 3 } },
      },
    });
    ids = {
      team: team.id,
      project: project.id,
      task: task.id,
      executions: [first.id, second.id],
    };
  });
  afterAll(async () => {
    await t?.drop();
  });

  it('readExecutionWithScope is the Prisma row plus its project and what presenting needs of its task', async () => {
    const { db } = t;
    const task = await db.task.findUniqueOrThrow({ where: { id: ids.task } });
    for (const id of ids.executions) {
      const read = await readExecutionWithScope(db, id);
      expect(read?.execution).toEqual(await db.execution.findUniqueOrThrow({ where: { id } }));
      expect(read?.project).toEqual({ id: ids.project, teamId: ids.team, deletedAt: at });
      expect(read?.task).toEqual({
        id: task.id,
        projectId: task.projectId,
        name: task.name,
        definition: task.definition,
        deletedAt: null,
      });
    }
    await db.task.update({ where: { id: ids.task }, data: { deletedAt: at } });
    expect((await readExecutionWithScope(db, ids.executions[0]!))?.task.deletedAt).toEqual(at);
    await db.task.update({ where: { id: ids.task }, data: { deletedAt: null } });
    expect(await readExecutionWithScope(db, 999_999)).toBeNull();
  });

  it('readEpochEvents are the EPOCH events oldest first, as Prisma reads them', async () => {
    const { db } = t;
    const [first, second] = ids.executions as [number, number];
    const prisma = await db.executionEvent.findMany({
      where: { executionId: second, kind: 'EPOCH' },
      orderBy: { seq: 'asc' },
      select: { data: true, createdAt: true },
    });
    expect(prisma.map((e) => (e.data as { epoch: number }).epoch)).toEqual([1, 2]);
    expect(await readEpochEvents(db, second)).toEqual(prisma);
    expect(await readEpochEvents(db, first)).toEqual([]);
  });

  it('the session reads are the Prisma rows: the session, its newest execution, its last epoch', async () => {
    const { db } = t;
    for (const keyHash of ['with-task', 'without-task']) {
      expect(await readSessionByKeyHash(db, keyHash)).toEqual(
        await db.trainingSession.findUniqueOrThrow({ where: { keyHash } }),
      );
    }
    expect(await readSessionByKeyHash(db, 'unknown')).toBeNull();
    const newest = await db.execution.findFirstOrThrow({
      where: { taskId: ids.task },
      orderBy: { id: 'desc' },
    });
    expect(newest.id).toBe(ids.executions[1]);
    expect(await readLatestExecutionBySessionKeyHash(db, 'with-task')).toEqual({
      execution: newest,
      lastEpoch: await db.executionEvent.findFirstOrThrow({
        where: { executionId: newest.id, kind: 'EPOCH' },
        orderBy: { seq: 'desc' },
        select: { data: true, createdAt: true },
      }),
    });
    expect(await readLatestExecutionBySessionKeyHash(db, 'without-task')).toBeNull();
    expect(await readLatestExecutionBySessionKeyHash(db, 'unknown')).toBeNull();
    // A run without an epoch yet.
    const fresh = await db.execution.create({ data: { taskId: ids.task, projectId: ids.project } });
    expect(await readLatestExecutionBySessionKeyHash(db, 'with-task')).toEqual({
      execution: await db.execution.findUniqueOrThrow({ where: { id: fresh.id } }),
      lastEpoch: null,
    });
  });
});
