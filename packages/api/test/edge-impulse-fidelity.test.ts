import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EdgeImpulseApi } from 'edge-impulse-api';
import { Server } from 'socket.io';
import { io as connect } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testProviders } from '@trainhub/db/testing';
import { generateToken } from '../src/auth/secrets';
import { createRestHandler, nodeRequestHandler } from '../src/rest';
import { edgeImpulseStyle, eiRoutes } from '../src/rest/edge-impulse/routes';
import { EI_SOCKET_OPTIONS, attachEdgeImpulseSockets } from '../src/rest/edge-impulse/socket';
import { checkResponse } from './ei-models';
import { IRIS_CSV, PASSWORD, makeWorld, simulateTraining, type World } from './helpers';

// Edge Impulse clients unchanged (fidelity note docs/fidelity/edge-impulse.md): the official Node bindings
// (npm edge-impulse-api) against the REST style and socket feed served as apps/web/server.ts serves them, and
// every JSON answer the tests get checked against the bindings' response models (required fields, types).

const DSP_BLOCK = {
  id: 2,
  type: 'spectral-analysis',
  name: 'Spectral features',
  title: 'Spectral Analysis',
  axes: ['accX', 'accY'],
  implementationVersion: 4,
  input: 1,
};
const INPUT_BLOCK = {
  id: 1,
  type: 'time-series',
  name: 'Time series',
  title: 'Time series data',
  windowSizeMs: 2000,
  windowIncreaseMs: 500,
  frequencyHz: 62.5,
  padZeros: true,
};
const KERAS_JSON = JSON.stringify({
  class_name: 'Sequential',
  config: {
    name: 'seq',
    layers: [{ class_name: 'Dense', config: { units: 8, activation: 'relu' } }],
  },
});

describe.each(testProviders)('Edge Impulse clients on %s', (provider) => {
  let w: World;
  let server: HttpServer;
  let io: Server;
  let feed: { close(): void };
  let base: string;
  /** Every JSON answer seen, by operationId (checked against the bindings' models at the end). */
  const seen: { operationId: string; status: number; body: unknown }[] = [];

  const compiled = eiRoutes.map((route) => ({
    route,
    regex: new RegExp(`^/v1${route.path.replace(/\{\w+\}/g, '[^/]+')}/?$`),
  }));
  const record = (method: string, path: string, status: number, body: unknown) => {
    const match = compiled.find((c) => c.route.method === method && c.regex.test(path));
    if (match) seen.push({ operationId: match.route.operationId, status, body });
  };
  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const response = await fetch(`${base}/v1${path}`, {
      method,
      headers: { 'content-type': 'application/json', ...headers },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    const type = response.headers.get('content-type') ?? '';
    const parsed = type.includes('json') ? await response.json() : await response.text();
    return { status: response.status, body: parsed, headers: response.headers };
  };

  const admin = () => ({ 'x-api-key': w.a.keys.ADMIN });

  beforeAll(async () => {
    w = await makeWorld(provider);
    await w.t.db.resource.create({
      data: {
        projectId: w.a.projectId,
        kind: 'DATASET',
        name: 'iris.csv',
        size: IRIS_CSV.length,
        contentHash: 'x',
        storageKey: 'k',
      },
    });
    const handle = createRestHandler(edgeImpulseStyle, () => w.deps);
    // Every JSON answer, whoever asked (these tests or the bindings), is recorded for the model check.
    const recording = async (request: Request) => {
      const response = await handle(request);
      if ((response.headers.get('content-type') ?? '').includes('json')) {
        const path = new URL(request.url).pathname;
        record(request.method, path, response.status, await response.clone().json());
      }
      return response;
    };
    const serve = nodeRequestHandler([{ prefix: '/v1', handle: recording }]);
    server = createServer((req, res) => {
      void serve(req, res).then((served) => {
        if (!served) res.writeHead(404).end();
      });
    });
    io = new Server(server, EI_SOCKET_OPTIONS);
    feed = attachEdgeImpulseSockets(io, w.deps, { pollMs: 100 });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    feed?.close();
    await new Promise((resolve) => (io ? io.close(resolve) : resolve(undefined)));
    await w?.drop();
  });

  it('keeps the impulse as sent: input/DSP blocks, the client’s learn block ids, the impulse id', async () => {
    const created = await call(
      'POST',
      `/api/${w.a.projectId}/impulse`,
      {
        name: 'Motion',
        inputBlocks: [INPUT_BLOCK],
        dspBlocks: [DSP_BLOCK],
        learnBlocks: [{ id: 3, type: 'keras', name: 'NN Classifier', title: 'Classifier', dsp: [2] }],
      },
      admin(),
    );
    expect(created.body).toMatchObject({ success: true, id: 1 });
    const { body } = await call('GET', `/api/${w.a.projectId}/impulse`, undefined, admin());
    expect(body.impulse).toEqual({
      id: 1,
      name: 'Motion',
      type: 'default',
      inputBlocks: [INPUT_BLOCK],
      dspBlocks: [DSP_BLOCK],
      learnBlocks: [
        {
          id: 3,
          type: 'keras',
          name: 'NN Classifier',
          title: 'Classifier',
          dsp: [2],
          primaryVersion: true,
        },
      ],
      postProcessingBlocks: [],
    });
    // The client's id works on every learn route.
    const keras = await call('GET', `/api/${w.a.projectId}/training/keras/3`, undefined, admin());
    expect(keras.status).toBe(200);
    expect(keras.body).toMatchObject({
      success: true,
      name: 'Classifier',
      trainingCycles: 30,
      trained: false,
    });
    const next = await call('POST', `/api/${w.a.projectId}/impulse/get-new-block-id`, undefined, admin());
    expect(next.body).toEqual({ success: true, blockId: 4 });
    // Sent again with a new block: 3 is the same row, 4 a new one; ids stay.
    await call(
      'POST',
      `/api/${w.a.projectId}/impulse`,
      {
        inputBlocks: [INPUT_BLOCK],
        dspBlocks: [DSP_BLOCK],
        learnBlocks: [
          { id: 3, type: 'keras', name: 'NN Classifier', title: 'Classifier v2', dsp: [2] },
          { id: 4, type: 'keras-regression', name: 'Regression', title: 'Regression', dsp: [2] },
        ],
      },
      admin(),
    );
    const rows = await w.t.db.learnBlock.findMany({
      where: { projectId: w.a.projectId },
      orderBy: { id: 'asc' },
    });
    expect(rows.map((r) => [r.blockId, r.title])).toEqual([
      [3, 'Classifier v2'],
      [4, 'Regression'],
    ]);
    // Another project may use the same ids.
    const other = await call(
      'POST',
      `/api/${w.b.projectId}/impulse`,
      { learnBlocks: [{ id: 3, type: 'keras', name: 'b', title: 'b', dsp: [] }] },
      { 'x-api-key': w.b.keys.ADMIN },
    );
    expect(other.body).toMatchObject({ success: true, id: 1 });
    const bad = await call(
      'POST',
      `/api/${w.a.projectId}/impulse`,
      {
        learnBlocks: [
          { id: 3, name: 'x', title: 'x' },
          { id: 3, name: 'y', title: 'y' },
        ],
      },
      admin(),
    );
    let deep: unknown = 1;
    for (let i = 0; i < 100; i++) deep = { x: deep };
    const tooDeep = await call(
      'POST',
      `/api/${w.a.projectId}/impulse`,
      { inputBlocks: [{ ...INPUT_BLOCK, extra: deep }], learnBlocks: [] },
      admin(),
    );
    expect(tooDeep).toMatchObject({
      status: 400,
      body: { success: false, error: expect.stringContaining('deeper') },
    });
    expect(bad).toMatchObject({
      status: 400,
      body: { success: false, error: expect.stringContaining('id 3') },
    });
  });

  it('the bindings README flow with an ei_ API key: runJobUntilCompletion gets the lines, each epoch once', async () => {
    const key = w.a.keys.EDITOR;
    expect(key.startsWith('ei_')).toBe(true);
    const api = new EdgeImpulseApi({ endpoint: base });
    await api.authenticate({ method: 'apiKey', apiKey: key });
    const projects = await api.projects.listProjects();
    expect(projects.projects.map((p) => p.id)).toContain(w.a.projectId);
    const impulse = await api.impulse.getImpulse(w.a.projectId);
    const block = impulse.impulse!.learnBlocks.find((b) => b.type.includes('keras'))!;
    expect(block.id).toBe(3);
    const config = await api.learn.getKeras(w.a.projectId, block.id);
    const job = await api.jobs.trainKerasJob(w.a.projectId, block.id, { ...config, trainingCycles: 2 });
    const lines: string[] = [];
    const simulate = (async () => {
      await new Promise((r) => setTimeout(r, 1500));
      await simulateTraining(w, job.id, { epochs: 2 });
    })();
    await api.runJobUntilCompletion({ type: 'project', projectId: w.a.projectId, jobId: job.id }, (data) =>
      lines.push(data),
    );
    await simulate;
    expect(lines[0]).toBe('Connected to job\n');
    expect(lines.filter((l) => l.startsWith('Epoch 1'))).toEqual(['Epoch 1/2 - loss: 1.0000\n']);
    expect(lines.filter((l) => l.startsWith('Epoch 2'))).toEqual(['Epoch 2/2 - loss: 0.5000\n']);
    const status = await api.jobs.getJobStatus(w.a.projectId, job.id);
    expect(status.job).toMatchObject({ id: job.id, finishedSuccessful: true, key: 'keras-3' });
  }, 60_000);

  it('username/password: a failed job makes runJobUntilCompletion throw "Job failed"', async () => {
    const api = new EdgeImpulseApi({ endpoint: base });
    const login = await api.login.login({ username: w.a.users.EDITOR.email, password: PASSWORD });
    await api.authenticate({ method: 'jwtToken', jwtToken: login.token! });
    const job = await api.jobs.trainKerasJob(w.a.projectId, 3, {});
    setTimeout(() => void simulateTraining(w, job.id, { epochs: 1, finish: 'FAILED' }), 500);
    await expect(
      api.runJobUntilCompletion({ type: 'project', projectId: w.a.projectId, jobId: job.id }),
    ).rejects.toThrow('Job failed');
  }, 60_000);

  it('socket.io v4 clients: generic job-finished {jobId, success}; a late subscriber gets the lines and the end', async () => {
    const { body } = await call('POST', `/api/${w.a.projectId}/jobs/train/keras/3`, {}, admin());
    const jobId = body.id as number;
    await simulateTraining(w, jobId, { epochs: 2 });
    const token = await call('GET', `/api/${w.a.projectId}/socket-token`, undefined, admin());
    // The Python SDK's way: ?token= in the URL, websocket only, then wait for the generic event.
    const client = connect(base, {
      transports: ['websocket'],
      query: { token: token.body.token.socketToken },
    });
    try {
      const events: [string, unknown][] = [];
      client.onAny((name: string, payload: unknown) => events.push([name, payload]));
      await new Promise<void>((resolve) => client.on('hello', () => resolve()));
      expect(events[0]).toEqual(['hello', { hello: { version: 1 } }]);
      // The replay, then this job's end (ends of the project's recent jobs may come before it too).
      const replayed = new Promise<void>((resolve) =>
        client.onAny(
          (name: string) =>
            name === `job-finished-${jobId}` && events.some(([n]) => n === `job-data-${jobId}`) && resolve(),
        ),
      );
      client.emit('start-log-stream', { jobId, lastReceivedTimestamp: 0 });
      await replayed;
      const data = events
        .filter(([name]) => name === `job-data-${jobId}`)
        .map(([, p]) => (p as { data: string }).data);
      expect(data).toEqual(['Stage TRAIN\n', 'Epoch 1/2 - loss: 1.0000\n', 'Epoch 2/2 - loss: 0.5000\n']);
      const last = events.map(([name]) => name).lastIndexOf(`job-data-${jobId}`);
      const after = events.slice(last + 1);
      expect(after).toContainEqual([`job-finished-${jobId}`, { jobId, success: true }]);
      expect(after).toContainEqual(['job-finished', { jobId, success: true }]);
      // lastReceivedTimestamp: nothing written after now is replayed, the end is not announced twice.
      const before = events.length;
      client.emit('start-log-stream', { jobId, lastReceivedTimestamp: Date.now() + 60_000 });
      await new Promise((r) => setTimeout(r, 500));
      expect(events.slice(before)).toEqual([]);
    } finally {
      client.close();
    }
  });

  it('ei_ keys: created per project with Edge Impulse roles, readable back, bound by their role and project', async () => {
    const created = await call(
      'POST',
      `/api/${w.a.projectId}/apikeys`,
      { name: 'ci', isDevelopmentKey: false, role: 'readonly' },
      { 'x-api-key': w.a.keys.ADMIN },
    );
    expect(created.body).toEqual({
      success: true,
      id: expect.any(Number),
      apiKey: expect.stringMatching(/^ei_/),
    });
    const readonly = created.body.apiKey as string;
    const info = await call('GET', '/api/projects/api-key-info', undefined, { 'x-api-key': readonly });
    expect(info.body).toEqual({
      success: true,
      apiKeyId: created.body.id,
      projectId: w.a.projectId,
      role: 'readonly',
    });
    const listed = await call('GET', `/api/${w.a.projectId}/apikeys`, undefined, {
      'x-api-key': w.a.keys.ADMIN,
    });
    expect(listed.body.apiKeys).toContainEqual({
      id: created.body.id,
      apiKey: expect.stringMatching(/^ei_.*…$/),
      isDevelopmentKey: false,
      name: 'ci',
      created: expect.any(String),
      role: 'readonly',
    });
    // The key acts in its project only, with its role only.
    const train = await call(
      'POST',
      `/api/${w.a.projectId}/jobs/train/keras/3`,
      {},
      { 'x-api-key': readonly },
    );
    expect(train.status).toBe(403);
    const other = await w.t.db.project.create({ data: { teamId: w.a.id, name: 'other' } });
    expect((await call('GET', `/api/${other.id}/impulse`, undefined, { 'x-api-key': readonly })).status).toBe(
      404,
    );
    // A project-scoped key below admin creates no keys and sees no key list (an admin one: its project's).
    for (const key of [readonly, w.a.projectKey]) {
      const attempt = await call(
        'POST',
        `/api/${w.a.projectId}/apikeys`,
        { name: 'x', isDevelopmentKey: false, role: 'readonly' },
        { 'x-api-key': key },
      );
      expect(attempt.status).toBe(403);
      expect(
        (await call('GET', `/api/${w.a.projectId}/apikeys`, undefined, { 'x-api-key': key })).status,
      ).toBe(403);
    }
    // An editor cannot mint an admin key; another team's project is not found.
    const editor = await call(
      'POST',
      `/api/${w.a.projectId}/apikeys`,
      { name: 'x', isDevelopmentKey: false, role: 'admin' },
      { 'x-api-key': w.a.keys.EDITOR },
    );
    expect(editor.status).toBe(403);
    const foreign = await call('GET', `/api/${w.b.projectId}/apikeys`, undefined, {
      'x-api-key': w.a.keys.ADMIN,
    });
    const unknown = await call('GET', '/api/99999999/apikeys', undefined, { 'x-api-key': w.a.keys.ADMIN });
    expect(foreign).toMatchObject({ status: 404, body: unknown.body });
    // The bindings accept the key, and so do the other surfaces (it is looked up by hash, like th_ keys).
    const api = new EdgeImpulseApi({ endpoint: base });
    await api.authenticate({ method: 'apiKey', apiKey: readonly });
    expect((await api.projects.listProjects()).projects.map((p) => p.id)).toEqual([w.a.projectId]);
    // Keys issued before, with th_, keep working.
    const legacy = generateToken('th');
    await w.t.db.apiKey.create({
      data: {
        teamId: w.a.id,
        name: 'legacy',
        prefix: legacy.displayPrefix,
        keyHash: legacy.hash,
        role: 'VIEWER',
      },
    });
    expect(
      (await call('GET', `/api/${w.a.projectId}/impulse`, undefined, { 'x-api-key': legacy.token })).status,
    ).toBe(200);
  });

  it('creating a project answers a new project API key unless createApiKey is false', async () => {
    const login = await call('POST', '/api-login', { username: w.a.users.OWNER.email, password: PASSWORD });
    const jwt = { 'x-jwt-token': login.body.token as string };
    const made = await call('POST', '/api/projects/create', { projectName: 'with key' }, jwt);
    expect(made.body).toEqual({
      success: true,
      id: expect.any(Number),
      apiKey: expect.stringMatching(/^ei_/),
    });
    const info = await call('GET', '/api/projects/api-key-info', undefined, {
      'x-api-key': made.body.apiKey,
    });
    expect(info.body).toMatchObject({ projectId: made.body.id, role: 'admin' });
    const plain = await call(
      'POST',
      '/api/projects/create',
      { projectName: 'no key', createApiKey: false },
      jwt,
    );
    expect(plain.body).toEqual({ success: true, id: expect.any(Number), apiKey: '' });
  });

  it('jobs: active / all / history, stdout tail + logLevel + download, cancel, expert mode', async () => {
    const pid = w.a.projectId;
    const running = (await call('POST', `/api/${pid}/jobs/train/keras/3`, {}, admin())).body.id as number;
    const active = await call('GET', `/api/${pid}/jobs`, undefined, admin());
    expect(active.body.jobs.map((j: { id: number }) => j.id)).toEqual([running]);
    expect(active.body.totalJobCount).toBe(1);
    const history = await call('GET', `/api/${pid}/jobs/history?limit=100`, undefined, admin());
    expect(history.body.jobs.length).toBeGreaterThan(0);
    expect(history.body.jobs.every((j: { finished?: string }) => j.finished)).toBe(true);
    const all = await call('GET', `/api/${pid}/jobs/all?limit=100`, undefined, admin());
    expect(all.body.totalJobCount).toBe(history.body.totalJobCount + 1);
    const unfinished = await call('GET', `/api/${pid}/jobs/all?finished=false`, undefined, admin());
    expect(unfinished.body.jobs.map((j: { id: number }) => j.id)).toEqual([running]);
    // The bindings' listAllJobs spells the filter successful | failed | all (listAllJobsQueryParams).
    type Listed = { id: number; finishedSuccessful?: boolean };
    const ended = history.body.jobs as Listed[];
    for (const [finished, want] of [
      ['successful', ended.filter((j) => j.finishedSuccessful === true)],
      ['failed', ended.filter((j) => j.finishedSuccessful === false)],
    ] as const) {
      const page = await call(
        'GET',
        `/api/${pid}/jobs/all?finished=${finished}&limit=100`,
        undefined,
        admin(),
      );
      expect(page.status).toBe(200);
      expect((page.body.jobs as Listed[]).map((j) => j.id)).toEqual(want.map((j) => j.id));
    }
    expect(ended.some((j) => j.finishedSuccessful === true)).toBe(true);
    const everything = await call('GET', `/api/${pid}/jobs/all?finished=all&limit=100`, undefined, admin());
    expect(everything.body.totalJobCount).toBe(all.body.totalJobCount);
    const byKey = await call('GET', `/api/${pid}/jobs/all?key=keras-3&limit=100`, undefined, admin());
    expect(byKey.body.totalJobCount).toBe(all.body.totalJobCount);
    const future = await call(
      'GET',
      `/api/${pid}/jobs/all?startDate=2999-01-01T00:00:00Z`,
      undefined,
      admin(),
    );
    expect(future.body).toMatchObject({ jobs: [], totalJobCount: 0 });

    // stdout: the last lines, oldest first; logLevel keeps that level and worse.
    await simulateTraining(w, running, { epochs: 5, finish: null });
    await w.t.db.executionEvent.create({
      data: { executionId: running, seq: 100, kind: 'LOG', level: 'warn', message: 'slow disk' },
    });
    const tail = await call('GET', `/api/${pid}/jobs/${running}/stdout?limit=2`, undefined, admin());
    expect(tail.body.stdout.map((l: { data: string }) => l.data)).toEqual([
      'Epoch 5/5 - loss: 0.2000\n',
      'slow disk\n',
    ]);
    expect(tail.body.totalCount).toBe(7);
    const warn = await call('GET', `/api/${pid}/jobs/${running}/stdout?logLevel=warn`, undefined, admin());
    expect(warn.body).toMatchObject({ stdout: [{ data: 'slow disk\n', logLevel: 'warn' }], totalCount: 1 });
    const text = await call('GET', `/api/${pid}/jobs/${running}/stdout/download`, undefined, admin());
    expect(text.headers.get('content-type')).toContain('text/plain');
    expect(String(text.body).split('\n')).toHaveLength(8);

    // Cancelling: a running job is asked to stop; a finished one is an error envelope.
    expect((await call('POST', `/api/${pid}/jobs/${running}/cancel`, undefined, admin())).body).toEqual({
      success: true,
    });
    const done = (await call('GET', `/api/${pid}/jobs/history?limit=1`, undefined, admin())).body.jobs[0].id;
    const again = await call('POST', `/api/${pid}/jobs/${done}/cancel`, undefined, admin());
    expect(again).toMatchObject({
      status: 409,
      body: { success: false, error: expect.stringContaining('finished') },
    });

    // Expert mode: Keras model.to_json() trains; a Python script is refused at once, saying what is accepted.
    const expert = await call(
      'POST',
      `/api/${pid}/jobs/train/keras/3`,
      { mode: 'expert', script: KERAS_JSON },
      admin(),
    );
    expect(expert.body).toEqual({ success: true, id: expect.any(Number) });
    const python = await call(
      'POST',
      `/api/${pid}/jobs/train/keras/3`,
      { mode: 'expert', script: 'import tensorflow as tf\nmodel = tf.keras.Sequential()' },
      admin(),
    );
    expect(python).toMatchObject({
      status: 400,
      body: { success: false, error: expect.stringContaining('to_json()') },
    });
  });

  it('project info: the project, the impulse state, compute time used', async () => {
    const { body } = await call('GET', `/api/${w.a.projectId}`, undefined, admin());
    expect(body).toMatchObject({
      success: true,
      project: { id: w.a.projectId, name: 'alpha project', owner: 'alpha' },
      impulse: { created: true, configured: true, complete: true },
      showCreateFirstImpulse: false,
      studioUrl: expect.stringMatching(new RegExp(`/projects/${w.a.projectId}$`)),
    });
    expect(body.computeTime.timeUsedMs).toBeGreaterThanOrEqual(0);
    const foreign = await call('GET', `/api/${w.b.projectId}`, undefined, admin());
    expect(foreign).toMatchObject({ status: 404, body: { success: false, error: 'project not found' } });
  });

  it('metadata before and after a training (hasTrainedModel)', async () => {
    const fresh = await call('GET', `/api/${w.a.projectId}/training/keras/4/metadata`, undefined, admin());
    expect(fresh.body).toMatchObject({ success: true, hasTrainedModel: false, modelValidationMetrics: [] });
    const trained = await call('GET', `/api/${w.a.projectId}/training/keras/3/metadata`, undefined, admin());
    expect(trained.body).toMatchObject({
      success: true,
      hasTrainedModel: true,
      labels: ['setosa', 'versicolor', 'virginica'],
      mode: 'classification',
    });
  });

  it('every answer seen matches the bindings’ response models; every route was seen', async () => {
    // Routes whose answers the flows above did not reach yet.
    await call('POST', '/api-login', { username: w.a.users.VIEWER.email, password: PASSWORD });
    await call('POST', `/api/${w.a.projectId}/training/keras/3`, { trainingCycles: 4 }, admin());
    const ok = seen.filter((s) => s.status === 200 && typeof s.body === 'object');
    const problems = ok.flatMap((s) =>
      checkResponse(s.operationId, s.body).map((p) => `${s.operationId}: ${p}`),
    );
    expect(problems).toEqual([]);
    const jsonRoutes = eiRoutes.filter((r) => r.response !== 'file').map((r) => r.operationId);
    expect(jsonRoutes.filter((id) => !ok.some((s) => s.operationId === id))).toEqual([]);
    // Error answers are GenericApiResponse-shaped.
    const errors = seen.filter((s) => s.status >= 400);
    expect(errors.length).toBeGreaterThan(0);
    for (const e of errors) expect(checkResponse('setKeras', e.body)).toEqual([]);
  });
});
