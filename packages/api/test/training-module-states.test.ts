import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unzipSync } from 'fflate';
import { testProviders } from '@trainhub/db/testing';
import { createRestHandler } from '../src/rest/http';
import { trainingModuleStyle } from '../src/rest/training-module/routes';
import { IRIS_CSV, makeWorld, multipart, simulateTraining, type World } from './helpers';

// The session style's state machine as a table (state x endpoint -> answer): the README's table, tested
// cell by cell. Each row starts from a fresh session driven to that state; the endpoints run in the order
// of ENDPOINTS, where the only calls that move a session on (upload, stop, start) come last.

type Row =
  'setup' | 'preprocessing' | 'training' | 'done: completed' | 'done: stopped' | 'done: failed' | 'wiped';
type Endpoint =
  | 'monitor'
  | 'model_ready'
  | 'download_model'
  | 'download_results'
  | 'parameters'
  | 'preprocess'
  | 'upload_dataset'
  | 'training/stop'
  | 'training/start';

const ENDPOINTS: Endpoint[] = [
  'monitor',
  'model_ready',
  'download_model',
  'download_results',
  'parameters',
  'preprocess',
  'upload_dataset',
  'training/stop',
  'training/start',
];

// Status code of each cell; a 200 of a JSON endpoint is the server status dictionary in the row's state.
const TABLE: Record<Row, Record<Endpoint, number>> = {
  setup: {
    monitor: 200,
    model_ready: 200,
    download_model: 409,
    download_results: 409,
    parameters: 200,
    preprocess: 409,
    upload_dataset: 200,
    'training/stop': 409,
    'training/start': 409,
  },
  preprocessing: {
    monitor: 200,
    model_ready: 200,
    download_model: 409,
    download_results: 409,
    parameters: 409,
    preprocess: 409,
    upload_dataset: 409,
    'training/stop': 409,
    'training/start': 200,
  },
  training: {
    monitor: 200,
    model_ready: 200,
    download_model: 409,
    download_results: 409,
    parameters: 409,
    preprocess: 409,
    upload_dataset: 409,
    'training/stop': 200,
    'training/start': 409,
  },
  'done: completed': {
    monitor: 200,
    model_ready: 200,
    download_model: 200,
    download_results: 200,
    parameters: 409,
    preprocess: 409,
    upload_dataset: 409,
    'training/stop': 409,
    'training/start': 409,
  },
  'done: stopped': {
    monitor: 200,
    model_ready: 200,
    download_model: 200,
    download_results: 200,
    parameters: 409,
    preprocess: 409,
    upload_dataset: 409,
    'training/stop': 409,
    'training/start': 409,
  },
  'done: failed': {
    monitor: 200,
    model_ready: 200,
    download_model: 409,
    download_results: 409,
    parameters: 409,
    preprocess: 409,
    upload_dataset: 409,
    'training/stop': 409,
    'training/start': 409,
  },
  wiped: {
    monitor: 401,
    model_ready: 401,
    download_model: 401,
    download_results: 401,
    parameters: 401,
    preprocess: 401,
    upload_dataset: 401,
    'training/stop': 401,
    'training/start': 401,
  },
};

const MODEL_READY: Record<Row, boolean | null> = {
  setup: false,
  preprocessing: false,
  training: false,
  'done: completed': true,
  'done: stopped': true,
  'done: failed': false,
  wiped: null,
};

const FAILURE = 'row 4, column "petal_width": "n/a" is not a number';

describe.each(testProviders)('training module state machine on %s', (provider) => {
  let w: World;
  let handle: (request: Request) => Promise<Response>;
  const call = async (method: string, path: string, init: { body?: BodyInit; json?: unknown } = {}) => {
    const response = await handle(
      new Request(`http://localhost/training-module${path}`, {
        method,
        body: init.json !== undefined ? JSON.stringify(init.json) : init.body,
        headers: {
          'x-api-key': w.a.keys.EDITOR,
          ...(init.json !== undefined ? { 'content-type': 'application/json' } : {}),
        },
      }),
    );
    const file = !!response.headers.get('content-disposition');
    return {
      status: response.status,
      response,
      body: file ? null : ((await response.json()) as Record<string, unknown>),
    };
  };
  const upload = (key: string) =>
    call('POST', `/upload_dataset/${key}`, {
      body: multipart({
        train_file: { name: 'train.csv', content: IRIS_CSV },
        test_file: { name: 'test.csv', content: IRIS_CSV },
      }),
    });

  /** A fresh session in the row's state; returns its key. */
  async function sessionIn(row: Row): Promise<string> {
    const start = await call('GET', '/start_session?force_restart=1');
    const key = start.body!.key as string;
    if (row === 'setup') return key;
    if (row === 'wiped') {
      await call('GET', '/start_session?force_restart=1');
      return key;
    }
    expect((await upload(key)).status).toBe(200);
    expect((await call('POST', `/preprocess/${key}`)).status).toBe(200);
    if (row === 'preprocessing') return key;
    const started = await call('POST', `/training/start/${key}`);
    const jobId = started.body!.job_id as number;
    if (row === 'training') {
      await simulateTraining(w, jobId, { epochs: 1, finish: null });
      return key;
    }
    if (row === 'done: failed') {
      await simulateTraining(w, jobId, { epochs: 1, finish: null });
      await w.t.db.execution.update({
        where: { id: jobId },
        data: { status: 'FAILED', error: FAILURE, message: 'Failed', finishedAt: new Date() },
      });
    } else {
      await simulateTraining(w, jobId, {
        epochs: 2,
        finish: row === 'done: stopped' ? 'STOPPED' : 'COMPLETED',
      });
    }
    return key;
  }

  const request = (endpoint: Endpoint, key: string) => {
    switch (endpoint) {
      case 'parameters':
        return call('POST', `/parameters/${key}`, { json: { epochs: 2 } });
      case 'upload_dataset':
        return upload(key);
      case 'preprocess':
      case 'training/stop':
      case 'training/start':
        return call('POST', `/${endpoint}/${key}`);
      default:
        return call('GET', `/${endpoint}/${key}`);
    }
  };

  beforeAll(async () => {
    w = await makeWorld(provider);
    handle = createRestHandler(trainingModuleStyle, () => w.deps);
  });
  afterAll(async () => {
    await w?.drop();
  });

  it.each(Object.keys(TABLE) as Row[])('%s', async (row) => {
    const key = await sessionIn(row);
    const state = row.startsWith('done') ? 'done' : row;
    for (const endpoint of ENDPOINTS) {
      const answer = await request(endpoint, key);
      expect({ endpoint, status: answer.status }).toEqual({ endpoint, status: TABLE[row][endpoint] });
      if (answer.status !== 200) {
        expect(typeof answer.body!.detail).toBe('string');
        continue;
      }
      if (!answer.body) continue; // a download
      // The answer is the status dictionary in the state the call leaves the session in.
      const after = endpoint === 'training/start' ? 'training' : state;
      expect({ endpoint, state: answer.body.state }).toEqual({ endpoint, state: after });
      if (endpoint === 'model_ready') expect(answer.body.model_ready).toBe(MODEL_READY[row]);
    }
    if (row === 'wiped') return;
    const status = await call('GET', '/status');
    expect(status.body!.state).toBe(state === 'preprocessing' ? 'training' : state); // start ran last
  });

  it('a stopped training keeps its model: ready, and the model and results download', async () => {
    const key = await sessionIn('training');
    const stop = await call('POST', `/training/stop/${key}`);
    expect(stop.body).toMatchObject({ state: 'training', model_ready: false });
    const jobId = stop.body!.job_id as number;
    expect((await w.t.db.execution.findUniqueOrThrow({ where: { id: jobId } })).stopRequest).toBe('STOP');
    // The trainer honours the stop: it saves the model trained so far and ends the run STOPPED.
    await simulateTraining(w, jobId, { epochs: 0, finish: 'STOPPED' });
    const ready = await call('GET', `/model_ready/${key}`);
    expect(ready.body).toMatchObject({
      state: 'done',
      training_status: 'stopped',
      model_ready: true,
      error: null,
    });
    const model = await call('GET', `/download_model/${key}`);
    expect(model.status).toBe(200);
    const files = unzipSync(new Uint8Array(await model.response.arrayBuffer()));
    expect(Object.keys(files)).toContain(`model/model-${jobId}.json`);
    const results = await call('GET', `/download_results/${key}`);
    expect(results.status).toBe(200);
    expect(JSON.parse(await results.response.text())).toMatchObject({
      job_id: jobId,
      training_status: 'stopped',
    });
  });

  it('a failure’s reason is in status, monitor, preprocess_status and model_ready', async () => {
    const key = await sessionIn('done: failed');
    for (const path of ['/status', `/monitor/${key}`, '/preprocess_status', `/model_ready/${key}`]) {
      const answer = await call('GET', path);
      expect({ path, body: answer.body }).toMatchObject({
        path,
        body: {
          state: 'done',
          training_status: 'failed',
          error: FAILURE,
          message: `training failed: ${FAILURE}`,
        },
      });
    }
    const download = await call('GET', `/download_model/${key}`);
    expect(download).toMatchObject({ status: 409, body: { detail: expect.stringContaining(FAILURE) } });
  });

  it('a preprocessing failure is kept in the session until the next upload', async () => {
    const key = (await call('GET', '/start_session?force_restart=1')).body!.key as string;
    const uploaded = await call('POST', `/upload_dataset/${key}`, {
      body: multipart({
        train_file: { name: 'a.csv', content: 'f,label\n1,x\n2,y\n' },
        test_file: { name: 'b.csv', content: 'g,label\n1,x\n2,y\n' },
      }),
    });
    expect(uploaded.status).toBe(200);
    expect(await call('POST', `/preprocess/${key}`)).toMatchObject({ status: 400 });
    const status = await call('GET', '/preprocess_status');
    expect(status.body).toMatchObject({
      state: 'setup',
      preprocess_status: 'failed',
      error: 'train_file and test_file have different columns',
    });
    expect(status.body!.message).toMatch(/^preprocessing failed: /);
    await upload(key);
    expect((await call('GET', '/status')).body).toMatchObject({
      preprocess_status: 'not started',
      error: null,
    });
  });

  it.each(['setup', 'preprocessing', 'training', 'done: completed'] as Row[])(
    'stop?force_restart=1 wipes the session from %s: the key stops working, a new session needs no force',
    async (row) => {
      const key = await sessionIn(row);
      const jobId = (await call('GET', `/monitor/${key}`)).body!.job_id as number | null;
      const wiped = await call('POST', `/training/stop/${key}?force_restart=1`);
      expect(wiped.status).toBe(200);
      expect(wiped.body).toMatchObject({ key: null, message: expect.stringContaining('wiped') });
      expect((await call('GET', `/monitor/${key}`)).status).toBe(401);
      expect((await call('GET', '/status')).status).toBe(404);
      if (row === 'training') {
        expect((await w.t.db.execution.findUniqueOrThrow({ where: { id: jobId! } })).stopRequest).toBe(
          'CANCEL',
        );
      }
      expect((await call('GET', '/start_session')).status).toBe(200);
    },
  );

  it('GET /parameters returns the session key; start_session?force_restart=1 wipes the old one', async () => {
    const first = (await call('GET', '/start_session?force_restart=1')).body!.key as string;
    const params = await call('GET', '/parameters');
    expect(params.body).toMatchObject({ state: 'setup', key: first });
    const second = (await call('GET', '/start_session?force_restart=1')).body!.key as string;
    expect(second).not.toBe(first);
    expect((await call('GET', '/parameters')).body!.key).toBe(second);
    expect((await call('GET', `/model_ready/${first}`)).status).toBe(401);
    // The key acts as an editor: a viewer sees the config, not the key.
    const viewer = await handle(
      new Request('http://localhost/training-module/parameters', {
        headers: { 'x-api-key': w.a.keys.VIEWER },
      }),
    );
    expect(await viewer.json()).toMatchObject({ state: 'setup', key: null });
    // The key itself is not stored: only its hash and the nonce it is derived from.
    const rows = await w.t.db.trainingSession.findMany();
    expect(JSON.stringify(rows)).not.toContain(second);
  });
});
