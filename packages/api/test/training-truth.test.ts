import { readFileSync } from 'node:fs';
import path from 'node:path';
import { zipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testProviders } from '@trainhub/db/testing';
import type { Principal } from '../src/auth/principal';
import { createClient } from '../src/client';
import { uploadResource } from '../src/services/resources';
import { SUMMARY_KEY } from '../src/services/training-validation';
import { ARCHITECTURE, IRIS_CSV, inProcessFetch, makeWorld, multipart, type World } from './helpers';

// Issue 16: a training request is checked before anything is written, in every style; uploads are checked on
// arrival. The failing inputs of 2026-11-30 are read as they are from shared/ beside the clone.
const repoRoot = path.resolve(__dirname, '../../..');
const cases = path.resolve(repoRoot, '../shared/cases/2026-11-30');
const caseFile = (name: string) => readFileSync(path.join(cases, name));

const TRAIN_BODY = {
  batchSize: 4,
  epoch: 3,
  learningRate: 0.001,
  loss: 'categorical_crossentropy',
  metrics: ['accuracy'],
  optimizer: 'adam',
  testSize: 0.25,
  recurrence: 'ONE_TIME',
  cronExpression: '',
  modelName: 'm',
  problemType: 'classification',
};
const TWO_CLASS_CSV = 'f1,f2,label\n0.1,0.2,a\n0.2,0.1,a\n0.9,0.8,b\n0.8,0.9,b\n';
const ONE_CLASS_CSV = 'a,b,label\n1,2,x\n3,4,x\n5,6,x\n';
const editorOf = (team: { id: number }): Principal => ({
  kind: 'apiKey',
  keyId: 0,
  teamId: team.id,
  projectId: null,
  role: 'EDITOR',
  userId: null,
});

describe.each(testProviders)('training tells the truth on %s', (provider) => {
  let w: World;
  let fetcher: typeof fetch;
  let project: string;
  const auth = () => ({ authorization: `Bearer ${w.a.keys.EDITOR}` });
  const ids: Record<string, string> = {};

  const mlw = async (method: string, p: string, body?: BodyInit) => {
    const response = await fetcher(`http://localhost/service/mlw${p}`, {
      method,
      body,
      headers: { ...auth(), ...(typeof body === 'string' ? { 'content-type': 'text/plain' } : {}) },
    });
    return { status: response.status, body: await response.json() };
  };
  const upload = async (name: string, content: string | Buffer) => {
    const { status, body } = await mlw(
      'POST',
      `/projects/${project}/resources`,
      multipart({ file: { name, content } }),
    );
    if (status !== 200) return { status, body, id: '' };
    const files = Object.values(body.resources as Record<string, { id: string; name: string }[]>).flat();
    const file = files.filter((r) => r.name === name).sort((x, y) => parseInt(y.id) - parseInt(x.id))[0];
    return { status, body, id: file?.id ?? '' };
  };
  const trainNN = (arch: string, body: Record<string, unknown>) =>
    mlw(
      'POST',
      `/projects/${project}/resources/${ids[arch]}/trainNN`,
      JSON.stringify({ ...TRAIN_BODY, ...body }),
    );
  const taskCount = () => w.t.db.task.count({ where: { projectId: w.a.projectId } });

  beforeAll(async () => {
    w = await makeWorld(provider, 1024 * 1024);
    fetcher = inProcessFetch(w.deps);
    project = `${w.a.projectId}_Project`;
    const files: [string, string | Buffer][] = [
      ['iris-net.architecture', ARCHITECTURE],
      ['plain.architecture', JSON.stringify({ layers: [{ type: 'dense', units: 8 }] })],
      [
        'reshape.architecture',
        JSON.stringify({
          layers: [
            { type: 'reshape', columns: 3 },
            { type: 'conv1d', filters: 2 },
          ],
        }),
      ],
      ['head.architecture', caseFile('architecture-with-output-layer.architecture')],
      ['iris.csv', IRIS_CSV],
      ['one-class.csv', ONE_CLASS_CSV],
      ['two-class.csv', TWO_CLASS_CSV],
      ['missing-values.csv', caseFile('missing-values.csv')],
      ['semicolon-decimal-comma.csv', caseFile('semicolon-decimal-comma.csv')],
      ['duplicate-headers.csv', caseFile('duplicate-headers.csv')],
      ['integer-labels.csv', caseFile('integer-labels.csv')],
      ['mlw-python-preprocessing.py', caseFile('mlw-python-preprocessing.py')],
      ['target-f1.py', '{"target": "f1"}'],
      ['target-nope.py', '{"target": "nope"}'],
    ];
    for (const [name, content] of files) {
      const answer = await upload(name, content);
      expect(answer.status, name).toBe(200);
      ids[name.replace(/\.\w+$/, '')] = answer.id;
    }
  });
  afterAll(async () => {
    await w?.drop();
  });

  describe('MLW trainNN refuses up front with 400 and writes nothing (finding 2)', () => {
    const refusals: [string, string, Record<string, unknown>, RegExp][] = [
      [
        'optimizer adamw2',
        'iris-net',
        { optimizer: 'adamw2' },
        /^Unknown optimizer "adamw2" \(use adam, sgd, rmsprop, adagrad, adadelta or adamax\)$/,
      ],
      ['loss hinge_typo', 'iris-net', { loss: 'hinge_typo' }, /^Unknown loss "hinge_typo"/],
      [
        'a metric of the other problem type',
        'iris-net',
        { metrics: ['r2'] },
        /^Metric r2 does not fit a classification problem/,
      ],
      [
        'one class',
        'plain',
        { dataID: 'one-class' },
        /^The label column "label" has only one class \("x"\); classification needs at least two$/,
      ],
      [
        'a reshape that does not divide',
        'reshape',
        {},
        /^Layer 1 \(reshape\) has columns 3, which does not divide the 4 values per sample$/,
      ],
      [
        'a final layer that contradicts the data',
        'head',
        { dataID: 'two-class' },
        /^Layer 2 \(dense, 3 softmax units\) is an output layer that contradicts the data: the data has 2 classes, so the output layer needs 2 softmax units$/,
      ],
      [
        'missing values (all listed)',
        'plain',
        { dataID: 'missing-values' },
        /^dataset missing-values\.csv: 6 problems in the data: Row 3, column "humidity": missing value \(empty\); Row 4, column "pressure": missing value \(NaN\); Row 6, column "humidity": missing value \(NA\); Row 9, column "temperature": missing value \(empty\); Row 10, column "pressure": missing value \(null\); Row 12, column "humidity": missing value \(n\/a\)\. Missing values: set "missing"/,
      ],
      [
        'a Python codeID',
        'plain',
        { codeID: 'mlw-python-preprocessing' },
        /^code resource mlw-python-preprocessing\.py: The code resource mlw-python-preprocessing\.py is Python code; it must be the declarative preprocessing JSON instead, for example \{ "scaling": "standardize", "testSize": 0\.2, "missing": "drop", "target": "label" \}/,
      ],
      [
        'a target column the data lacks',
        'plain',
        { codeID: 'target-nope' },
        /^dataset iris\.csv: Column "nope" is not in the CSV header \("sepal_length", "sepal_width", "petal_length", "petal_width", "species"\)$/,
      ],
    ];
    it.each(refusals)('%s', async (_what, arch, body, message) => {
      const before = await taskCount();
      const resolved = Object.fromEntries(
        Object.entries({ dataID: 'iris', ...body }).map(([k, v]) => [
          k,
          k === 'dataID' || k === 'codeID' ? ids[v as string] : v,
        ]),
      );
      const answer = await trainNN(arch, resolved);
      expect(answer.status).toBe(400);
      expect(answer.body).toEqual({
        message: expect.stringMatching(message),
        errorCode: 400,
        exception: answer.body.message,
      });
      expect(await taskCount()).toBe(before);
    });

    it('accepts what the training core reads: decimal commas, renamed duplicates, a spec head, a named target', async () => {
      const accepted: [string, Record<string, unknown>][] = [
        ['plain', { dataID: ids['semicolon-decimal-comma'] }],
        ['plain', { dataID: ids['duplicate-headers'] }],
        ['head', { dataID: ids['integer-labels'] }],
        [
          'plain',
          {
            dataID: ids['integer-labels'],
            codeID: ids['target-f1'],
            problemType: 'regression',
            loss: 'mse',
            metrics: ['mae'],
          },
        ],
      ];
      for (const [arch, body] of accepted) {
        const answer = await trainNN(arch, body);
        expect(answer.status, JSON.stringify(answer.body)).toBe(200);
      }
    });

    it('a header-only dataset uploaded before upload checks (no summary) is refused from the store', async () => {
      const stored = await w.deps.store.put('legacy/header-only.csv', caseFile('header-only.csv'));
      const legacy = await w.t.db.resource.create({
        data: {
          projectId: w.a.projectId,
          kind: 'DATASET',
          name: 'header-only.csv',
          size: stored.size,
          contentHash: stored.contentHash,
          storageKey: stored.key,
        },
      });
      const before = await taskCount();
      const answer = await trainNN('plain', { dataID: `${legacy.id}_Resource` });
      expect(answer.status).toBe(400);
      expect(answer.body.message).toBe('dataset header-only.csv: The CSV file has a header but no data rows');
      expect(await taskCount()).toBe(before);
    });
  });

  describe('a diverged run is FAILED in every style (finding 1)', () => {
    it('MLW status and message, the Edge Impulse job finishedSuccessful false, the history of every epoch', async () => {
      const answer = await trainNN('plain', { dataID: ids.iris, epoch: 60 });
      expect(answer.status).toBe(200);
      const executionId = Number(answer.body.individualTasks[0].id);
      const taskId = answer.body.id as string;
      // What the trainer writes when the loss becomes Infinity in epoch 32 (apps/trainer training-truth test).
      const reason =
        'Training diverged at epoch 32: loss became Infinity; lower the learning rate or scale the inputs';
      for (let epoch = 1; epoch <= 31; epoch++) {
        await w.t.db.executionEvent.create({
          data: {
            executionId,
            seq: epoch,
            kind: 'EPOCH',
            epoch,
            data: { epoch, loss: 10 ** epoch, metrics: { accuracy: 0.5, val_loss: 10 ** epoch }, lr: 0.01 },
          },
        });
      }
      await w.t.db.execution.update({
        where: { id: executionId },
        data: {
          status: 'FAILED',
          stage: 'TRAIN',
          message: reason,
          error: reason,
          finishedAt: new Date(),
          startedAt: new Date(),
        },
      });
      const task = (await mlw('GET', `/tasks/${taskId}`)).body;
      const run = task.individualTasks.find((r: { id: string }) => r.id === String(executionId));
      expect(run.status).toBe('FAILED');
      expect(run.message).toBe(`Failed: ${reason}`);
      expect(run.history.map((h: { epoch: number }) => h.epoch)).toEqual(
        Array.from({ length: 31 }, (_, i) => i + 1),
      );
      expect(JSON.stringify(run.history)).not.toContain('null,"loss"');
      const ei = await fetcher(`http://localhost/v1/api/${w.a.projectId}/jobs/${executionId}/status`, {
        headers: { 'x-api-key': w.a.keys.EDITOR },
      });
      expect((await ei.json()).job).toMatchObject({
        id: executionId,
        finished: expect.any(String),
        finishedSuccessful: false,
      });
    });
  });

  describe('uploads are checked on arrival (finding 8)', () => {
    it('refuses a header-only or empty CSV naming why, and keeps nothing', async () => {
      const resources = await w.t.db.resource.count({ where: { projectId: w.a.projectId } });
      const headerOnly = await upload('header-only.csv', caseFile('header-only.csv'));
      expect(headerOnly.status).toBe(400);
      expect(headerOnly.body.message).toBe(
        'header-only.csv is not a dataset: The CSV file has a header but no data rows',
      );
      const empty = await upload('empty.csv', caseFile('empty.csv'));
      expect(empty.status).toBe(400);
      expect(empty.body.message).toMatch(/^empty\.csv is not a dataset: The file is empty/);
      expect(await w.t.db.resource.count({ where: { projectId: w.a.projectId } })).toBe(resources);
    });

    it('a .bin, a .png and a prose .txt are plain files, never models or datasets; a platform model zip is a model', async () => {
      // The web UI's upload (services.uploadResource, what apps/web's action calls).
      const kindOf = async (name: string, content: string | Buffer) =>
        (
          await uploadResource(w.deps, editorOf(w.a), w.a.projectId, {
            name,
            contentType: null,
            body: Buffer.from(content),
          })
        ).kind;
      expect(await kindOf('weights.bin', Buffer.from([0, 1, 2, 3, 255, 0, 7]))).toBe('OTHER');
      expect(await kindOf('photo.png', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 0]))).toBe('OTHER');
      expect(
        await kindOf('notes.txt', 'Remember to scale the inputs before training.\nAnd lower the rate.\n'),
      ).toBe('OTHER');
      expect(await kindOf('table.txt', 'a;b;label\n1;2;x\n3;4;y\n')).toBe('DATASET');
      const archive = zipSync({
        'model.json': Buffer.from('{"modelTopology":{}}'),
        'weights.bin': new Uint8Array(4),
        'metadata.json': Buffer.from('{"format":"trainhub.model","version":1}'),
      });
      expect(await kindOf('model.zip', Buffer.from(archive))).toBe('MODEL');
      expect(await kindOf('other.zip', Buffer.from(zipSync({ 'a.txt': new Uint8Array(1) })))).toBe('OTHER');
      // The UI's and the APIs' model lists hold only the platform's model.
      const models = await w.t.db.resource.findMany({ where: { projectId: w.a.projectId, kind: 'MODEL' } });
      expect(models.map((m) => m.name)).toEqual(['model.zip']);
    });

    it('the upload answer carries a data summary: rows, column types, missing cells, classes with counts', async () => {
      const resource = await uploadResource(w.deps, editorOf(w.a), w.a.projectId, {
        name: 'mv.csv',
        contentType: 'text/csv',
        body: caseFile('missing-values.csv'),
      });
      const summary = (resource.metadata as Record<string, unknown>)[SUMMARY_KEY] as {
        rows: number;
        missingCells: number;
        columns: {
          name: string;
          type: string;
          missing: number;
          classes?: { name: string; count: number }[];
        }[];
      };
      expect(summary.rows).toBe(12);
      expect(summary.missingCells).toBe(6);
      expect(summary.columns.map((c) => `${c.name}:${c.type}:${c.missing}`)).toEqual([
        'temperature:number:1',
        'humidity:number:3',
        'pressure:number:2',
        'label:text:0',
      ]);
      expect(summary.columns[3]!.classes).toEqual([
        { name: 'ok', count: 6 },
        { name: 'storm', count: 6 },
      ]);
    });
  });

  describe('the other styles refuse the same requests in their own format', () => {
    it('tRPC tasks.train: BAD_REQUEST naming the optimizer; nothing written', async () => {
      const client = createClient({ url: 'http://localhost', apiKey: w.a.keys.EDITOR, fetch: fetcher });
      const before = await taskCount();
      await expect(
        client.trpc.tasks.train.mutate({
          projectId: w.a.projectId,
          architectureResourceId: parseInt(ids.plain!),
          datasetResourceId: parseInt(ids['one-class']!),
          problemType: 'classification',
          modelName: 'x',
          hyperparameters: { epochs: 2, batchSize: 4, optimizer: 'adamw2' },
        }),
      ).rejects.toMatchObject({
        data: { code: 'BAD_REQUEST' },
        message: expect.stringMatching(/^Unknown optimizer "adamw2"/),
      });
      expect(await taskCount()).toBe(before);
    });

    it('Edge Impulse train/keras: 400 { success: false, error } for a reshape that does not divide', async () => {
      const headers = { 'x-api-key': w.b.keys.EDITOR, 'content-type': 'application/json' };
      const ei = async (method: string, p: string, body: unknown) => {
        const response = await fetcher(`http://localhost/v1${p}`, {
          method,
          headers,
          body: JSON.stringify(body),
        });
        return { status: response.status, body: await response.json() };
      };
      await uploadResource(w.deps, editorOf(w.b), w.b.projectId, {
        name: 'iris.csv',
        contentType: 'text/csv',
        body: Buffer.from(IRIS_CSV),
      });
      await ei('POST', `/api/${w.b.projectId}/impulse`, {
        inputBlocks: [],
        dspBlocks: [],
        learnBlocks: [{ id: 3, type: 'keras', name: 'NN Classifier', title: 'Classification', dsp: [2] }],
      });
      const answer = await ei('POST', `/api/${w.b.projectId}/jobs/train/keras/3`, {
        mode: 'visual',
        visualLayers: [
          { type: 'reshape', columns: 3 },
          { type: 'conv1d', neurons: 4, kernelSize: 3, layers: 1 },
        ],
        trainingCycles: 2,
      });
      expect(answer.status).toBe(400);
      expect(answer.body).toEqual({
        success: false,
        error: 'Layer 1 (reshape) has columns 3, which does not divide the 4 values per sample',
      });
      expect(await w.t.db.task.count({ where: { projectId: w.b.projectId } })).toBe(0);
    });

    it('session style: a regression with the default eval_metrics trains (accuracy is not forced on it)', async () => {
      const call = async (
        method: string,
        p: string,
        init: { body?: BodyInit; headers?: Record<string, string> } = {},
      ) => {
        const response = await fetcher(`http://localhost/training-module${p}`, { method, ...init });
        return { status: response.status, body: await response.json() };
      };
      const start = await call('GET', '/start_session?force_restart=1', {
        headers: { 'x-api-key': w.a.keys.EDITOR },
      });
      const key = start.body.key as string;
      const params = await call('POST', `/parameters/${key}`, {
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ task_type: 'regression', epochs: 2 }),
      });
      expect(params.status).toBe(200);
      const csv = caseFile('diverges-sgd.csv');
      await call('POST', `/upload_dataset/${key}`, {
        body: multipart({
          train_file: { name: 'train.csv', content: csv },
          test_file: { name: 'test.csv', content: csv },
        }),
      });
      expect((await call('POST', `/preprocess/${key}`)).status).toBe(200);
      const started = await call('POST', `/training/start/${key}`);
      expect(started.status, JSON.stringify(started.body)).toBe(200);
      await call('POST', `/training/stop/${key}`);
    });

    it('session style: a header-only train_file is refused at upload; missing values at preprocess', async () => {
      const call = async (
        method: string,
        p: string,
        init: { body?: BodyInit; headers?: Record<string, string> } = {},
      ) => {
        const response = await fetcher(`http://localhost/training-module${p}`, { method, ...init });
        return { status: response.status, body: await response.json() };
      };
      const start = await call('GET', '/start_session?force_restart=1', {
        headers: { 'x-api-key': w.a.keys.EDITOR },
      });
      const key = start.body.key as string;
      const refused = await call('POST', `/upload_dataset/${key}`, {
        body: multipart({
          train_file: { name: 'train.csv', content: caseFile('header-only.csv') },
          test_file: { name: 'test.csv', content: IRIS_CSV },
        }),
      });
      expect(refused.status).toBe(400);
      expect(refused.body).toEqual({
        detail: 'train.csv is not a dataset: The CSV file has a header but no data rows',
      });
      const uploaded = await call('POST', `/upload_dataset/${key}`, {
        body: multipart({
          train_file: { name: 'train.csv', content: caseFile('missing-values.csv') },
          test_file: { name: 'test.csv', content: caseFile('missing-values.csv') },
        }),
      });
      expect(uploaded.status).toBe(200);
      const before = await taskCount();
      // The preprocess step reads the cells (finding 3): every missing cell listed, the session stays in setup.
      const pre = await call('POST', `/preprocess/${key}`);
      expect(pre.status).toBe(400);
      expect(pre.body.detail).toMatch(
        /^dataset train\.csv: 6 problems in the data: Row 3, column "humidity": missing value \(empty\);/,
      );
      const started = await call('POST', `/training/start/${key}`);
      expect(started.status).toBe(409);
      expect(await taskCount()).toBe(before);
    });
  });
});
