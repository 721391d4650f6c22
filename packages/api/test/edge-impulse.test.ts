import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';
import { io as connect } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testProviders } from '@trainhub/db/testing';
import { signJwt } from '../src/auth/jwt';
import { createRestHandler } from '../src/rest/http';
import { edgeImpulseStyle } from '../src/rest/edge-impulse/routes';
import { EI_SOCKET_OPTIONS, attachEdgeImpulseSockets } from '../src/rest/edge-impulse/socket';
import { IRIS_CSV, PASSWORD, makeWorld, simulateTraining, type World } from './helpers';

const TRAIN_BODY = {
  mode: 'visual',
  visualLayers: [
    { type: 'dense', neurons: 16 },
    { type: 'dropout', dropoutRate: 0.1 },
    { type: 'dense', neurons: 8 },
  ],
  trainingCycles: 5,
  learningRate: 0.005,
  batchSize: 8,
  trainTestSplit: 0.25,
  autoClassWeights: true,
};

describe.each(testProviders)('Edge Impulse style on %s', (provider) => {
  let w: World;
  let handle: (request: Request) => Promise<Response>;
  let learnId: number;
  let key: string;

  const call = async (
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = { 'x-api-key': key },
  ) => {
    const response = await handle(
      new Request(`http://localhost/v1${path}`, {
        method,
        body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
        headers: { 'content-type': 'application/json', ...headers },
      }),
    );
    return { status: response.status, body: await response.json() };
  };

  beforeAll(async () => {
    w = await makeWorld(provider);
    handle = createRestHandler(edgeImpulseStyle, () => w.deps);
    key = w.a.keys.EDITOR;
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
    const impulse = await call('POST', `/api/${w.a.projectId}/impulse`, {
      inputBlocks: [],
      dspBlocks: [],
      learnBlocks: [{ id: 3, type: 'keras', name: 'NN Classifier', title: 'Classification', dsp: [2] }],
    });
    // The impulse's id; the learn block keeps the id the client chose.
    expect(impulse.body).toMatchObject({ success: true, id: 1, learnBlocks: [{ id: 3 }] });
    learnId = 3;
  });
  afterAll(async () => {
    await w?.drop();
  });

  it('lists the impulse with its learn blocks', async () => {
    const { body } = await call('GET', `/api/${w.a.projectId}/impulse`);
    expect(body).toEqual({
      success: true,
      impulse: {
        id: 1,
        name: 'Impulse #1',
        type: 'default',
        inputBlocks: [],
        dspBlocks: [],
        learnBlocks: [
          {
            id: learnId,
            type: 'keras',
            name: 'NN Classifier',
            title: 'Classification',
            dsp: [2],
            primaryVersion: true,
          },
        ],
        postProcessingBlocks: [],
      },
    });
  });

  it('train/keras stores the settings on the learn block and starts a job: { success: true, id }', async () => {
    const { status, body } = await call(
      'POST',
      `/api/${w.a.projectId}/jobs/train/keras/${learnId}`,
      TRAIN_BODY,
    );
    expect(status).toBe(200);
    expect(body).toEqual({ success: true, id: expect.any(Number) });
    const execution = await w.t.db.execution.findUniqueOrThrow({
      where: { id: body.id },
      include: { task: true },
    });
    expect(execution.status).toBe('QUEUED');
    const block = await w.t.db.learnBlock.findFirstOrThrow({
      where: { projectId: w.a.projectId, blockId: learnId },
    });
    expect(execution.task.learnBlockId).toBe(block.id);
    // Stored translated into our architecture (version 2): the trainer knows no Edge Impulse layer.
    expect(execution.task.definition).toEqual({
      version: 2,
      problemType: 'classification',
      spec: {
        format: 'trainhub.architecture',
        version: 1,
        name: 'Classification',
        layers: [
          { type: 'dense', units: 16, activation: 'relu' },
          { type: 'dropout', rate: 0.1 },
          { type: 'dense', units: 8, activation: 'relu' },
        ],
        output: { dropout: 0 },
      },
      datasetResourceId: expect.any(Number),
      modelName: 'Classification',
    });
    expect(execution.task.hyperparameters).toEqual({
      epochs: 5,
      batchSize: 8,
      learningRate: 0.005,
      optimizer: 'adam',
      loss: 'categorical_crossentropy',
      metrics: ['accuracy'],
      testSize: 0.25,
      classWeights: true,
    });
    const settings = await call('GET', `/api/${w.a.projectId}/training/keras/${learnId}`);
    expect(settings.body).toMatchObject({
      success: true,
      trainingCycles: 5,
      learningRate: 0.005,
      visualLayers: TRAIN_BODY.visualLayers,
      mode: 'visual',
    });
    // Only the fields given are set.
    await call('POST', `/api/${w.a.projectId}/training/keras/${learnId}`, { trainingCycles: 7 });
    const after = await call('GET', `/api/${w.a.projectId}/training/keras/${learnId}`);
    expect(after.body).toMatchObject({ trainingCycles: 7, learningRate: 0.005 });
  });

  it('job status, stdout, list, cancel and metadata', async () => {
    const { body } = await call('POST', `/api/${w.a.projectId}/jobs/train/keras/${learnId}`, {});
    const jobId = body.id as number;
    const queued = await call('GET', `/api/${w.a.projectId}/jobs/${jobId}/status`);
    expect(queued.body).toEqual({
      success: true,
      job: {
        id: jobId,
        category: 'Training model',
        categoryKey: 'learn-train-studio-wrapper',
        key: `keras-${learnId}`,
        created: expect.any(String),
        jobNotificationUids: [],
      },
    });
    await simulateTraining(w, jobId, { epochs: 2 });
    const done = await call('GET', `/api/${w.a.projectId}/jobs/${jobId}/status`);
    expect(done.body.job).toMatchObject({
      finishedSuccessful: true,
      started: expect.any(String),
      finished: expect.any(String),
      computeTime: expect.any(Number),
    });
    const stdout = await call('GET', `/api/${w.a.projectId}/jobs/${jobId}/stdout`);
    expect(stdout.body.success).toBe(true);
    expect(stdout.body.totalCount).toBe(3);
    expect(stdout.body.stdout[1]).toEqual({
      created: expect.any(String),
      data: 'Epoch 1/2 - loss: 1.0000\n',
      logLevel: 'info',
    });
    const jobs = await call('GET', `/api/${w.a.projectId}/jobs/all?limit=1`);
    expect(jobs.body).toMatchObject({ success: true, totalJobCount: expect.any(Number) });
    expect(jobs.body.jobs).toHaveLength(1);
    expect(jobs.body.jobs[0].id).toBe(jobId);
    const metadata = await call('GET', `/api/${w.a.projectId}/training/keras/${learnId}/metadata`);
    expect(metadata.body).toMatchObject({
      success: true,
      classNames: ['setosa', 'versicolor', 'virginica'],
      modelValidationMetrics: [
        {
          type: 'float32',
          loss: 0.3,
          accuracy: 0.9,
          confusionMatrix: [
            [2, 0, 0],
            [0, 1, 1],
            [0, 0, 2],
          ],
        },
      ],
      jobId,
    });
    const again = await call('POST', `/api/${w.a.projectId}/jobs/train/keras/${learnId}`, {});
    const cancel = await call('POST', `/api/${w.a.projectId}/jobs/${again.body.id}/cancel`);
    expect(cancel.body).toEqual({ success: true });
    expect((await w.t.db.execution.findUniqueOrThrow({ where: { id: again.body.id } })).status).toBe(
      'CANCELLED',
    );
  });

  it('api-login gives a JWT usable as x-jwt-token and as the jwt cookie', async () => {
    const bad = await call('POST', '/api-login', { username: 'editor@alpha.test', password: 'wrong' }, {});
    expect(bad).toEqual({ status: 401, body: { success: false, error: 'Invalid username or password' } });
    const login = await call('POST', '/api-login', { username: 'editor@alpha.test', password: PASSWORD }, {});
    expect(login.body).toEqual({ success: true, token: expect.any(String) });
    const viaHeader = await call('GET', '/api/projects', undefined, { 'x-jwt-token': login.body.token });
    expect(viaHeader.body.projects.map((p: { id: number }) => p.id)).toEqual([w.a.projectId]);
    const viaCookie = await call('GET', `/api/${w.a.projectId}/impulse`, undefined, {
      cookie: `other=1; jwt=${login.body.token}`,
    });
    expect(viaCookie.body.success).toBe(true);
    const created = await call(
      'POST',
      '/api/projects/create',
      { projectName: 'from jwt' },
      { 'x-jwt-token': login.body.token },
    );
    // An editor may create projects but not API keys: no key (the field is required: empty).
    expect(created.body).toEqual({ success: true, id: expect.any(Number), apiKey: '' });
    const expired = signJwt({ sub: w.a.users.EDITOR.id, typ: 'user' }, w.deps.jwtSecret, -10);
    const old = await call('GET', '/api/projects', undefined, { 'x-jwt-token': expired.token });
    expect(old.body).toEqual({ success: false, error: 'Invalid or expired JWT token' });
    const forged = await call('GET', '/api/projects', undefined, {
      'x-jwt-token': signJwt({ sub: w.a.users.OWNER.id, typ: 'user' }, 'another-secret', 60).token,
    });
    expect(forged.body.success).toBe(false);
  });

  it('a project API key sees just its project', async () => {
    const { body } = await call('GET', '/api/projects', undefined, { 'x-api-key': w.a.projectKey });
    expect(body.projects.map((p: { id: number }) => p.id)).toEqual([w.a.projectId]);
    const other = await w.t.db.project.create({ data: { teamId: w.a.id, name: 'second' } });
    const denied = await call('GET', `/api/${other.id}/impulse`, undefined, { 'x-api-key': w.a.projectKey });
    expect(denied).toEqual({ status: 404, body: { success: false, error: 'project not found' } });
  });

  describe('bad input', () => {
    it('every failure is a 4xx { success: false, error } and writes nothing', async () => {
      const before = await w.t.db.execution.count();
      const cases: [string, string, unknown, Record<string, string>?][] = [
        ['POST', `/api/${w.a.projectId}/jobs/train/keras/${learnId}`, '{"trainingCycles":'],
        ['POST', `/api/${w.a.projectId}/jobs/train/keras/${learnId}`, { trainingCycles: 'ten' }],
        ['POST', `/api/${w.a.projectId}/jobs/train/keras/${learnId}`, { visualLayers: [{ type: 'lstm' }] }],
        ['POST', `/api/${w.a.projectId}/jobs/train/keras/${learnId}`, { mode: 'expert' }],
        [
          'POST',
          `/api/${w.a.projectId}/jobs/train/keras/${learnId}`,
          { visualLayers: [{ type: 'transfer_mobilenetv2_a35' }] },
        ],
        ['POST', `/api/${w.a.projectId}/jobs/train/keras/999999`, {}],
        ['POST', `/api/${w.b.projectId}/jobs/train/keras/${learnId}`, {}],
        ['POST', `/api/abc/jobs/train/keras/${learnId}`, {}],
        ['GET', `/api/${w.a.projectId}/jobs/99999999/status`, undefined],
        ['GET', `/api/${w.a.projectId}/jobs?limit=-4`, undefined],
        ['GET', '/api/projects', undefined, {}],
        ['GET', '/api/projects', undefined, { 'x-api-key': 'th_nope' }],
        ['POST', `/api/${w.a.projectId}/jobs/train/keras/${learnId}`, {}, { 'x-api-key': w.a.keys.VIEWER }],
        ['POST', `/api/${w.a.projectId}/jobs/train/keras/${learnId}`, 'x'.repeat(1024 * 1024 + 10)],
      ];
      for (const [method, path, body, headers] of cases) {
        const response = await call(method, path, body, headers);
        expect(response.status, `${method} ${path}`).toBeGreaterThanOrEqual(400);
        expect(response.status, `${method} ${path}`).toBeLessThan(500);
        expect(response.body, `${method} ${path}`).toEqual({ success: false, error: expect.any(String) });
      }
      expect(await w.t.db.execution.count()).toBe(before);
      const transfer = await call('POST', `/api/${w.a.projectId}/jobs/train/keras/${learnId}`, {
        visualLayers: [{ type: 'transfer_mobilenetv2_a35' }],
      });
      expect(transfer.body.error).toContain('PRETRAINED_MODELS_DIR');
      // The settings of a refused training were not stored either.
      const settings = await call('GET', `/api/${w.a.projectId}/training/keras/${learnId}`);
      expect(settings.body.visualLayers).toEqual(TRAIN_BODY.visualLayers);
    });

    // The exact answers of the checks the dispatcher applies from each route's declared contract and of the
    // style's credentials (issue 15): the Node bindings throw `body.error`, so its text is what users see.
    it('credentials, path, query and body failures: exact status and text, credentials first', async () => {
      const p = w.a.projectId;
      const none = {};
      type Case = [string, string, unknown, Record<string, string> | undefined, number, string | RegExp];
      const cases: Case[] = [
        [
          'GET',
          '/api/projects',
          undefined,
          none,
          401,
          'Authentication required: send an x-api-key or x-jwt-token header, or a jwt cookie',
        ],
        ['GET', '/api/projects', undefined, { 'x-api-key': 'ei_nope' }, 401, 'Invalid API key'],
        // The key is read before the JWT; credentials are checked before the path.
        [
          'GET',
          '/api/abc/impulse',
          undefined,
          { 'x-api-key': 'ei_nope', 'x-jwt-token': 'x' },
          401,
          'Invalid API key',
        ],
        ['GET', '/api/abc/impulse', undefined, { cookie: 'jwt=nope' }, 401, 'Invalid or expired JWT token'],
        ['GET', '/api/abc/impulse', undefined, undefined, 400, /^Invalid path: projectId: /],
        ['GET', `/api/${p}/jobs/0/status`, undefined, undefined, 400, /^Invalid path: jobId: /],
        ['GET', `/api/${p}/jobs?limit=-4`, undefined, undefined, 400, /^Invalid query: limit: /],
        [
          'GET',
          `/api/${p}/jobs/1/stdout?logLevel=loud`,
          undefined,
          undefined,
          400,
          /^Invalid query: logLevel: /,
        ],
        [
          'POST',
          `/api/${p}/training/keras/${learnId}`,
          { trainingCycles: 'ten' },
          undefined,
          400,
          /^Invalid request body: trainingCycles: /,
        ],
        ['POST', '/api-login', undefined, none, 400, /^Invalid request body: body: /],
        ['POST', '/api-login', '{"username":', none, 400, 'malformed JSON in the request body'],
        [
          'POST',
          `/api/${p}/impulse`,
          { learnBlocks: 'x' },
          undefined,
          400,
          /^Invalid request body: learnBlocks: /,
        ],
        ['GET', '/api/projects/create', undefined, undefined, 405, 'Method not allowed'],
        [
          'GET',
          '/api/projects/api-key-info',
          undefined,
          { 'x-jwt-token': signJwt({ sub: w.a.users.EDITOR.id, typ: 'user' }, w.deps.jwtSecret, 60).token },
          400,
          'this needs a project API key in the x-api-key header',
        ],
      ];
      for (const [method, path, body, headers, status, error] of cases) {
        const response = await call(method, path, body, headers);
        expect(response, `${method} ${path}`).toEqual({
          status,
          body: { success: false, error: typeof error === 'string' ? error : expect.stringMatching(error) },
        });
      }
      // No body (or JSON null) where the Keras settings are optional: the same as `{}`, nothing changes.
      const before = await call('GET', `/api/${p}/training/keras/${learnId}`);
      for (const body of [undefined, 'null']) {
        const empty = await call('POST', `/api/${p}/training/keras/${learnId}`, body);
        expect(empty).toEqual({ status: 200, body: { success: true } });
      }
      expect(await call('GET', `/api/${p}/training/keras/${learnId}`)).toEqual(before);
    });

    it('another team’s ids answer exactly like unknown ids', async () => {
      const foreign = await call('GET', `/api/${w.b.projectId}/impulse`);
      const unknown = await call('GET', '/api/99999999/impulse');
      expect(foreign).toEqual(unknown);
      const bBlock = await w.t.db.learnBlock.create({
        data: { projectId: w.b.projectId, name: 'b', title: 'b', settings: {} },
      });
      const a = await call('GET', `/api/${w.a.projectId}/training/keras/${bBlock.id}`);
      const b = await call('GET', `/api/${w.a.projectId}/training/keras/99999999`);
      expect(a).toEqual(b);
    });
  });

  describe('socket.io', () => {
    let server: HttpServer;
    let io: Server;
    let feed: { close(): void };
    let url: string;

    beforeAll(async () => {
      server = createServer();
      io = new Server(server, EI_SOCKET_OPTIONS);
      feed = attachEdgeImpulseSockets(io, w.deps, { pollMs: 100 });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(async () => {
      feed?.close();
      await new Promise((resolve) => io?.close(resolve));
    });

    it('streams job-data and job-finished of a training to a client holding a socket token', async () => {
      const token = await call('GET', `/api/${w.a.projectId}/socket-token`);
      expect(token.body).toEqual({
        success: true,
        token: { socketToken: expect.any(String), expires: expect.any(String) },
      });
      // Good for an hour, and for the feed only: not as an api-login token.
      const ttl = Date.parse(token.body.token.expires) - Date.now();
      expect(ttl).toBeGreaterThan(3590_000);
      expect(ttl).toBeLessThanOrEqual(3600_000);
      const asLogin = await call('GET', '/api/projects', undefined, {
        'x-jwt-token': token.body.token.socketToken,
      });
      expect(asLogin).toEqual({
        status: 401,
        body: { success: false, error: 'Invalid or expired JWT token' },
      });
      const { body } = await call('POST', `/api/${w.a.projectId}/jobs/train/keras/${learnId}`, {});
      const jobId = body.id as number;
      const client = connect(url, {
        transports: ['websocket'],
        auth: { token: token.body.token.socketToken },
      });
      try {
        const data: string[] = [];
        client.on(`job-data-${jobId}`, (event: { data: string }) => data.push(event.data));
        const finished = new Promise<{ success: boolean }>((resolve) =>
          client.on(`job-finished-${jobId}`, resolve),
        );
        await new Promise<void>((resolve) => client.on('hello', () => resolve()));
        await new Promise((resolve) => setTimeout(resolve, 300));
        await simulateTraining(w, jobId, { epochs: 2 });
        expect(await finished).toEqual({ jobId, success: true });
        // Each epoch once (the trainer's own log line; the EPOCH row is not sent again).
        expect(data.filter((line) => line.startsWith('Epoch 1'))).toEqual(['Epoch 1/2 - loss: 1.0000\n']);
        expect(data.filter((line) => line.startsWith('Epoch 2'))).toEqual(['Epoch 2/2 - loss: 0.5000\n']);
      } finally {
        client.close();
      }
    });

    it('refuses a bad token, and a token of another project hears nothing', async () => {
      const bad = connect(url, { transports: ['websocket'], auth: { token: 'nope' } });
      const reason = await new Promise<string>((resolve) => bad.on('disconnect', resolve));
      expect(reason).toBe('io server disconnect');
      const foreign = signJwt(
        { sub: 'x', typ: 'socket', projectId: w.b.projectId },
        w.deps.jwtSecret,
        60,
      ).token;
      const other = connect(url, { transports: ['websocket'], auth: { token: foreign } });
      try {
        const heard: unknown[] = [];
        other.onAny((name: string) => name.startsWith('job-') && heard.push(name));
        await new Promise<void>((resolve) => other.on('hello', () => resolve()));
        const { body } = await call('POST', `/api/${w.a.projectId}/jobs/train/keras/${learnId}`, {});
        await simulateTraining(w, body.id, { epochs: 1 });
        await new Promise((resolve) => setTimeout(resolve, 500));
        expect(heard).toEqual([]);
      } finally {
        other.close();
      }
    });
  });
});
