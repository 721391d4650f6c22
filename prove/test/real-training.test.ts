import { pino } from 'pino';
import { unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRestHandler, edgeImpulseStyle, mlwStyle, trainingModuleStyle } from '@trainhub/api/rest';
import { testProviders } from '@trainhub/db/testing';
import { basic, makeWorld, multipart, type World } from '../../packages/api/test/helpers';
import { Worker } from '../../apps/trainer/src/worker';
import { blobsCsv } from '../src/platform';

// The whole path with a REAL trainer (no simulation): trainings started through each REST style are run by
// the trainer's worker, and each is observed through the other styles.

const EPOCHS = 4;

describe.each(testProviders)('real trainings across styles on %s', (provider) => {
  let w: World;
  let worker: Worker;
  const handlers = {
    mlw: (r: Request) => createRestHandler(mlwStyle, () => w.deps)(r),
    ei: (r: Request) => createRestHandler(edgeImpulseStyle, () => w.deps)(r),
    tm: (r: Request) => createRestHandler(trainingModuleStyle, () => w.deps)(r),
  };
  const call = async (
    style: keyof typeof handlers,
    base: string,
    method: string,
    path: string,
    init: { body?: string | FormData; headers?: Record<string, string> } = {},
  ) => {
    const response = await handlers[style](
      new Request(`http://localhost${base}${path}`, { method, ...init }),
    );
    const type = response.headers.get('content-type') ?? '';
    // The answers' shapes are what the assertions check.
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const body: any = type.includes('json') ? await response.json() : null;
    return { status: response.status, response, body };
  };
  const waitFor = async <T>(
    probe: () => Promise<T | null | undefined | false>,
    timeoutMs = 120_000,
  ): Promise<T> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await probe();
      if (value) return value;
      if (Date.now() > deadline) throw new Error('timed out');
      await new Promise((r) => setTimeout(r, 200));
    }
  };

  beforeAll(async () => {
    w = await makeWorld(provider, 1024 * 1024);
    worker = new Worker(
      {
        db: w.t.db,
        store: w.deps.store,
        log: pino({ level: 'silent' }),
        trainerId: `real-${provider}`,
        leaseMs: 20_000,
        pollMs: 100,
        maxAttempts: 2,
        backend: 'wasm',
      },
      { concurrency: 1, pollMs: 100, scheduleMs: 1000, databaseUrl: w.t.url },
      pino({ level: 'silent' }),
    );
    await worker.start();
  });
  afterAll(async () => {
    await worker?.stop();
    await w?.drop();
  });

  it('an MLW trainNN runs for real and is seen as an Edge Impulse job', async () => {
    const auth = { authorization: basic(w.a.users.EDITOR.email) };
    const project = `${w.a.projectId}_Project`;
    // MLW answers an upload with the project and its files by group; the upload is the newest of its name.
    const upload = async (name: string, content: string) => {
      const answer = (
        await call('mlw', '/service/mlw', 'POST', `/projects/${project}/resources`, {
          headers: auth,
          body: multipart({ file: { name, content } }),
        })
      ).body as { resources: Record<string, { id: string; name: string }[]> };
      const file = Object.values(answer.resources)
        .flat()
        .filter((r) => r.name === name)
        .sort((a, b) => parseInt(b.id) - parseInt(a.id))[0];
      if (!file) throw new Error(`the upload ${name} is not in the answer`);
      return file;
    };
    const data = await upload('blobs.csv', blobsCsv(90));
    const arch = await upload('net.architecture', JSON.stringify({ layers: [{ type: 'dense', units: 12 }] }));
    const code = await upload('prep.py', JSON.stringify({ scaling: 'standardize' }));
    const train = await call(
      'mlw',
      '/service/mlw',
      'POST',
      `/projects/${project}/resources/${arch.id}/trainNN`,
      {
        headers: { ...auth, 'content-type': 'text/plain' },
        body: JSON.stringify({
          batchSize: 8,
          epoch: EPOCHS,
          learningRate: 0.01,
          loss: 'categorical_crossentropy',
          metrics: ['accuracy'],
          optimizer: 'Adam',
          testSize: 0.2,
          recurrence: 'ONE_TIME',
          modelName: 'real',
          dataID: data.id,
          codeID: code.id,
          problemType: 'classification',
        }),
      },
    );
    expect(train.status).toBe(200);
    const taskId = train.body.id as string;
    const done = await waitFor(async () => {
      const task = (await call('mlw', '/service/mlw', 'GET', `/tasks/${taskId}`, { headers: auth })).body;
      return task.individualTasks?.[0]?.status === 'COMPLETED' ? task : null;
    });
    const sub = done.individualTasks[0];
    expect(sub.history).toHaveLength(EPOCHS);
    expect(sub.history.map((h: { epoch: number }) => h.epoch)).toEqual([1, 2, 3, 4]);
    expect(Object.keys(sub.log)).toEqual(expect.arrayContaining(['ARCH_READ', 'DATA_INIT', 'TRAIN', 'SAVE']));

    // The same execution, as an Edge Impulse job of the same project.
    const jobId = Number(sub.id);
    const status = await call('ei', '/v1', 'GET', `/api/${w.a.projectId}/jobs/${jobId}/status`, {
      headers: { 'x-api-key': w.a.keys.VIEWER },
    });
    expect(status.body).toMatchObject({ success: true, job: { id: jobId, finishedSuccessful: true } });
    const stdout = await call('ei', '/v1', 'GET', `/api/${w.a.projectId}/jobs/${jobId}/stdout`, {
      headers: { 'x-api-key': w.a.keys.VIEWER },
    });
    expect(stdout.body.success).toBe(true);
    expect(stdout.body.stdout.length).toBeGreaterThan(0);

    const model = await w.t.db.execution.findUniqueOrThrow({
      where: { id: jobId },
      include: { model: true },
    });
    expect(model.model?.kind).toBe('MODEL');
  });

  it('the session style runs start -> download_model with a real training', async () => {
    const headers = { 'x-api-key': w.a.keys.EDITOR };
    const { key } = (
      await call('tm', '/training-module', 'GET', '/start_session?force_restart=1', { headers })
    ).body;
    await call('tm', '/training-module', 'POST', `/parameters/${key}`, {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        epochs: EPOCHS,
        batch_size: 8,
        learning_rate: 0.01,
        eval_metrics: ['accuracy'],
        seed: 3,
      }),
    });
    const upload = await call('tm', '/training-module', 'POST', `/upload_dataset/${key}`, {
      body: multipart({
        train_file: { name: 'train.csv', content: blobsCsv(90) },
        test_file: { name: 'test.csv', content: blobsCsv(30) },
      }),
    });
    expect(upload.status).toBe(200);
    expect((await call('tm', '/training-module', 'POST', `/preprocess/${key}`)).status).toBe(200);
    const started = await call('tm', '/training-module', 'POST', `/training/start/${key}`);
    expect(started.status).toBe(200);
    await waitFor(
      async () =>
        (await call('tm', '/training-module', 'GET', `/model_ready/${key}`)).body?.model_ready === true,
    );
    const monitor = await call('tm', '/training-module', 'GET', `/monitor/${key}`);
    expect(monitor.status).toBe(200);
    const zip = await call('tm', '/training-module', 'GET', `/download_model/${key}`);
    expect(zip.status).toBe(200);
    const files = unzipSync(new Uint8Array(await zip.response.arrayBuffer()));
    expect(Object.keys(files).length).toBeGreaterThan(1);
    // Evaluated on the uploaded test file (30 rows), not on a split of the training file.
    const results = await call('tm', '/training-module', 'GET', `/download_results/${key}`);
    const metrics = results.body.test_metrics;
    expect(metrics.confusionMatrix.flat().reduce((a: number, b: number) => a + b, 0)).toBe(30);
  });
});
