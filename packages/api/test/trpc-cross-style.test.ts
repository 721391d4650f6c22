import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testProviders } from '@trainhub/db/testing';
import { createClient } from '../src/client';
import { createCaller, handleTrpc } from '../src/trpc';
import {
  ARCHITECTURE,
  IRIS_CSV,
  inProcessFetch,
  makeRun,
  makeWorld,
  multipart,
  simulateTraining,
  type World,
} from './helpers';

describe.each(testProviders)('tRPC and cross-style visibility on %s', (provider) => {
  let w: World;
  let fetcher: typeof fetch;

  beforeAll(async () => {
    w = await makeWorld(provider);
    fetcher = inProcessFetch(w.deps);
  });
  afterAll(async () => {
    await w?.drop();
  });

  it('the typed client creates a project, uploads, trains, follows progress and downloads the model', async () => {
    const client = createClient({ url: 'http://localhost', apiKey: w.a.keys.EDITOR, fetch: fetcher });
    const project = await client.trpc.projects.create.mutate({ name: 'client project' });
    const data = await client.uploadFile(project.id, 'iris.csv', IRIS_CSV);
    const arch = await client.trpc.resources.uploadText.mutate({
      projectId: project.id,
      name: 'net.architecture',
      content: ARCHITECTURE,
    });
    expect(arch.kind).toBe('ARCHITECTURE');
    const { task, execution } = await client.trpc.tasks.train.mutate({
      projectId: project.id,
      architectureResourceId: arch.id,
      datasetResourceId: data.id,
      problemType: 'classification',
      modelName: 'iris',
      hyperparameters: { epochs: 2, batchSize: 4 },
    });
    expect(execution!.status).toBe('QUEUED');
    const model = await simulateTraining(w, execution!.id, { epochs: 2 });
    const got = await client.trpc.tasks.get.query({ taskId: task.id });
    expect(got.executions[0]!.status).toBe('COMPLETED');
    const bytes = await client.download(project.id, model!.id);
    expect(bytes.toString()).toContain('modelTopology');
    await expect(client.trpc.projects.get.query({ projectId: w.b.projectId })).rejects.toMatchObject({
      data: { code: 'NOT_FOUND' },
    });
    const anonymous = createClient({ url: 'http://localhost', apiKey: 'th_wrong', fetch: fetcher });
    await expect(anonymous.trpc.projects.list.query()).rejects.toMatchObject({
      data: { code: 'UNAUTHORIZED' },
    });
  });

  it('the progress subscription yields each event, then the finished execution', async () => {
    const caller = createCaller({
      deps: w.deps,
      principal: { kind: 'apiKey', keyId: 0, teamId: w.a.id, projectId: null, role: 'EDITOR', userId: null },
    });
    const dataset = await w.t.db.resource.create({
      data: {
        projectId: w.a.projectId,
        kind: 'DATASET',
        name: 'd.csv',
        size: 1,
        contentHash: 'x',
        storageKey: 'k',
      },
    });
    const learn = await caller.learnBlocks.set({
      projectId: w.a.projectId,
      blocks: [{ name: 'nn', title: 'NN' }],
    });
    const { execution } = await caller.learnBlocks.train({
      projectId: w.a.projectId,
      learnId: learn[0]!.id,
      settings: { trainingCycles: 2 },
    });
    expect(dataset.id).toBeGreaterThan(0);
    const seen: string[] = [];
    const stream = await caller.executions.onProgress({ executionId: execution!.id, pollMs: 50 });
    const consumer = (async () => {
      for await (const item of stream) {
        seen.push(item.type === 'event' ? item.event.kind : `finished:${item.execution.status}`);
      }
    })();
    await simulateTraining(w, execution!.id, { epochs: 2 });
    await consumer;
    expect(seen).toEqual(['STAGE', 'EPOCH', 'LOG', 'EPOCH', 'LOG', 'finished:COMPLETED']);
  });

  it('a progress subscription to an unknown or foreign execution streams NOT_FOUND, not a server error', async () => {
    const { execution: foreign } = await makeRun(w.t.db, w.b.projectId, 'QUEUED');
    for (const executionId of [foreign.id, 999_999]) {
      const abort = new AbortController();
      // superjson's envelope, as every tRPC client sends it.
      const input = encodeURIComponent(JSON.stringify({ json: { executionId } }));
      const response = await handleTrpc(
        new Request(`http://localhost/api/trpc/executions.onProgress?input=${input}`, {
          headers: { 'x-api-key': w.a.keys.OWNER },
          signal: abort.signal,
        }),
        w.deps,
      );
      // Server-sent events: `connected`, then the error event that ends the stream.
      const text = await response.text();
      abort.abort();
      const error = /event: serialized-error\ndata: (.*)\n/.exec(text)?.[1];
      expect(error, text).toBeDefined();
      const parsed = (
        JSON.parse(error!) as { json: { message: string; data: { code: string; httpStatus: number } } }
      ).json;
      expect(parsed.data).toMatchObject({ code: 'NOT_FOUND', httpStatus: 404 });
      expect(parsed.message).toBe('execution not found');
    }
  });

  it('a training started in each style is visible in the other two and in tRPC', async () => {
    const call = (path: string, init: RequestInit = {}) =>
      fetcher(`http://localhost${path}`, init).then((r) => r.json());
    const mlwAuth = { authorization: `Bearer ${w.a.keys.EDITOR}` };
    const eiAuth = { 'x-api-key': w.a.keys.EDITOR };
    const pid = w.a.projectId;
    // MLW answers the project with its files by group: the upload is the file of that name.
    const upload = async (name: string, content: string) => {
      const project = await call(`/service/mlw/projects/${pid}_Project/resources`, {
        method: 'POST',
        headers: mlwAuth,
        body: multipart({ file: { name, content } }),
      });
      const files = Object.values(project.resources as Record<string, { id: string; name: string }[]>);
      return parseInt(files.flat().find((r) => r.name === name)!.id);
    };
    const arch = await upload('x.architecture', ARCHITECTURE);
    const data = await upload('x.csv', IRIS_CSV);
    const code = await upload('x.py', '{"scaling": "standardize"}');

    // MLW
    const mlwTask = await call(`/service/mlw/projects/${pid}_Project/resources/${arch}_Resource/trainNN`, {
      method: 'POST',
      headers: { ...mlwAuth, 'content-type': 'text/plain' },
      body: JSON.stringify({
        batchSize: 4,
        epoch: 2,
        learningRate: 0.01,
        loss: 'categorical_crossentropy',
        optimizer: 'adam',
        modelName: 'm',
        dataID: `${data}_Resource`,
        codeID: `${code}_Resource`,
        problemType: 'classification',
      }),
    });
    const mlwJob = Number(mlwTask.individualTasks[0].id);
    // Edge Impulse
    const impulse = await call(`/v1/api/${pid}/impulse`, {
      method: 'POST',
      headers: { ...eiAuth, 'content-type': 'application/json' },
      body: JSON.stringify({ learnBlocks: [{ name: 'nn', title: 'NN' }] }),
    });
    const eiStart = await call(`/v1/api/${pid}/jobs/train/keras/${impulse.learnBlocks[0].id}`, {
      method: 'POST',
      headers: eiAuth,
      body: '{}',
    });
    expect(eiStart).toMatchObject({ success: true });
    const eiJob = eiStart.id as number;
    // Session style (uses a key scoped to the team project so every style looks at the same project)
    const tmHeaders = { 'x-api-key': w.a.projectKey };
    const key = (await call('/training-module/start_session', { headers: tmHeaders })).key;
    await call(`/training-module/upload_dataset/${key}`, {
      method: 'POST',
      body: multipart({
        train_file: { name: 't.csv', content: IRIS_CSV },
        test_file: { name: 'v.csv', content: IRIS_CSV },
      }),
    });
    await call(`/training-module/preprocess/${key}`, { method: 'POST' });
    const tmStart = await call(`/training-module/training/start/${key}`, { method: 'POST' });
    expect(tmStart).toMatchObject({ state: 'training' });
    const tmJob = tmStart.job_id as number;

    expect([mlwJob, eiJob, tmJob].map((j) => typeof j)).toEqual(['number', 'number', 'number']);
    for (const job of [mlwJob, eiJob, tmJob]) await simulateTraining(w, job, { epochs: 1 });

    const mlwTasks = (await call('/service/mlw/tasks', { headers: mlwAuth })).data;
    const mlwRuns = mlwTasks.flatMap(
      (t: { individualTasks: { id: string; status: string }[] }) => t.individualTasks,
    );
    const eiJobs = (await call(`/v1/api/${pid}/jobs/all?limit=100`, { headers: eiAuth })).jobs as {
      id: number;
      finishedSuccessful: boolean;
    }[];
    const client = createClient({ url: 'http://localhost', apiKey: w.a.keys.VIEWER, fetch: fetcher });
    for (const job of [mlwJob, eiJob, tmJob]) {
      expect(mlwRuns.find((r: { id: string }) => r.id === String(job))).toMatchObject({
        status: 'COMPLETED',
      });
      expect(eiJobs.find((j) => j.id === job)).toMatchObject({ finishedSuccessful: true });
      expect((await client.trpc.executions.get.query({ executionId: job })).status).toBe('COMPLETED');
    }
    // The session style sees its own run finish and reports done.
    expect((await call('/training-module/status', { headers: tmHeaders })).state).toBe('done');
  });
});
