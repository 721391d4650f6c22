import { readdirSync, readFileSync, renameSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { EdgeImpulseApi } from 'edge-impulse-api';
import { io as connect } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkResponse } from '../../packages/api/test/ei-models';
import { blobsCsv, productionBuilt, startProductionPlatform, type RunningPlatform } from '../src/platform';

// Edge Impulse's own Node.js bindings (npm edge-impulse-api) against the production web server
// (apps/web/server.ts) and a real trainer: the "Running jobs" flow of the bindings' README with an API key and
// with username/password, through runJobUntilCompletion; cancelling a running job; a failed job. Every answer
// the bindings hand back is checked against their own response models.

const built = productionBuilt();

const EMAIL = 'ei-bindings@example.com';
const PASSWORD = 'ei-bindings-password-1';

/** The answer matches the bindings' model of `operationId`. */
function expectModel(operationId: string, answer: unknown) {
  expect(checkResponse(operationId, answer), operationId).toEqual([]);
}

describe.skipIf(!built)('Edge Impulse bindings against the production server', () => {
  let platform: RunningPlatform;
  let projectId: number;
  let projectKey: string;

  beforeAll(async () => {
    platform = await startProductionPlatform({
      user: { email: EMAIL, password: PASSWORD, team: 'Bindings' },
      trainerId: 'ei-bindings-1',
      // One attempt: the failed-job case below is an infrastructure failure (the checks at request time leave
      // the trainer nothing else to fail on).
      trainerEnv: { TRAINER_POLL_MS: '100', TRAINER_MAX_ATTEMPTS: '1' },
    });
    // A project with a dataset, through MLW (Edge Impulse's ingestion service is not served). On connections of
    // their own: the bindings' undici shares Node's connection pool, and a connection the server closed after an
    // upload was seen reused by the next call ("other side closed").
    const project = (await once(
      'POST',
      '/service/mlw/projects',
      JSON.stringify({ name: 'bindings' }),
      'application/json',
    )) as {
      id: string;
    };
    const form = new FormData();
    form.append('file', new Blob([blobsCsv(90)]), 'blobs.csv');
    const multipart = new Response(form);
    await once(
      'POST',
      `/service/mlw/projects/${project.id}/resources`,
      Buffer.from(await multipart.arrayBuffer()),
      multipart.headers.get('content-type')!,
    );
    projectId = parseInt(project.id);
  }, 180_000);
  afterAll(async () => {
    await platform?.stop();
  });

  async function waitStarted(api: EdgeImpulseApi, jobId: number) {
    for (let i = 0; i < 600; i++) {
      const { job } = await api.jobs.getJobStatus(projectId, jobId);
      if (job.started) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`job ${jobId} did not start`);
  }

  /** The stored file of the uploaded CSV dataset under the local artifact store. */
  function datasetFile(dir: string): string {
    for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
      if (!entry.isFile()) continue;
      const path = join(entry.parentPath, entry.name);
      if (readFileSync(path).subarray(0, 14).toString() === 'a,b,c,d,label\n') return path;
    }
    throw new Error(`no dataset file under ${dir}`);
  }

  /** One MLW call (Basic auth) on a connection of its own; the JSON answer. */
  function once(method: string, path: string, body: string | Buffer, contentType: string): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const req = request(
        `${platform.baseUrl}${path}`,
        {
          method,
          agent: false,
          headers: {
            authorization: `Basic ${Buffer.from(`${EMAIL}:${PASSWORD}`).toString('base64')}`,
            'content-type': contentType,
            'content-length': Buffer.byteLength(body),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            if ((res.statusCode ?? 500) >= 300)
              reject(new Error(`${method} ${path}: ${res.statusCode} ${text}`));
            else resolve(JSON.parse(text));
          });
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  /** The README's "Running jobs" flow; returns the log text the callback received. */
  async function readmeFlow(api: EdgeImpulseApi, trainingCycles: number) {
    const impulseRes = await api.impulse.getImpulse(projectId);
    expectModel('getImpulse', impulseRes);
    const kerasBlock = impulseRes.impulse!.learnBlocks.find((x) => x.type.indexOf('keras') > -1);
    expect(kerasBlock?.id).toBe(7);
    const kerasConfig = await api.learn.getKeras(projectId, kerasBlock!.id);
    expectModel('getKeras', kerasConfig);
    const trainJob = await api.jobs.trainKerasJob(projectId, kerasBlock!.id, {
      ...kerasConfig,
      trainingCycles,
    });
    expectModel('trainKerasJob', trainJob);
    let log = '';
    await api.runJobUntilCompletion({ type: 'project', projectId, jobId: trainJob.id }, (data) => {
      log += data;
    });
    const status = await api.jobs.getJobStatus(projectId, trainJob.id);
    expectModel('getJobStatus', status);
    expect(status.job).toMatchObject({
      finishedSuccessful: true,
      key: 'keras-7',
      categoryKey: expect.any(String),
    });
    const stdout = await api.jobs.getJobsLogs(projectId, trainJob.id);
    expectModel('getJobsLogs', stdout);
    expect(stdout.stdout.length).toBeGreaterThan(0);
    return log;
  }

  it('username/password: login, create the impulse, the README flow to a completed job with its log lines', async () => {
    const api = new EdgeImpulseApi({ endpoint: platform.baseUrl });
    const token = await api.login.login({ username: EMAIL, password: PASSWORD });
    expectModel('login', token);
    await api.authenticate({ method: 'jwtToken', jwtToken: token.token! });
    const projects = await api.projects.listProjects();
    expectModel('listProjects', projects);
    expect(projects.projects.map((p) => p.id)).toContain(projectId);
    const created = await api.impulse.createImpulse(projectId, {
      inputBlocks: [{ id: 1, type: 'time-series', name: 'Time series', title: 'Time series data' }],
      dspBlocks: [
        {
          id: 2,
          type: 'raw',
          name: 'Raw data',
          title: 'Raw Data',
          axes: ['a', 'b', 'c', 'd'],
          implementationVersion: 1,
        },
      ],
      learnBlocks: [{ id: 7, type: 'keras', name: 'NN Classifier', title: 'Classifier', dsp: [2] }],
    });
    expectModel('createImpulse', created);
    expect(created.id).toBe(1);
    const key = await api.projects.addProjectApiKey(projectId, {
      name: 'bindings',
      isDevelopmentKey: false,
      role: 'admin',
    });
    expectModel('addProjectApiKey', key);
    projectKey = key.apiKey;
    const log = await readmeFlow(api, 3);
    expect(log.startsWith('Connected to job\n')).toBe(true);
    for (const epoch of [1, 2, 3]) {
      expect(log.match(new RegExp(`^Epoch ${epoch}/3:`, 'gm')), `epoch ${epoch} once`).toHaveLength(1);
    }
  }, 180_000);

  it('API key: authenticate with the project key, the README flow; metadata of the trained block', async () => {
    expect(projectKey).toMatch(/^ei_/);
    const api = new EdgeImpulseApi({ endpoint: platform.baseUrl });
    await api.authenticate({ method: 'apiKey', apiKey: projectKey });
    const info = await api.projects.getCurrentApiKeyInfo();
    expectModel('getCurrentApiKeyInfo', info);
    expect(info).toMatchObject({ projectId, role: 'admin' });
    const log = await readmeFlow(api, 2);
    expect(log).toMatch(/^Epoch 2\/2:/m);
    const metadata = await api.learn.getKerasMetadata(projectId, 7);
    expectModel('getKerasMetadata', metadata);
    expect(metadata).toMatchObject({ hasTrainedModel: true, labels: ['c0', 'c1', 'c2'] });
  }, 180_000);

  it('cancelling a running job; a failed job makes runJobUntilCompletion throw "Job failed"', async () => {
    const api = new EdgeImpulseApi({ endpoint: platform.baseUrl });
    await api.authenticate({ method: 'apiKey', apiKey: projectKey });
    const long = await api.jobs.trainKerasJob(projectId, 7, { trainingCycles: 5000 });
    await waitStarted(api, long.id);
    const active = await api.jobs.listActiveJobs(projectId);
    expectModel('listActiveJobs', active);
    expect(active.jobs.map((j) => j.id)).toContain(long.id);
    expectModel('cancelJob', await api.jobs.cancelJob(projectId, long.id));
    await expect(api.runJobUntilCompletion({ type: 'project', projectId, jobId: long.id })).rejects.toThrow(
      'Job failed',
    );
    const history = await api.jobs.listFinishedJobs(projectId);
    expectModel('listFinishedJobs', history);
    expect(history.jobs.find((j) => j.id === long.id)).toMatchObject({ finishedSuccessful: false });

    // A job whose dataset file is gone when the trainer reads it fails (queued behind a running job, the file
    // moved away meanwhile, then the running job cancelled).
    const blocker = await api.jobs.trainKerasJob(projectId, 7, { trainingCycles: 5000 });
    await waitStarted(api, blocker.id);
    const failing = await api.jobs.trainKerasJob(projectId, 7, { trainingCycles: 1 });
    const dataset = datasetFile(join(platform.dataDir, 'artifacts'));
    renameSync(dataset, `${dataset}.away`);
    try {
      await api.jobs.cancelJob(projectId, blocker.id);
      await expect(
        api.runJobUntilCompletion({ type: 'project', projectId, jobId: failing.id }),
      ).rejects.toThrow('Job failed');
    } finally {
      renameSync(`${dataset}.away`, dataset);
    }
  }, 180_000);

  it('socket.io v4 clients keep working on the same server (hello, job-finished)', async () => {
    const api = new EdgeImpulseApi({ endpoint: platform.baseUrl });
    await api.authenticate({ method: 'apiKey', apiKey: projectKey });
    const token = await api.projects.getSocketToken(projectId);
    expectModel('getSocketToken', token);
    const job = await api.jobs.trainKerasJob(projectId, 7, { trainingCycles: 1, mode: 'visual' });
    const client = connect(platform.baseUrl, {
      transports: ['websocket'],
      query: { token: token.token.socketToken },
    });
    try {
      const hello = await new Promise((resolve) => client.on('hello', resolve));
      expect(hello).toEqual({ hello: { version: 1 } });
      const finished = await new Promise((resolve) =>
        client.on('job-finished', (p: { jobId: number }) => p.jobId === job.id && resolve(p)),
      );
      expect(finished).toEqual({ jobId: job.id, success: true });
    } finally {
      client.close();
    }
  }, 120_000);
});
