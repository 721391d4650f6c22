import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { EdgeImpulseApi } from 'edge-impulse-api';
import { io as connect } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkResponse } from '../../packages/api/test/ei-models';
import { MlwClient } from '../src/mlw';
import {
  admin,
  createPlatform,
  exited,
  root,
  startTrainer,
  startWeb,
  waitForHttp,
  type Platform,
} from '../src/platform';

// Edge Impulse's own Node.js bindings (npm edge-impulse-api) against the production web server
// (apps/web/server.ts) and a real trainer: the "Running jobs" flow of the bindings' README with an API key and
// with username/password, through runJobUntilCompletion; cancelling a running job; a failed job. Every answer
// the bindings hand back is checked against their own response models.

const built =
  existsSync(join(root, 'apps/web/.next/BUILD_ID')) && existsSync(join(root, 'apps/trainer/dist/main.mjs'));

const EMAIL = 'ei-bindings@example.com';
const PASSWORD = 'ei-bindings-password-1';

function blobsCsv(rows: number): string {
  const lines = ['a,b,c,d,label'];
  for (let i = 0; i < rows; i++) {
    const k = i % 3;
    lines.push(
      `${[0, 1, 2, 3].map((j) => (k * 3 + (j === k ? 2 : 0) + ((i * 7919 + j * 31) % 100) / 100).toFixed(2)).join(',')},c${k}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/** The answer matches the bindings' model of `operationId`. */
function expectModel(operationId: string, answer: unknown) {
  expect(checkResponse(operationId, answer), operationId).toEqual([]);
}

describe.skipIf(!built)('Edge Impulse bindings against the production server', () => {
  let platform: Platform;
  let web: ReturnType<typeof startWeb>;
  let trainer: ReturnType<typeof startTrainer>;
  let projectId: number;
  let projectKey: string;

  beforeAll(async () => {
    platform = await createPlatform('sqlite');
    admin(platform, ['create-user', '--email', EMAIL, '--password', PASSWORD, '--team', 'Bindings']);
    web = startWeb(platform);
    trainer = startTrainer(platform, 'ei-bindings-1', { TRAINER_POLL_MS: '100' });
    await waitForHttp(`${platform.baseUrl}/api/health`, 120_000);
    // A project with a dataset (MLW upload: Edge Impulse's ingestion service is not served).
    const mlw = MlwClient.basic(platform.baseUrl, EMAIL, PASSWORD);
    const project = await mlw.createProject('bindings');
    await mlw.upload(project.id, 'blobs.csv', blobsCsv(90));
    projectId = parseInt(project.id);
  }, 180_000);
  afterAll(async () => {
    web?.kill('SIGTERM');
    trainer?.kill('SIGTERM');
    await Promise.all([web && exited(web), trainer && exited(trainer)]);
    await platform?.stop();
  });

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
    for (let i = 0; i < 600; i++) {
      const { job } = await api.jobs.getJobStatus(projectId, long.id);
      if (job.started) break;
      await new Promise((r) => setTimeout(r, 100));
    }
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

    // A Keras model the trainer cannot build fails the job.
    const broken = JSON.stringify({
      class_name: 'Sequential',
      config: { layers: [{ class_name: 'NoSuchLayer', config: {} }] },
    });
    const failing = await api.jobs.trainKerasJob(projectId, 7, { mode: 'expert', script: broken });
    await expect(
      api.runJobUntilCompletion({ type: 'project', projectId, jobId: failing.id }),
    ).rejects.toThrow('Job failed');
    // Restore visual mode for the block.
    await api.learn.setKeras(projectId, 7, { mode: 'visual' });
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
