import { Client } from '@c8y/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkMlwAnswer, checkedAnswers } from '../../packages/api/test/mlw-reference';
import { blobsCsv, productionBuilt, startProductionPlatform, type RunningPlatform } from '../src/platform';

// Cumulocity's official JavaScript client (npm @c8y/client) against the production web server and a real
// trainer: log in with Client.authenticate (GET /tenant/currentTenant), then the NN training workflow of an
// MLW client through client.core.fetch. Every MLW answer is checked against the reference's shapes.
const built = productionBuilt();

const EMAIL = 'c8y@example.com';
// The answers' shapes are checked against the reference (checkMlwAnswer) before the assertions read them.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Answer = { status: number; body: any; bytes: Buffer };
const PASSWORD = 'c8y-client-password';

/** A multipart body built by hand: @c8y/client fetches through node-fetch 2, which cannot send a FormData. */
function multipartFile(name: string, content: string) {
  const boundary = `----c8y${Date.now().toString(16)}`;
  const body = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${name}"\r\n` +
      `Content-Type: application/octet-stream\r\n\r\n${content}\r\n--${boundary}--\r\n`,
  );
  return { body, headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
}

describe.skipIf(!built)('@c8y/client against the production server', () => {
  let platform: RunningPlatform;

  beforeAll(async () => {
    platform = await startProductionPlatform({
      user: { email: EMAIL, password: PASSWORD, team: 'C8y Lab' },
      trainerId: 'c8y-trainer',
    });
  }, 180_000);
  afterAll(async () => {
    await platform?.stop();
  });

  it(
    'logs in with Client.authenticate and runs the NN-designer training workflow, deploys and predicts',
    { timeout: 300_000 },
    async () => {
      // The tenant is the team: Client.authenticate reads it from GET /tenant/currentTenant.
      const probe = await Client.authenticate({ user: EMAIL, password: PASSWORD }, platform.baseUrl);
      const tenant = probe.core.tenant;
      expect(tenant).toMatch(/^[a-z0-9-]+$/);
      const client = await Client.authenticate({ tenant, user: EMAIL, password: PASSWORD }, platform.baseUrl);
      expect(client.core.tenant).toBe(tenant);
      const { data: me } = await client.user.current();
      expect(me).toMatchObject({ userName: EMAIL, email: EMAIL });
      await expect(
        Client.authenticate({ tenant: 'not-my-team', user: EMAIL, password: PASSWORD }, platform.baseUrl),
      ).rejects.toBeTruthy();

      const mlw = async (
        method: string,
        path: string,
        init: { json?: unknown; body?: Buffer; headers?: Record<string, string> } = {},
      ): Promise<Answer> => {
        const response = await client.core.fetch(`/service/mlw${path}`, {
          method,
          ...(init.json !== undefined
            ? { body: JSON.stringify(init.json), headers: { 'content-type': 'text/plain' } }
            : { body: init.body, headers: init.headers }),
        });
        const bytes = Buffer.from(await response.arrayBuffer());
        const json = (response.headers.get('content-type') ?? '').includes('json');
        const body = json ? JSON.parse(bytes.toString('utf8')) : null;
        if (json) checkMlwAnswer(method, path, response.status, body);
        return { status: response.status, body, bytes };
      };
      const fileIn = (project: { resources: Record<string, { id: string; name: string }[]> }, name: string) =>
        Object.values(project.resources)
          .flat()
          .find((r) => r.name === name)!;

      // Projects: list, create.
      const before = await mlw('GET', '/projects');
      expect(before.status).toBe(200);
      const created = await mlw('POST', '/projects', {
        json: { name: 'c8y client', description: 'via @c8y/client' },
      });
      expect(created.status).toBe(200);
      const P = created.body.id as string;
      expect((await mlw('GET', '/projects')).body.data.map((p: { id: string }) => p.id)).toContain(P);

      // Upload a CSV; create an architecture from a template, load it, save an edited one.
      const csv = blobsCsv(300);
      const uploaded = await mlw('POST', `/projects/${P}/resources`, multipartFile('blobs.csv', csv));
      expect(uploaded.status).toBe(200);
      const data = fileIn(uploaded.body, 'blobs.csv');
      const made = await mlw('POST', `/projects/${P}/resources/createnew`, {
        json: { type: 'arch', name: 'blobs-net', template: 'None' },
      });
      const arch = fileIn(made.body, 'blobs-net.architecture');
      const loaded = await mlw('GET', `/projects/${P}/resources/${arch.id}/preview`);
      const spec = JSON.parse(loaded.body.content);
      spec.layers = [{ type: 'dense', units: 12, activation: 'relu' }];
      const saved = await mlw('PUT', `/projects/${P}/resources/${arch.id}/save`, {
        json: { content: JSON.stringify(spec) },
      });
      expect(saved.body.message).toBe('File updated successfully!');

      // trainNN (E2+ body: no codeID), poll the task, stop it early once it trains.
      const trained = await mlw('POST', `/projects/${P}/resources/${arch.id}/trainNN`, {
        json: {
          batchSize: 8,
          epoch: 2000,
          learningRate: 0.01,
          loss: 'categorical_crossentropy',
          metrics: ['accuracy'],
          optimizer: 'adam',
          testSize: 0.2,
          recurrence: 'ONE_TIME',
          cronExpression: '',
          modelName: 'blobs',
          dataID: data.id,
          problemType: 'classification',
          shuffleData: true,
        },
      });
      expect(trained.status).toBe(200);
      const T = trained.body.id as string;
      const S = trained.body.individualTasks[0].id as string;
      const poll = async (until: (run: { status: string; history: unknown[] }) => boolean) => {
        for (let i = 0; i < 600; i++) {
          const task = await mlw('GET', `/tasks/${T}`);
          const run = task.body.individualTasks.find((r: { id: string }) => r.id === S);
          if (until(run)) return run;
          if (run.status === 'FAILED') throw new Error(`training failed: ${run.message}`);
          await new Promise((r) => setTimeout(r, 250));
        }
        throw new Error('timed out');
      };
      const running = await poll((run) => run.status === 'RUNNING' && run.history.length >= 2);
      expect(Object.keys(running.log)).toContain('TRAIN');
      const stop = await mlw('PUT', `/tasks/${T}/task/${S}`);
      expect(stop.body).toEqual({ message: 'Triggered early stopping' });
      const stopped = await poll((run) => run.status !== 'RUNNING' && run.status !== 'INITIALISING');
      expect(stopped.history.length).toBeLessThan(2000);
      expect(stopped).toMatchObject({ fileSaved: true });
      const listed = await mlw('GET', '/tasks');
      expect(listed.body.data.map((t: { id: string }) => t.id)).toContain(T);
      await mlw('GET', `/tasks/${T}/task/${S}`);

      // The model is in the Model group; download it.
      const resources = await mlw('GET', `/projects/${P}/resources`);
      const model = resources.body.resources.model[0];
      expect(stopped.fileName).toBe(model.url);
      const download = await mlw('GET', `/projects/${P}/resources/${model.id}/download`);
      expect(download.status).toBe(200);
      expect(download.bytes.length).toBe(model.size);
      expect(download.bytes.subarray(0, 2).toString('latin1')).toBe('PK');

      // Deploy it under its model name (the mleID) and score the CSV with it.
      const deployed = await mlw('POST', `/projects/${P}/resources/${model.id}/deploy`);
      expect(deployed.body).toMatchObject({ id: model.id, deployed: true, mleID: 'blobs' });
      const deployments = await mlw('GET', '/resources/deploy?type=ONNX');
      expect(deployments.body.data).toContainEqual({ id: 'blobs', name: 'blobs', type: 'ONNX' });
      const predicted = await mlw('GET', `/projects/${P}/resources/${data.id}/predict/blobs?type=ONNX`);
      const output = (predicted.body.resources.data as { id: string; name: string }[]).find((r) =>
        /^predicted_blobs_\d+\.csv$/.test(r.name),
      )!;
      const scored = (await mlw('GET', `/projects/${P}/resources/${output.id}/download`)).bytes.toString(
        'utf8',
      );
      const [header, ...rows] = scored.trim().split('\n');
      expect(header!.split(',')).toEqual(
        expect.arrayContaining(['probability_c0', 'probability_c1', 'probability_c2', 'predicted_target']),
      );
      expect(rows).toHaveLength(300);
      // Each row: probabilities summing to 1, and the predicted class is the most probable one.
      const columns = header!.split(',');
      const classes = ['c0', 'c1', 'c2'];
      for (const row of rows) {
        const cells = row.split(',');
        const p = classes.map((c) => Number(cells[columns.indexOf(`probability_${c}`)]));
        expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 3);
        expect(cells[columns.indexOf('predicted_target')]).toBe(classes[p.indexOf(Math.max(...p))]);
      }

      expect(checkedAnswers.size).toBeGreaterThanOrEqual(13);
    },
  );
});
