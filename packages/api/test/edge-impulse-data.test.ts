import { createHmac } from 'node:crypto';
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { unzipSync } from 'fflate';
import pino from 'pino';
import { EdgeImpulseApi } from 'edge-impulse-api';
import { Server } from 'socket.io';
import { io as connect } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testProviders } from '@trainhub/db/testing';
import { createRestHandler, nodeRequestHandler } from '../src/rest';
import { edgeImpulseIngestionStyle } from '../src/rest/edge-impulse/ingestion';
import { edgeImpulseStyle } from '../src/rest/edge-impulse/routes';
import { EI_SOCKET_OPTIONS, attachEdgeImpulseSockets } from '../src/rest/edge-impulse/socket';
import { MODEL_TESTING_JOB_ID_BASE } from '../src/services/model-testing';
import { claimNext } from '../../../apps/trainer/src/queue';
import { runExecution } from '../../../apps/trainer/src/runner';
import { checkResponse } from './ei-models';
import { makeWorld, type World } from './helpers';

// Edge Impulse's data path end to end, in process: samples uploaded through the ingestion service (JSON signed
// with the project's HMAC key, unsigned JSON, CSV) with an ei_ key; an impulse with a time-series input block
// and a flatten DSP block; a learn block trained through the official bindings on the features (by the
// trainer's own runner, on the cpu backend); live classification of a testing sample; model testing;
// the deployment download. Bad uploads get the contract's answers and store nothing.

const INTERVAL_MS = 10;

/** Seeded 3-axis readings: `idle` is small noise, `wave` a 5 Hz sine of amplitude 4 on every axis. */
function readings(label: 'idle' | 'wave', rows: number, seed: number): number[][] {
  let s = seed;
  const rand = () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return s / 2 ** 31 - 0.5;
  };
  return Array.from({ length: rows }, (_, i) =>
    [0, 1, 2].map((axis) => {
      const base = label === 'wave' ? 4 * Math.sin((2 * Math.PI * 5 * i * INTERVAL_MS) / 1000 + axis) : 0;
      return Number((base + rand() * 0.5).toFixed(4)) + 0; // + 0: no -0 (JSON has none)
    }),
  );
}

const SENSORS = [
  { name: 'accX', units: 'm/s2' },
  { name: 'accY', units: 'm/s2' },
  { name: 'accZ', units: 'm/s2' },
];

/** A data acquisition document, signed (HS256) with `hmacKey` or unsigned (alg none). */
function acquisition(values: unknown, hmacKey: string | null, signWith?: string): string {
  const doc = {
    protected: { ver: 'v1', alg: hmacKey ? 'HS256' : 'none', iat: 1_700_000_000 },
    signature: '0'.repeat(64),
    payload: {
      device_name: 'ac:87:a3:0a:2d:1b',
      device_type: 'TEST',
      interval_ms: INTERVAL_MS,
      sensors: SENSORS,
      values,
    },
  };
  if (hmacKey)
    doc.signature = createHmac('sha256', signWith ?? hmacKey)
      .update(JSON.stringify(doc))
      .digest('hex');
  return JSON.stringify(doc);
}

/** Polls a job's status (as the bindings' runJobUntilCompletion does) until it has finished. */
async function finishedJob(api: EdgeImpulseApi, projectId: number, jobId: number) {
  for (let i = 0; i < 600; i++) {
    const status = await api.jobs.getJobStatus(projectId, jobId);
    if (status.job.finishedSuccessful !== undefined) return status;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`job ${jobId} did not finish in 60 s`);
}

function csv(values: number[][]): string {
  return `timestamp,accX,accY,accZ\n${values.map((row, i) => [i * INTERVAL_MS, ...row].join(',')).join('\n')}\n`;
}

describe.each(testProviders)('Edge Impulse data path on %s', (provider) => {
  let w: World;
  let server: HttpServer;
  let base: string;
  let hmacKey: string;
  let key: string;
  let io: Server;
  let feed: { close(): void };

  const upload = async (
    category: string,
    files: { name: string; type: string; text: string }[],
    headers: Record<string, string> = {},
  ) => {
    const form = new FormData();
    for (const f of files) form.append('data', new Blob([f.text], { type: f.type }), f.name);
    const response = await fetch(`${base}/ingestion/api/${category}/files`, {
      method: 'POST',
      headers: { 'x-api-key': key, ...headers },
      body: form,
    });
    return { status: response.status, body: await response.json() };
  };
  const sampleCount = () => w.t.db.sample.count({ where: { projectId: w.a.projectId } });

  beforeAll(async () => {
    w = await makeWorld(provider, 512 * 1024);
    key = w.a.projectKey;
    const serve = nodeRequestHandler([
      { prefix: '/v1', handle: createRestHandler(edgeImpulseStyle, () => w.deps) },
      { prefix: '/ingestion', handle: createRestHandler(edgeImpulseIngestionStyle, () => w.deps) },
    ]);
    server = createServer((req, res) => {
      void serve(req, res).then((served) => {
        if (!served) res.writeHead(404).end();
      });
    });
    server.keepAliveTimeout = 60_000;
    // The live job feed on the same server, as the web app serves it.
    io = new Server(server, EI_SOCKET_OPTIONS);
    feed = attachEdgeImpulseSockets(io, w.deps, { pollMs: 100 });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const keys = await fetch(`${base}/v1/api/${w.a.projectId}/devkeys`, {
      headers: { 'x-api-key': w.a.keys.ADMIN },
    });
    hmacKey = ((await keys.json()) as { hmacKey: string }).hmacKey;
  });
  afterAll(async () => {
    feed?.close();
    // Closes the HTTP server too.
    await new Promise((resolve) => (io ? io.close(resolve) : server?.close(resolve)));
    await w?.drop();
  });

  it('ingests labelled JSON (signed and unsigned) and CSV samples with an ei_ key', async () => {
    expect(key.startsWith('ei_')).toBe(true);
    const files = [];
    for (let i = 0; i < 6; i++)
      for (const label of ['idle', 'wave'] as const)
        files.push(
          i % 2 === 0
            ? {
                name: `${label}.${i}.json`,
                type: 'application/json',
                text: acquisition(readings(label, 200, i * 7 + 1), i % 4 === 0 ? hmacKey : null),
              }
            : { name: `${label}.${i}.csv`, type: 'text/csv', text: csv(readings(label, 200, i * 7 + 1)) },
        );
    // No x-label: the label comes from the file name (idle.0.json -> idle).
    const training = await upload('training', files, { 'x-disallow-duplicates': '1' });
    expect(training.status).toBe(200);
    expect(training.body.success).toBe(true);
    expect(training.body.files).toHaveLength(12);
    expect(training.body.files[0]).toMatchObject({
      success: true,
      projectId: w.a.projectId,
      fileName: 'idle.0',
    });
    // x-label (URL-encoded) and x-metadata on the testing uploads.
    for (const label of ['idle', 'wave'] as const) {
      const testing = await upload(
        'testing',
        [
          {
            name: `t-${label}.csv`,
            type: 'text/csv',
            text: csv(readings(label, 150, label === 'idle' ? 99 : 98)),
          },
        ],
        { 'x-label': encodeURIComponent(label), 'x-metadata': JSON.stringify({ site: 'lab 1' }) },
      );
      expect(testing.status).toBe(200);
    }
    const api = new EdgeImpulseApi({ endpoint: `${base}/v1` });
    await api.authenticate({ method: 'apiKey', apiKey: key });
    const list = await api.rawData.listSamples(w.a.projectId, { category: 'training' });
    expect(checkResponse('listSamples', JSON.parse(JSON.stringify(list)))).toEqual([]);
    expect(list.totalCount).toBe(12);
    expect(list.samples.filter((s) => s.label === 'wave')).toHaveLength(6);
    expect(list.samples[1]).toMatchObject({ intervalMs: INTERVAL_MS, frequency: 100, valuesCount: 200 });
    expect((await api.rawData.countSamples(w.a.projectId, { category: 'testing' })).count).toBe(2);
    const csvSample = list.samples.find((s) => s.filename === 'idle.1')!;
    const one = await api.rawData.getSample(w.a.projectId, csvSample.id);
    expect(one.payload.values).toEqual(readings('idle', 200, 8));
    expect(one.payload.sensors.map((s) => s.name)).toEqual(['accX', 'accY', 'accZ']);
    const testing = await api.rawData.listSamples(w.a.projectId, { category: 'testing', labels: '["wave"]' });
    expect(testing.samples.map((s) => [s.label, s.metadata])).toEqual([['wave', { site: 'lab 1' }]]);
    // The project's data summary counts them: 12 training samples of 200 rows x 10 ms, 2 testing of 150.
    const info = await api.projects.getProjectInfo(w.a.projectId);
    expect(checkResponse('getProjectInfo', JSON.parse(JSON.stringify(info)))).toEqual([]);
    const training12 = { totalLengthMs: 12 * 200 * INTERVAL_MS, labels: ['idle', 'wave'], totalLabels: 2 };
    expect(info.dataSummary).toEqual({ ...training12, dataCount: 12 });
    expect(info.dataSummaryPerCategory.training).toEqual({ ...training12, dataCount: 12 });
    expect(info.dataSummaryPerCategory.testing).toEqual({
      totalLengthMs: 2 * 150 * INTERVAL_MS,
      labels: ['idle', 'wave'],
      totalLabels: 2,
      dataCount: 2,
    });
  });

  it('refuses bad samples with the contract’s answers and stores nothing', async () => {
    const before = await sampleCount();
    const good = {
      name: 'idle.x.json',
      type: 'application/json',
      text: acquisition(readings('idle', 50, 5), null),
    };
    const cases: [
      string,
      Promise<{ status: number; body: { success: boolean; error: string } }>,
      number,
      RegExp,
    ][] = [
      [
        'wrong signature',
        upload('training', [
          good,
          {
            name: 'wave.s.json',
            type: 'application/json',
            text: acquisition(readings('wave', 50, 6), hmacKey, 'not-the-key'),
          },
        ]),
        400,
        /signature/,
      ],
      [
        'ragged values',
        upload('training', [
          {
            name: 'wave.r.json',
            type: 'application/json',
            text: acquisition(
              [
                [1, 2, 3],
                [4, 5],
              ],
              null,
            ),
          },
        ]),
        400,
        /values\[1\] has 2 values/,
      ],
      [
        'ragged CSV',
        upload('training', [
          { name: 'wave.r.csv', type: 'text/csv', text: 'timestamp,accX,accY\n0,1,2\n10,3\n' },
        ]),
        400,
        /row 3/,
      ],
      ['unknown category', upload('anomalies', [good]), 400, /Unknown category/],
      [
        'too large',
        upload('training', [{ name: 'big.csv', type: 'text/csv', text: csv(readings('idle', 20_000, 3)) }]),
        413,
        /larger than/,
      ],
      [
        'an image',
        upload('training', [{ name: 'cat.jpg', type: 'image/jpeg', text: 'x' }]),
        400,
        /images, audio and video/,
      ],
      [
        'duplicate data',
        upload('training', [{ ...good, text: acquisition(readings('idle', 200, 1), null) }], {
          'x-disallow-duplicates': '1',
        }),
        409,
        /already in the dataset/,
      ],
    ];
    for (const [what, answer, status, message] of cases) {
      const { status: got, body } = await answer;
      expect({ what, got, success: body.success }).toEqual({ what, got: status, success: false });
      expect(body.error).toMatch(message);
    }
    const noKey = await fetch(`${base}/ingestion/api/training/files`, {
      method: 'POST',
      body: new FormData(),
    });
    expect(noKey.status).toBe(401);
    const get = await fetch(`${base}/ingestion/api/training/files`, { headers: { 'x-api-key': key } });
    expect([get.status, ((await get.json()) as { success: boolean }).success]).toEqual([405, false]);
    // The legacy endpoint answers text: 421 without x-file-name, the stored name otherwise.
    const legacy = (headers: Record<string, string>) =>
      fetch(`${base}/ingestion/api/training/data`, {
        method: 'POST',
        headers: { 'x-api-key': key, 'content-type': 'application/json', ...headers },
        body: acquisition(readings('wave', 60, 44), hmacKey),
      });
    expect((await legacy({})).status).toBe(421);
    expect(await sampleCount()).toBe(before);
    const stored = await legacy({ 'x-file-name': 'wave.legacy', 'x-label': 'wave' });
    expect([stored.status, await stored.text()]).toEqual([200, 'wave.legacy']);
    const last = await w.t.db.sample.findFirstOrThrow({ where: { filename: 'wave.legacy' } });
    await new EdgeImpulseApi({ endpoint: `${base}/v1` })
      .authenticate({ method: 'apiKey', apiKey: key })
      .then(() => undefined);
    const del = await fetch(`${base}/v1/api/${w.a.projectId}/raw-data/${last.id}`, {
      method: 'DELETE',
      headers: { 'x-api-key': key },
    });
    expect(del.status).toBe(200);
    expect(await sampleCount()).toBe(before);
    // A sample id past 32 bits is no sample: 404 (not the database's refusal).
    for (const method of ['GET', 'DELETE']) {
      const huge = await fetch(`${base}/v1/api/${w.a.projectId}/raw-data/9000000000000`, {
        method,
        headers: { 'x-api-key': key },
      });
      expect([method, huge.status]).toEqual([method, 404]);
    }
  });

  it('impulse -> flatten features -> training through the bindings; classify a testing sample; model testing; download', async () => {
    const api = new EdgeImpulseApi({ endpoint: `${base}/v1` });
    await api.authenticate({ method: 'apiKey', apiKey: key });
    const pid = w.a.projectId;
    await api.impulse.createImpulse(pid, {
      inputBlocks: [
        {
          id: 1,
          type: 'time-series',
          name: 'Time series',
          title: 'Time series data',
          windowSizeMs: 500,
          windowIncreaseMs: 250,
          frequencyHz: 100,
        } as never,
      ],
      dspBlocks: [
        {
          id: 2,
          type: 'flatten',
          name: 'Flatten',
          title: 'Flatten',
          axes: ['accX', 'accY', 'accZ'],
          implementationVersion: 1,
          input: 1,
        } as never,
      ],
      learnBlocks: [{ id: 3, type: 'keras', name: 'NN Classifier', title: 'Classification', dsp: [2] }],
    });
    const job = await api.jobs.trainKerasJob(pid, 3, {
      mode: 'visual',
      visualLayers: [{ type: 'dense', neurons: 16 }],
      trainingCycles: 40,
      learningRate: 0.01,
      batchSize: 16,
      trainTestSplit: 0.2,
    });
    // The features the learn block trains on: 12 samples x 7 windows (500 ms every 250 ms of 2 s), 3 axes x 7
    // statistics, the label last.
    const execution = await w.t.db.execution.findUniqueOrThrow({
      where: { id: job.id },
      include: { task: true },
    });
    const datasetId = (execution.task.definition as { datasetResourceId: number }).datasetResourceId;
    const dataset = await w.t.db.resource.findUniqueOrThrow({ where: { id: datasetId } });
    const text = (await w.deps.store.get(dataset.storageKey)).toString();
    const lines = text.trim().split('\n');
    expect(lines[0]!.split(',')).toHaveLength(22);
    expect(lines[0]).toMatch(
      /^accX_average,accX_minimum,accX_maximum,accX_rms,accX_stdev,accX_skewness,accX_kurtosis,accY_/,
    );
    expect(lines).toHaveLength(1 + 12 * 7);
    // The trainer's own runner trains it (cpu backend).
    const ctx = {
      db: w.t.db,
      store: w.deps.store,
      log: pino({ level: 'silent' }),
      trainerId: 'ei-data-test',
      leaseMs: 60_000,
      pollMs: 200,
      maxAttempts: 1,
      backend: 'cpu' as const,
      shuttingDown: () => false,
    };
    const claimed = await claimNext(w.t.db, ctx);
    expect(claimed?.id).toBe(job.id);
    await runExecution(ctx, claimed!);
    const status = await api.jobs.getJobStatus(pid, job.id);
    expect(status.job.finishedSuccessful).toBe(true);

    const testing = await api.rawData.listSamples(pid, { category: 'testing' });
    const wave = testing.samples.find((s) => s.label === 'wave')!;
    const classified = await api.classify.classifySample(pid, wave.id);
    expect(checkResponse('classifySample', JSON.parse(JSON.stringify(classified)))).toEqual([]);
    const c = classified.classifications[0]!;
    // 150 rows of 10 ms: windows at 0, 250, 500, 750, 1000 ms.
    expect(c.result).toHaveLength(5);
    expect(c.expectedLabels[1]).toEqual({ startIndex: 25, endIndex: 74, label: 'wave' });
    for (const window of c.result) expect(window.wave).toBeGreaterThan(window.idle!);

    // Model testing is a job: started at once, then read by id like a training (status, stdout).
    const before = await fetch(`${base}/v1/api/${pid}/deployment/evaluate`, {
      headers: { 'x-api-key': key },
    });
    expect(before.status).toBe(404);
    // A socket.io v4 client holding a socket token (as the Python SDK) hears the job's lines and its end.
    const tokenResponse = await fetch(`${base}/v1/api/${pid}/socket-token`, {
      headers: { 'x-api-key': key },
    });
    const { socketToken } = ((await tokenResponse.json()) as { token: { socketToken: string } }).token;
    const client = connect(base, { transports: ['websocket'], auth: { token: socketToken } });
    const heard: [string, unknown][] = [];
    client.onAny((name: string, payload: unknown) => heard.push([name, payload]));
    await new Promise<void>((resolve) => client.on('hello', () => resolve()));
    const evaluation = await api.jobs.startEvaluateJob(pid);
    expect(evaluation.id).toBeGreaterThan(MODEL_TESTING_JOB_ID_BASE);
    // Active while it runs: GET jobs lists it (unless it already ended: then jobs/history does, below).
    const active = await api.jobs.listActiveJobs(pid);
    const evaluated = await finishedJob(api, pid, evaluation.id);
    if (active.jobs.some((j) => j.id === evaluation.id))
      expect(active.jobs.find((j) => j.id === evaluation.id)!.finished).toBeUndefined();
    try {
      // (The training that just ended may be announced to it too: the feed looks back 30 s.)
      const ended = ([name, payload]: [string, unknown]) =>
        name === 'job-finished' && (payload as { jobId: number }).jobId === evaluation.id;
      for (let i = 0; i < 100 && !heard.some(ended); i++)
        await new Promise((resolve) => setTimeout(resolve, 100));
      // The generic event the Python SDK waits for, and the one the Node bindings read, after the lines.
      expect(heard).toContainEqual(['job-finished', { jobId: evaluation.id, success: true }]);
      expect(heard).toContainEqual([
        `job-finished-${evaluation.id}`,
        { jobId: evaluation.id, success: true },
      ]);
      const lines = heard
        .filter(([name]) => name === `job-data-${evaluation.id}`)
        .map(([, payload]) => (payload as { data: string }).data);
      expect(lines.join('')).toMatch(/learn block 3 queued[\s\S]*learn block 3 finished: accuracy 1\.0000/);
      expect(heard.map(([name]) => name).lastIndexOf(`job-data-${evaluation.id}`)).toBeLessThan(
        heard.findIndex(ended),
      );
      // Each once.
      expect(heard.filter(ended)).toHaveLength(1);
      expect(new Set(lines).size).toBe(lines.length);
    } finally {
      client.close();
    }
    // A client that asks for the ended job's log (start-log-stream, as the Python SDK after a reconnect) gets
    // its lines and its end.
    const late = connect(base, { transports: ['websocket'], auth: { token: socketToken } });
    try {
      const replay: [string, unknown][] = [];
      late.onAny((name: string, payload: unknown) => replay.push([name, payload]));
      await new Promise<void>((resolve) => late.on('hello', () => resolve()));
      // (Its end may reach it live first, the job having ended in the feed's look-back: the one after the
      // replayed lines is the answer to the replay.)
      const ended = new Promise((resolve) =>
        late.on(`job-finished-${evaluation.id}`, (payload: unknown) => {
          if (replay.some(([name]) => name === `job-data-${evaluation.id}`)) resolve(payload);
        }),
      );
      late.emit('start-log-stream', { jobId: evaluation.id, lastReceivedTimestamp: 0 });
      expect(await ended).toEqual({ jobId: evaluation.id, success: true });
      const replayed = replay.filter(([name]) => name === `job-data-${evaluation.id}`);
      expect(replayed.map(([, p]) => (p as { data: string }).data).join('')).toMatch(
        /learn block 3 queued[\s\S]*learn block 3 finished/,
      );
    } finally {
      late.close();
    }
    expect(checkResponse('getJobStatus', JSON.parse(JSON.stringify(evaluated)))).toEqual([]);
    expect(evaluated.job).toMatchObject({
      id: evaluation.id,
      categoryKey: 'evaluate',
      key: `evaluate-${evaluation.id}`,
      finishedSuccessful: true,
    });
    const log = await api.jobs.getJobsLogs(pid, evaluation.id, { limit: 100 });
    expect(log.stdout.map((l) => l.data).join('')).toMatch(
      /learn block 3 queued \(10 windows[\s\S]*learn block 3 finished: accuracy 1\.0000 over 10 windows/,
    );
    const result = await api.deployment.getEvaluateJobResult(pid);
    expect(checkResponse('getEvaluateJobResult', JSON.parse(JSON.stringify(result)))).toEqual([]);
    const stats = result.result[0]!;
    expect(stats).toMatchObject({ learnBlockId: 3, trainingLabels: ['idle', 'wave'], totalWindowCount: 10 });
    expect(stats.accuracy.raw).toBe(1);
    expect(stats.confusionMatrix.wave!.wave!.raw).toBe(5);
    // Classify all test data: the same job, of its own kind; the per-sample results then.
    const classify = await api.jobs.startClassifyJob(pid, {});
    expect(classify.id).toBeGreaterThan(evaluation.id);
    expect((await finishedJob(api, pid, classify.id)).job).toMatchObject({
      categoryKey: 'classify',
      finishedSuccessful: true,
    });
    // The job lists show both next to the training, newest first, with their categories and keys.
    const listed = await fetch(`${base}/v1/api/${pid}/jobs/all?limit=10`, { headers: { 'x-api-key': key } });
    const allJobs = (await listed.json()) as {
      jobs: { id: number; categoryKey: string; key: string; finishedSuccessful?: boolean }[];
      totalJobCount: number;
    };
    expect(checkResponse('listAllJobs', JSON.parse(JSON.stringify(allJobs)))).toEqual([]);
    expect(allJobs.jobs.map((j) => [j.id, j.categoryKey, j.key])).toEqual([
      [classify.id, 'classify', `classify-${classify.id}`],
      [evaluation.id, 'evaluate', `evaluate-${evaluation.id}`],
      [job.id, 'learn-train-studio-wrapper', 'keras-3'],
    ]);
    expect(allJobs.totalJobCount).toBe(3);
    const history = await api.jobs.listFinishedJobs(pid, { limit: 2, offset: 1 });
    expect(history.jobs.map((j) => j.id)).toEqual([evaluation.id, job.id]);
    expect(history.totalJobCount).toBe(3);
    expect((await api.jobs.listActiveJobs(pid)).jobs).toEqual([]);
    const byCategory = await fetch(`${base}/v1/api/${pid}/jobs/all?category=evaluate`, {
      headers: { 'x-api-key': key },
    });
    expect(((await byCategory.json()) as { jobs: { id: number }[] }).jobs.map((j) => j.id)).toEqual([
      evaluation.id,
    ]);
    // Another project's caller lists none of them.
    const foreign = await fetch(`${base}/v1/api/${pid}/jobs/all`, {
      headers: { 'x-api-key': w.b.projectKey },
    });
    expect(foreign.status).toBe(404);
    const all = await fetch(`${base}/v1/api/${pid}/classify/all/result`, { headers: { 'x-api-key': key } });
    const allBody = (await all.json()) as { result: { sampleId: number; classifications: unknown[] }[] };
    expect(allBody.result.map((r) => r.classifications.length)).toEqual([1, 1]);
    // An id of that range that is no job of this project (one past 32 bits too), and another project's
    // caller: 404.
    for (const [id, apiKey] of [
      [classify.id + 1000, key],
      [9_000_000_000_000, key],
      [classify.id, w.b.projectKey],
    ] as const) {
      const unknown = await fetch(`${base}/v1/api/${pid}/jobs/${id}/status`, {
        headers: { 'x-api-key': apiKey },
      });
      expect(unknown.status).toBe(404);
    }

    const deployment = await api.deployment.getDeployment(pid, { type: 'tfjs' });
    expect(deployment.hasDeployment).toBe(true);
    const zip = await fetch(`${base}/v1/api/${pid}/deployment/download?type=tfjs`, {
      headers: { 'x-api-key': key },
    });
    expect(zip.status).toBe(200);
    expect(Object.keys(unzipSync(new Uint8Array(await zip.arrayBuffer())))).toEqual(
      expect.arrayContaining(['model.json', 'metadata.json']),
    );
    const unknown = await fetch(`${base}/v1/api/${pid}/deployment/download?type=arduino`, {
      headers: { 'x-api-key': key },
    });
    expect(unknown.status).toBe(400);
    expect(((await unknown.json()) as { error: string }).error).toMatch(/tfjs/);
  }, 180_000);
});
