import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, testProviders, type TestDatabase } from '../src/testing';

// Writes every model with every column set, reads it back through the Prisma client, and compares. If the
// hand-written SQL of either database drifts from prisma/schema.prisma (a missing column, a wrong type, a
// missing unique index), this fails.
describe.each(testProviders)('schema round trip on %s', (provider) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase(provider);
  });
  afterAll(async () => {
    await t?.drop();
  });

  it('writes and reads back every model', async () => {
    const { db } = t;
    const at = new Date('2026-01-02T03:04:05.678Z');
    const later = new Date('2026-02-03T04:05:06.789Z');

    const user = await db.user.create({
      data: {
        email: 'ada@example.com',
        name: 'Ada',
        passwordHash: 'h',
        passwordChangedAt: later,
        emailVerified: at,
        image: 'i.png',
      },
    });
    expect(await db.user.findUniqueOrThrow({ where: { email: 'ada@example.com' } })).toEqual(user);

    const account = await db.account.create({
      data: {
        userId: user.id,
        type: 'oauth',
        provider: 'github',
        providerAccountId: '42',
        refresh_token: 'r',
        access_token: 'a',
        expires_at: 1_700_000_000,
        token_type: 'bearer',
        scope: 's',
        id_token: 'i',
        session_state: 'st',
      },
    });
    expect(await db.account.findUniqueOrThrow({ where: { id: account.id } })).toEqual(account);

    const session = await db.session.create({
      data: { sessionToken: 'tok', userId: user.id, expires: later },
    });
    expect(await db.session.findUniqueOrThrow({ where: { sessionToken: 'tok' } })).toEqual(session);

    const vt = await db.verificationToken.create({
      data: { identifier: 'ada', token: 'vt', expires: later },
    });
    expect(await db.verificationToken.findUniqueOrThrow({ where: { token: 'vt' } })).toEqual(vt);

    const team = await db.team.create({ data: { name: 'Lab', slug: 'lab' } });
    expect(await db.team.findUniqueOrThrow({ where: { slug: 'lab' } })).toEqual(team);

    const membership = await db.membership.create({
      data: { teamId: team.id, userId: user.id, role: 'OWNER' },
    });
    expect(await db.membership.findUniqueOrThrow({ where: { id: membership.id } })).toEqual(membership);
    await expect(
      db.membership.create({ data: { teamId: team.id, userId: user.id, role: 'VIEWER' } }),
    ).rejects.toThrow();

    const invite = await db.teamInvite.create({
      data: {
        teamId: team.id,
        role: 'EDITOR',
        tokenHash: 'ih',
        createdById: user.id,
        expiresAt: later,
        usedAt: at,
      },
    });
    expect(await db.teamInvite.findUniqueOrThrow({ where: { tokenHash: 'ih' } })).toEqual(invite);

    const project = await db.project.create({
      data: { teamId: team.id, name: 'Digits', description: 'd', deletedAt: null },
    });
    expect(typeof project.id).toBe('number');
    expect(await db.project.findUniqueOrThrow({ where: { id: project.id } })).toEqual(project);

    const apiKey = await db.apiKey.create({
      data: {
        teamId: team.id,
        projectId: project.id,
        name: 'ci',
        prefix: 'th_abc',
        keyHash: 'kh',
        role: 'EDITOR',
        createdById: user.id,
        lastUsedAt: at,
        revokedAt: null,
      },
    });
    expect(await db.apiKey.findUniqueOrThrow({ where: { keyHash: 'kh' } })).toEqual(apiKey);

    const metadata = { columns: ['a', 'b'], rows: 150, nested: { ok: true, ratio: 0.25 } };
    const dataset = await db.resource.create({
      data: {
        projectId: project.id,
        kind: 'DATASET',
        name: 'iris.csv',
        contentType: 'text/csv',
        size: 4550,
        contentHash: 'sha256:x',
        storageKey: 'p/1/iris.csv',
        metadata,
        createdById: user.id,
      },
    });
    const read = await db.resource.findUniqueOrThrow({ where: { id: dataset.id } });
    expect(read).toEqual(dataset);
    expect(read.metadata).toEqual(metadata);
    const model = await db.resource.create({
      data: {
        projectId: project.id,
        kind: 'MODEL',
        name: 'm.zip',
        size: 1,
        contentHash: 'h',
        storageKey: 'k',
      },
    });

    const learnBlock = await db.learnBlock.create({
      data: {
        projectId: project.id,
        name: 'NN Classifier',
        title: 'Classification',
        settings: { trainingCycles: 30 },
      },
    });
    expect(await db.learnBlock.findUniqueOrThrow({ where: { id: learnBlock.id } })).toEqual(learnBlock);
    expect(learnBlock.type).toBe('keras');

    const task = await db.task.create({
      data: {
        projectId: project.id,
        name: 'nightly',
        source: 'mlw',
        architectureResourceId: dataset.id,
        datasetResourceId: dataset.id,
        codeResourceId: dataset.id,
        learnBlockId: learnBlock.id,
        definition: { layers: [{ type: 'dense', units: 8 }] },
        hyperparameters: { epoch: 3, batchSize: 32 },
        scheduleKind: 'CRON',
        startAt: at,
        cronExpression: '0 3 * * *',
        timezone: 'Europe/Berlin',
        scheduleEnabled: false,
        nextRunAt: later,
        createdById: user.id,
      },
    });
    expect(await db.task.findUniqueOrThrow({ where: { id: task.id } })).toEqual(task);

    const execution = await db.execution.create({
      data: {
        taskId: task.id,
        projectId: project.id,
        status: 'RUNNING',
        stage: 'TRAIN',
        stageLog: { TRAIN: 'epoch 1' },
        message: 'training',
        priority: 5,
        dueAt: at,
        scheduledFor: at,
        attempt: 2,
        leaseOwner: 'trainer-1',
        leaseExpiresAt: later,
        stopRequest: 'STOP',
        checkpointKey: 'ck',
        checkpointEpoch: 3,
        backend: 'wasm',
        metrics: { accuracy: 0.9 },
        error: null,
        modelResourceId: model.id,
        startedAt: at,
        finishedAt: later,
      },
    });
    expect(await db.execution.findUniqueOrThrow({ where: { id: execution.id } })).toEqual(execution);
    const queued = await db.execution.findFirstOrThrow({
      where: { status: 'RUNNING', dueAt: { lte: later } },
      orderBy: [{ priority: 'desc' }, { dueAt: 'asc' }],
    });
    expect(queued.id).toBe(execution.id);

    const epoch = await db.executionEvent.create({
      data: { executionId: execution.id, seq: 1, kind: 'EPOCH', epoch: 1, data: { loss: 0.5, acc: 0.8 } },
    });
    const log = await db.executionEvent.create({
      data: { executionId: execution.id, seq: 2, kind: 'LOG', level: 'info', message: 'hello' },
    });
    expect(
      await db.executionEvent.findMany({ where: { executionId: execution.id }, orderBy: { seq: 'asc' } }),
    ).toEqual([epoch, log]);
    // An epoch is recorded once per execution, and seq numbers never repeat.
    await expect(
      db.executionEvent.create({ data: { executionId: execution.id, seq: 3, kind: 'EPOCH', epoch: 1 } }),
    ).rejects.toThrow();
    await expect(
      db.executionEvent.create({ data: { executionId: execution.id, seq: 2, kind: 'LOG' } }),
    ).rejects.toThrow();

    const occurrence = await db.scheduleOccurrence.create({
      data: { taskId: task.id, scheduledFor: at, executionId: execution.id },
    });
    expect(await db.scheduleOccurrence.findUniqueOrThrow({ where: { id: occurrence.id } })).toEqual(
      occurrence,
    );
    await expect(
      db.scheduleOccurrence.create({ data: { taskId: task.id, scheduledFor: at } }),
    ).rejects.toThrow();

    const trainingSession = await db.trainingSession.create({
      data: {
        keyHash: 'sk',
        teamId: team.id,
        projectId: project.id,
        taskId: task.id,
        state: 'PREPROCESSING',
        active: true,
        config: { epochs: 2 },
        status: { state: 'preprocessing' },
        createdById: user.id,
      },
    });
    expect(await db.trainingSession.findUniqueOrThrow({ where: { keyHash: 'sk' } })).toEqual(trainingSession);

    const trainer = await db.trainerStatus.create({
      data: {
        id: 'host-1-123',
        host: 'host-1',
        pid: 123,
        backend: 'wasm',
        concurrency: 2,
        currentExecutionId: execution.id,
        heartbeatAt: later,
        stoppedAt: null,
      },
    });
    expect(await db.trainerStatus.findUniqueOrThrow({ where: { id: trainer.id } })).toEqual(trainer);

    const limit = await db.rateLimit.create({ data: { key: 'a@x.io|127.0.0.1', points: 3, expire: later } });
    expect(await db.rateLimit.findUniqueOrThrow({ where: { key: limit.key } })).toEqual(limit);

    const modelJob = await db.modelJob.create({
      data: {
        projectId: project.id,
        kind: 'EVALUATE',
        status: 'COMPLETED',
        modelResourceId: 41,
        datasetResourceId: 42,
        resultResourceId: 43,
        progress: 0.625,
        rowsDone: 1234,
        result: {
          accuracy: 0.9,
          confusionMatrix: [
            [1, 0],
            [0, 1],
          ],
        },
        error: 'e',
        createdById: user.id,
        startedAt: at,
        finishedAt: later,
      },
    });
    expect(await db.modelJob.findUniqueOrThrow({ where: { id: modelJob.id } })).toEqual(modelJob);
    const deployment = await db.modelDeployment.create({
      data: { projectId: project.id, name: 'iris', modelResourceId: 41, deployedById: user.id },
    });
    expect(
      await db.modelDeployment.findUniqueOrThrow({
        where: { projectId_name: { projectId: project.id, name: 'iris' } },
      }),
    ).toEqual(deployment);
    await expect(
      db.modelDeployment.create({ data: { projectId: project.id, name: 'iris', modelResourceId: 44 } }),
    ).rejects.toThrow();

    // Deleting a team cascades to everything it owns.
    await db.team.delete({ where: { id: team.id } });
    expect(await db.execution.count()).toBe(0);
    expect(await db.resource.count()).toBe(0);
    expect(await db.modelJob.count()).toBe(0);
    expect(await db.modelDeployment.count()).toBe(0);
    expect(await db.user.count()).toBe(1);
  });
});
