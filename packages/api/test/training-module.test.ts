import { unzipSync, strFromU8 } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testProviders } from '@trainhub/db/testing';
import { createRestHandler } from '../src/rest/http';
import { trainingModuleStyle } from '../src/rest/training-module/routes';
import { IRIS_CSV, makeWorld, multipart, simulateTraining, type World } from './helpers';

describe.each(testProviders)('training module (session) style on %s', (provider) => {
  let w: World;
  let handle: (request: Request) => Promise<Response>;
  const call = async (
    method: string,
    path: string,
    init: { body?: BodyInit; json?: unknown; headers?: Record<string, string> } = {},
  ) => {
    const response = await handle(
      new Request(`http://localhost/training-module${path}`, {
        method,
        body: init.json !== undefined ? JSON.stringify(init.json) : init.body,
        headers: {
          ...(init.json !== undefined ? { 'content-type': 'application/json' } : {}),
          ...init.headers,
        },
      }),
    );
    const type = response.headers.get('content-type') ?? '';
    return {
      status: response.status,
      response,
      body:
        type.includes('json') && !response.headers.get('content-disposition') ? await response.json() : null,
    };
  };
  const apiKey = () => ({ 'x-api-key': w.a.keys.EDITOR });

  beforeAll(async () => {
    w = await makeWorld(provider);
    handle = createRestHandler(trainingModuleStyle, () => w.deps);
  });
  afterAll(async () => {
    await w?.drop();
  });

  it('runs the whole flow setup -> preprocessing -> training -> done -> download_model', async () => {
    expect((await call('GET', '/healthcheck')).body).toEqual({ status: 'ok', message: expect.any(String) });
    const start = await call('GET', '/start_session', { headers: apiKey() });
    expect(start.status).toBe(200);
    expect(start.body).toMatchObject({ state: 'setup', key: expect.stringMatching(/^tm_/) });
    const key = start.body.key as string;
    // A second start while one is active is refused unless forced.
    expect((await call('GET', '/start_session', { headers: apiKey() })).status).toBe(409);

    const params = await call('POST', `/parameters/${key}`, {
      json: {
        epochs: 3,
        batch_size: 4,
        learning_rate: 0.01,
        eval_metrics: ['accuracy'],
        seed: 7,
        unknown: 1,
      },
    });
    expect(params.body).toMatchObject({
      state: 'setup',
      config: { epochs: 3, batch_size: 4, learning_rate: 0.01, seed: 7 },
    });
    expect((await call('GET', '/parameters', { headers: apiKey() })).body.config.epochs).toBe(3);
    // Preprocessing needs the datasets.
    expect((await call('POST', `/preprocess/${key}`)).status).toBe(409);
    const upload = await call('POST', `/upload_dataset/${key}`, {
      body: multipart({
        test_file: { name: 'test.csv', content: IRIS_CSV },
        train_file: { name: 'train.csv', content: IRIS_CSV },
      }),
    });
    expect(upload.status).toBe(200);
    expect(upload.body.datasets).toEqual({ train_file: 'train.csv', test_file: 'test.csv' });
    const pre = await call('POST', `/preprocess/${key}`);
    expect(pre.body).toMatchObject({ state: 'preprocessing', preprocess_status: 'done' });
    expect((await call('GET', '/preprocess_status', { headers: apiKey() })).body.state).toBe('preprocessing');
    // Configuring or uploading outside setup is an error.
    expect(await call('POST', `/parameters/${key}`, { json: { epochs: 4 } })).toMatchObject({
      status: 409,
      body: { detail: expect.any(String) },
    });

    const started = await call('POST', `/training/start/${key}`);
    expect(started.body).toMatchObject({
      state: 'training',
      training_status: 'queued',
      job_id: expect.any(Number),
    });
    const jobId = started.body.job_id as number;
    const task = await w.t.db.execution.findUniqueOrThrow({ where: { id: jobId }, include: { task: true } });
    // The named model is stored as its layers (version 2): the trainer knows no session-style name.
    expect(task.task.definition).toEqual({
      version: 2,
      problemType: 'classification',
      spec: {
        format: 'trainhub.architecture',
        version: 1,
        name: 'mlp',
        layers: [
          { type: 'dense', units: 64, activation: 'relu' },
          { type: 'dense', units: 32, activation: 'relu' },
        ],
        output: { dropout: 0 },
      },
      datasetResourceId: expect.any(Number),
      testDatasetResourceId: expect.any(Number),
      modelName: 'mlp',
    });
    expect(task.task.hyperparameters).toEqual({
      epochs: 3,
      batchSize: 4,
      learningRate: 0.01,
      metrics: ['accuracy'],
      seed: 7,
    });
    expect((await call('GET', `/download_model/${key}`)).status).toBe(409);
    expect((await call('GET', `/model_ready/${key}`)).body.model_ready).toBe(false);

    await simulateTraining(w, jobId, { epochs: 3, finish: null });
    const monitor = await call('GET', `/monitor/${key}`);
    expect(monitor.body).toMatchObject({
      state: 'training',
      training_status: 'running',
      epoch: 3,
      metrics: { loss: 1 / 3 },
    });
    await simulateTraining(w, jobId, { epochs: 0 });
    const status = await call('GET', '/status', { headers: apiKey() });
    expect(status.body).toMatchObject({ state: 'done', training_status: 'completed', model_ready: true });

    const model = await call('GET', `/download_model/${key}`);
    expect(model.status).toBe(200);
    expect(model.response.headers.get('content-type')).toBe('application/zip');
    const files = unzipSync(new Uint8Array(await model.response.arrayBuffer()));
    expect(Object.keys(files).sort()).toEqual(['metadata.json', `model/model-${jobId}.json`]);
    expect(JSON.parse(strFromU8(files['metadata.json']!))).toMatchObject({
      job_id: jobId,
      metrics: { accuracy: 0.9 },
    });
    const results = await call('GET', `/download_results/${key}`);
    expect(results.response.headers.get('content-type')).toBe('application/json');
    const parsed = JSON.parse(await results.response.text());
    expect(parsed).toMatchObject({ job_id: jobId, test_metrics: { accuracy: 0.9 } });
    expect(parsed.history).toHaveLength(3);

    // The state is in the database: a new handler (a restarted web process) sees the same session.
    const restarted = createRestHandler(trainingModuleStyle, () => w.deps);
    const again = await restarted(new Request(`http://localhost/training-module/model_ready/${key}`));
    expect((await again.json()).model_ready).toBe(true);

    // force_restart wipes the session: its key stops working.
    const forced = await call('GET', '/start_session?force_restart=1', { headers: apiKey() });
    expect(forced.body.state).toBe('setup');
    expect((await call('GET', `/monitor/${key}`)).status).toBe(401);
  });

  it('stop requests a stop of the running training', async () => {
    const key = (await call('GET', '/start_session?force_restart=1', { headers: apiKey() })).body.key;
    await call('POST', `/upload_dataset/${key}`, {
      body: multipart({
        train_file: { name: 'a.csv', content: IRIS_CSV },
        test_file: { name: 'b.csv', content: IRIS_CSV },
      }),
    });
    await call('POST', `/preprocess/${key}`);
    const { body } = await call('POST', `/training/start/${key}`);
    await simulateTraining(w, body.job_id, { finish: null });
    const stop = await call('POST', `/training/stop/${key}`);
    expect(stop.body).toMatchObject({ state: 'training', training_status: 'running' });
    expect((await w.t.db.execution.findUniqueOrThrow({ where: { id: body.job_id } })).stopRequest).toBe(
      'STOP',
    );
  });

  describe('bad input', () => {
    it('validation errors are 422 { detail: [{ type, loc, msg, input }] } and change nothing', async () => {
      const key = (await call('GET', '/start_session?force_restart=1', { headers: apiKey() })).body.key;
      const wrong = await call('POST', `/parameters/${key}`, { json: { epochs: 'ten' } });
      expect(wrong.status).toBe(422);
      expect(wrong.body).toEqual({
        detail: [
          {
            type: 'int_parsing',
            loc: ['body', 'epochs'],
            msg: 'Input should be a valid integer, unable to parse string as an integer',
            input: 'ten',
          },
        ],
      });
      const malformed = await call('POST', `/parameters/${key}`, {
        body: '{"epochs":',
        headers: { 'content-type': 'application/json' },
      });
      expect(malformed.status).toBe(422);
      expect(malformed.body.detail).toEqual([
        {
          type: 'json_invalid',
          loc: ['body', 10],
          msg: 'JSON decode error',
          input: {},
          ctx: { error: 'Expecting value' },
        },
      ]);
      const force = await call('GET', '/start_session?force_restart=yes', { headers: apiKey() });
      expect(force.status).toBe(422);
      expect(force.body.detail[0].loc).toEqual(['query', 'force_restart']);
      expect((await call('GET', '/parameters', { headers: apiKey() })).body.config.epochs).toBe(10);
    });

    it('uploads: too large is 413, one file missing is 422, names are sanitized; nothing is kept on failure', async () => {
      const key = (await call('GET', '/start_session?force_restart=1', { headers: apiKey() })).body.key;
      const before = await w.t.db.resource.count();
      const big = await call('POST', `/upload_dataset/${key}`, {
        body: multipart({
          train_file: { name: 'a.csv', content: IRIS_CSV },
          test_file: { name: 'b.csv', content: 'x'.repeat(w.deps.uploadLimitBytes + 1) },
        }),
      });
      expect(big).toMatchObject({ status: 413, body: { detail: expect.any(String) } });
      const one = await call('POST', `/upload_dataset/${key}`, {
        body: multipart({ train_file: { name: 'a.csv', content: IRIS_CSV } }),
      });
      expect(one).toMatchObject({
        status: 422,
        body: { detail: [{ type: 'missing', loc: ['body', 'test_file'], input: null }] },
      });
      expect(await w.t.db.resource.count()).toBe(before);
      const evil = await call('POST', `/upload_dataset/${key}`, {
        body: multipart({
          train_file: { name: '../../x/train.csv', content: IRIS_CSV },
          test_file: { name: '..\\..\\test.csv', content: IRIS_CSV },
        }),
      });
      expect(evil.body.datasets).toEqual({ train_file: 'train.csv', test_file: 'test.csv' });
    });

    it('auth: no key 401, bad key 401, viewer key 403, unknown session key 401, a foreign team sees no session', async () => {
      expect(await call('GET', '/start_session')).toMatchObject({
        status: 401,
        body: { detail: 'Not authenticated' },
      });
      expect(
        await call('GET', '/start_session', { headers: { authorization: 'Bearer th_bad' } }),
      ).toMatchObject({ status: 401 });
      expect(
        (await call('GET', '/start_session', { headers: { 'x-api-key': w.a.keys.VIEWER } })).status,
      ).toBe(403);
      expect((await call('POST', '/preprocess/tm_unknown')).status).toBe(401);
      expect((await call('GET', '/status', { headers: { 'x-api-key': w.b.keys.OWNER } })).status).toBe(404);
      const viaBearer = await call('GET', '/status', {
        headers: { authorization: `Bearer ${w.a.keys.VIEWER}` },
      });
      expect(viaBearer.status).toBe(200);
    });

    it('import_model needs the local model store', async () => {
      const key = (await call('GET', '/start_session?force_restart=1', { headers: apiKey() })).body.key;
      const response = await call('POST', `/import_model/${key}?model_type=bert&model_name=bert-base`);
      expect(response.status).toBe(404);
      expect(response.body.detail).toContain('PRETRAINED_MODELS_DIR');
      expect((await call('POST', `/import_model/${key}`)).status).toBe(422);
    });
  });
});
