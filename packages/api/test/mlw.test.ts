import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testProviders } from '@trainhub/db/testing';
import { createRestHandler } from '../src/rest/http';
import { mlwStyle } from '../src/rest/mlw/routes';
import { mlwDate } from '../src/rest/mlw/present';
import {
  ARCHITECTURE,
  IRIS_CSV,
  basic,
  makeTask,
  makeWorld,
  multipart,
  simulateTraining,
  type World,
} from './helpers';
import { checkMlwAnswer } from './mlw-reference';

/** A preprocessing code resource in the platform's declarative format (also a Python dict literal). */
const PREPROCESSING = '{"scaling": "standardize", "missing": "drop"}';

const SEED_BODY = {
  batchSize: 15,
  epoch: 100,
  stepPerEpoch: 10,
  learningRate: 0.001,
  loss: 'categorical_crossentropy',
  metrics: ['accuracy', 'f1'],
  optimizer: 'adam',
  testSize: 0.3,
  scriptOutput: 'NA',
  recurrence: 'ONE_TIME',
  cronExpression: '',
  modelName: 'modelName',
  problemType: 'classification',
};

describe.each(testProviders)('MLW style on %s', (provider) => {
  let w: World;
  let handle: (request: Request) => Promise<Response>;
  let auth: string;
  let project: string;
  let archId: string;
  let dataId: string;
  let codeId: string;

  // Every JSON answer is checked against the reference's shapes (mlw-reference.ts) before the test sees it.
  const call = async (
    method: string,
    path: string,
    init: { body?: BodyInit; headers?: Record<string, string>; auth?: string | null } = {},
  ) => {
    const response = await handle(
      new Request(`http://localhost/service/mlw${path}`, {
        method,
        body: init.body,
        headers: { ...(init.auth === null ? {} : { authorization: init.auth ?? auth }), ...init.headers },
      }),
    );
    if (response.headers.get('content-type')?.includes('json'))
      checkMlwAnswer(method, path, response.status, await response.clone().json());
    return response;
  };
  /** The uploaded file of a project-with-resources answer: the newest of that name. */
  const newest = (body: { resources: Record<string, { id: string; name: string }[]> }, name: string) =>
    Object.values(body.resources)
      .flat()
      .filter((r) => r.name === name)
      .sort((x, y) => parseInt(y.id) - parseInt(x.id))[0]!;
  const upload = async (name: string, content: string, who = auth) => {
    const response = await call('POST', `/projects/${project}/resources`, {
      body: multipart({ file: { name, content } }),
      auth: who,
    });
    const body = await response.json();
    const stored = name.split('/').pop()!;
    return { status: response.status, body: response.ok ? { ...newest(body, stored), project: body } : body };
  };
  const train = (body: unknown, who: string | null = auth) =>
    call('POST', `/projects/${project}/resources/${archId}/trainNN`, {
      body: typeof body === 'string' ? body : JSON.stringify(body),
      headers: { 'content-type': 'text/plain' },
      auth: who,
    });

  beforeAll(async () => {
    w = await makeWorld(provider);
    handle = createRestHandler(mlwStyle, () => w.deps);
    auth = `Bearer ${w.a.keys.EDITOR}`;
    project = `${w.a.projectId}_Project`;
    archId = (await upload('iris.architecture', ARCHITECTURE)).body.id;
    dataId = (await upload('iris.csv', IRIS_CSV)).body.id;
    codeId = (await upload('prep.py', PREPROCESSING)).body.id;
  });
  afterAll(async () => {
    await w?.drop();
  });

  it('uploads resources into groups by extension', async () => {
    expect(archId).toMatch(/^\d+_Resource$/);
    const list = await (await call('GET', `/projects/${project}/resources`)).json();
    expect(list.id).toBe(project);
    const ids = (group: string) => list.resources[group].map((r: { id: string }) => r.id);
    expect([ids('data'), ids('code'), ids('nn-designer'), ids('model')]).toEqual([
      [dataId],
      [codeId],
      [archId],
      [],
    ]);
    expect(list.resourcesCount).toEqual({
      data: 1,
      model: 0,
      code: 1,
      workflow: 0,
      pipeline: 0,
      'nn-designer': 1,
      totalCount: 3,
    });
    const got = await (await call('GET', `/projects/${project}/resources/${dataId}`)).json();
    const rows = IRIS_CSV.trim().split('\n');
    expect(got).toMatchObject({
      id: dataId,
      name: 'iris.csv',
      type: 'CSV',
      category: 'Data',
      mimeType: 'text/csv',
      extension: '.csv',
      size: IRIS_CSV.length,
      url: `./MLW/${project}/Data/iris.csv`,
      editedAt: '',
      deployed: false,
      properties: [
        { key: 'numberOfRows', label: 'Number of Rows', value: rows.length - 1 },
        { key: 'numberOfColumns', label: 'Number of Columns', value: rows[0]!.split(',').length },
        { key: 'columnNames', label: 'Column Names', value: rows[0]!.split(',') },
      ],
    });
    const arch = await (await call('GET', `/projects/${project}/resources/${archId}`)).json();
    expect(arch).toMatchObject({
      type: 'ARCHITECTURE',
      category: 'NN-Designer',
      mimeType: 'application/ARCHITECTURE',
      url: `./MLW/${project}/NN-Designer/iris.architecture`,
    });
    const download = await call('GET', `/projects/${project}/resources/${dataId}/download`);
    expect(download.status).toBe(200);
    expect(await download.text()).toBe(IRIS_CSV);
  });

  it('trainNN answers the seed response with every field, type and format', async () => {
    const response = await train({ ...SEED_BODY, dataID: dataId, codeID: codeId });
    expect(response.status).toBe(200);
    const body = await response.json();
    expect(Object.keys(body)).toEqual([
      'id',
      'name',
      'createdAt',
      'sortTime',
      'type',
      'individualTasks',
      'projectID',
      'projectName',
      'startDate',
      'startTimeH',
      'startTimeM',
      'properties',
      'cronExpression',
      'status',
      'recurrence',
    ]);
    expect(body).toMatchObject({
      id: expect.stringMatching(/^\d+$/),
      name: 'modelName',
      createdAt: expect.stringMatching(/^[A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d{2}:\d{2}:\d{2} \d{4}$/),
      sortTime: expect.any(Number),
      type: 'NN',
      projectID: project,
      projectName: 'alpha project',
      startDate: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/),
      startTimeH: expect.stringMatching(/^\d{2}$/),
      startTimeM: expect.stringMatching(/^\d{2}$/),
      cronExpression: '',
      status: 'NOT SCHEDULED',
      recurrence: 'ONE_TIME',
    });
    expect(body.properties).toEqual([
      { key: 'problemType', label: 'Problem Type', value: 'classification' },
      { key: 'optimizer', label: 'Optimizer', value: 'adam' },
      { key: 'learningRate', label: 'Learning Rate', value: 0.001 },
      { key: 'loss', label: 'Loss', value: 'categorical_crossentropy' },
      { key: 'metrics', label: 'Metrics', value: ['accuracy', 'f1'] },
      { key: 'epoch', label: 'Epoch', value: 100 },
      { key: 'testSize', label: 'Test Size', value: 0.3 },
      { key: 'batchSize', label: 'Batch Size', value: 15 },
    ]);
    expect(body.individualTasks).toHaveLength(1);
    const sub = body.individualTasks[0];
    expect(Object.keys(sub)).toEqual([
      'status',
      'type',
      'projectID',
      'log',
      'properties',
      'message',
      'history',
      'tasksID',
      'taskName',
      'id',
      'executedAt',
      'pID',
    ]);
    expect(sub).toMatchObject({
      status: 'INITIALISING',
      type: 'NN',
      projectID: project,
      log: {},
      properties: [],
      message: 'Initialising',
      history: [],
      tasksID: body.id,
      taskName: 'modelName',
      id: expect.stringMatching(/^\d+$/),
      pID: expect.any(String),
    });
    expect(body.sortTime).toBe(
      Math.floor(
        Date.parse(
          `${body.createdAt.slice(4, 10)} ${body.createdAt.slice(20)} ${body.createdAt.slice(11, 19)} UTC`,
        ) / 1000,
      ),
    );

    // The task is stored in the shared contract shape the trainer reads: normalized (version 2), the
    // architecture file's JSON copied as our architecture, its input shape left to the data.
    const task = await w.t.db.task.findUniqueOrThrow({
      where: { id: Number(body.id) },
      include: { executions: true },
    });
    expect(task.definition).toEqual({
      version: 2,
      problemType: 'classification',
      spec: {
        format: 'trainhub.architecture',
        version: 1,
        layers: [
          { type: 'dense', units: 16, activation: 'relu' },
          { type: 'dense', units: 3, activation: 'softmax' },
        ],
        output: { dropout: 0 },
      },
      datasetResourceId: Number(dataId.split('_')[0]),
      modelName: 'modelName',
    });
    expect(task.hyperparameters).toEqual({
      epochs: 100,
      batchSize: 15,
      learningRate: 0.001,
      optimizer: 'adam',
      loss: 'categorical_crossentropy',
      metrics: ['accuracy', 'f1'],
      stepsPerEpoch: 10,
      testSize: 0.3,
    });
    expect(task.codeResourceId).toBe(Number(codeId.split('_')[0]));
    expect(task.executions).toMatchObject([{ status: 'QUEUED' }]);
  });

  it('answers the seed 401 body without auth, byte for byte', async () => {
    const response = await train({ ...SEED_BODY, dataID: dataId, codeID: codeId }, null);
    expect(response.status).toBe(401);
    expect(await response.text()).toBe(
      '{"error":"general/internalError","message":"No auth information found","info":"https://cumulocity.com/guides/reference/rest-implementation/#error_reporting"}',
    );
    const wrong = await train({ ...SEED_BODY }, basic('owner@alpha.test', 'nope'));
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toMatchObject({ error: 'security/Unauthorized' });
  });

  it('answers the seed 400 body for a missing mandatory hyperparameter, writing nothing', async () => {
    const before = await w.t.db.task.count();
    const {
      codeID: _c,
      problemType: _p,
      ...rest
    } = { ...SEED_BODY, optimizer: 'Adam', dataID: dataId, codeID: codeId };
    const response = await train(rest);
    expect(response.status).toBe(400);
    expect(await response.text()).toBe(
      '{"message":"one of mandatory hyperparameter not found","errorCode":400,"exception":"one of mandatory hyperparameter not found"}',
    );
    expect(await w.t.db.task.count()).toBe(before);
  });

  it('accepts Basic user:password and tenant/user:password', async () => {
    for (const who of [basic('editor@alpha.test'), basic('alpha/editor@alpha.test')]) {
      const response = await train({ ...SEED_BODY, dataID: dataId, codeID: codeId, modelName: 'basic' }, who);
      expect(response.status).toBe(200);
    }
    const otherTenant = await train(
      { ...SEED_BODY, dataID: dataId, codeID: codeId },
      basic('beta/editor@alpha.test'),
    );
    expect(otherTenant.status).toBe(401);
  });

  it('REPEAT + cronExpression creates a schedule with no run yet', async () => {
    const response = await train({
      ...SEED_BODY,
      dataID: dataId,
      codeID: codeId,
      recurrence: 'REPEAT',
      cronExpression: '0 0/5 * * * ?',
    });
    expect(response.status).toBe(200);
    const body = await response.json();
    expect(body).toMatchObject({
      status: 'SCHEDULED',
      recurrence: 'REPEAT',
      cronExpression: '0 0/5 * * * ?',
      individualTasks: [],
    });
    const task = await w.t.db.task.findUniqueOrThrow({ where: { id: Number(body.id) } });
    expect(task.scheduleKind).toBe('CRON');
    expect(task.nextRunAt!.getTime()).toBeGreaterThan(Date.now());
    expect(task.nextRunAt!.getUTCMinutes() % 5).toBe(0);
    const bad = await train({
      ...SEED_BODY,
      dataID: dataId,
      codeID: codeId,
      recurrence: 'REPEAT',
      cronExpression: 'every tuesday',
    });
    expect(bad.status).toBe(400);
  });

  it('lists tasks newest first and shows history, log and status of each run', async () => {
    const created = await (
      await train({ ...SEED_BODY, dataID: dataId, codeID: codeId, modelName: 'followed' })
    ).json();
    const executionId = Number(created.individualTasks[0].id);
    await simulateTraining(w, executionId, { epochs: 3 });
    const list = (await (await call('GET', '/tasks')).json()).data;
    expect(list[0].id).toBe(created.id);
    const ids = list.map((t: { sortTime: number; id: string }) => Number(t.id));
    expect(ids).toEqual([...ids].sort((x, y) => y - x));
    const task = await (await call('GET', `/tasks/${created.id}`)).json();
    const stageEvent = await w.t.db.executionEvent.findFirstOrThrow({
      where: { executionId, kind: 'STAGE', message: 'TRAIN' },
    });
    const model = await w.t.db.resource.findFirstOrThrow({ where: { producedBy: { id: executionId } } });
    const run = await w.t.db.execution.findUniqueOrThrow({ where: { id: executionId } });
    expect(task.individualTasks[0]).toMatchObject({
      status: 'COMPLETED',
      log: {
        ARCH_READ: { type: 'INFO', message: 'ok', error: '' },
        TRAIN: {
          // When the stage was entered (its event), as Python's str(datetime).
          timestamp: `${stageEvent.createdAt.toISOString().replace('T', ' ').slice(0, 23)}000`,
          type: 'INFO',
          message: 'training',
          error: '',
        },
      },
      fileName: `./MLW/${project}/Model/${model.name}`,
      completedAt: mlwDate(run.finishedAt!),
      fileSaved: true,
    });
    const sub = await (await call('GET', `/tasks/${created.id}/task/${executionId}`)).json();
    expect(sub.history).toEqual(
      [1, 2, 3].map((epoch) => ({
        epoch,
        acc: 0.5 + epoch / 100,
        loss: 1 / epoch,
        lr: 0.001,
        val_acc: 0.4 + epoch / 100,
        val_loss: 1.1 / epoch,
      })),
    );
  });

  it('PUT stops a running run (stop request) and cancels a queued one', async () => {
    const created = await (await train({ ...SEED_BODY, dataID: dataId, codeID: codeId })).json();
    const queued = created.individualTasks[0].id;
    const stopped = await (await call('PUT', `/tasks/${created.id}/task/${queued}`)).json();
    expect(stopped).toEqual({ message: 'Triggered early stopping' });
    expect((await w.t.db.execution.findUniqueOrThrow({ where: { id: Number(queued) } })).status).toBe(
      'CANCELLED',
    );
    const second = await (await train({ ...SEED_BODY, dataID: dataId, codeID: codeId })).json();
    const running = Number(second.individualTasks[0].id);
    await simulateTraining(w, running, { finish: null });
    const response = await call('PUT', `/tasks/${second.id}/task/${running}`);
    expect(await response.json()).toEqual({ message: 'Triggered early stopping' });
    const after = await w.t.db.execution.findUniqueOrThrow({ where: { id: running } });
    expect([after.status, after.stopRequest]).toEqual(['RUNNING', 'STOP']);
    // Deleting a running run is refused; the viewer cannot even try.
    const deleteRunning = await call('DELETE', `/tasks/${second.id}/task/${running}`, {
      auth: `Bearer ${w.a.keys.ADMIN}`,
    });
    expect(deleteRunning.status).toBe(409);
    const viewerDelete = await call('DELETE', `/tasks/${second.id}`, { auth: `Bearer ${w.a.keys.VIEWER}` });
    expect(viewerDelete.status).toBe(403);
    const adminDelete = await call('DELETE', `/tasks/${second.id}`, { auth: `Bearer ${w.a.keys.ADMIN}` });
    expect(adminDelete.status).toBe(200);
    // The remaining tasks, as a map by id (their runs too); the deleted one is not among them.
    const remaining = (await adminDelete.json()).data;
    expect(remaining[second.id]).toBeUndefined();
    expect(remaining[created.id].individualTasks[queued]).toMatchObject({ id: queued, status: 'STOPPED' });
    expect((await call('GET', `/tasks/${second.id}`)).status).toBe(404);
  });

  describe('bad input', () => {
    it('malformed JSON and wrong types are 400 in the MLW shape and write nothing', async () => {
      const before = await w.t.db.task.count();
      for (const body of [
        '{"batchSize":',
        '[1,2]',
        JSON.stringify({ ...SEED_BODY, dataID: dataId, codeID: codeId, epoch: 'many' }),
        JSON.stringify({ ...SEED_BODY, dataID: dataId, codeID: codeId, testSize: 3 }),
        JSON.stringify({ ...SEED_BODY, dataID: 'x', codeID: codeId }),
      ]) {
        const response = await train(body);
        expect(response.status).toBe(400);
        expect(Object.keys(await response.json())).toEqual(['message', 'errorCode', 'exception']);
      }
      expect(await w.t.db.task.count()).toBe(before);
    });

    it('unknown fields are ignored, not stored', async () => {
      const response = await train({ ...SEED_BODY, dataID: dataId, codeID: codeId, bogus: 1 });
      expect(response.status).toBe(200);
      const task = await w.t.db.task.findUniqueOrThrow({ where: { id: Number((await response.json()).id) } });
      expect(JSON.stringify(task.hyperparameters)).not.toContain('bogus');
    });

    it('unknown and foreign ids answer the same 404', async () => {
      const foreignProject = `${w.b.projectId}_Project`;
      const unknown = await call('GET', `/projects/999999_Project/resources`);
      const foreign = await call('GET', `/projects/${foreignProject}/resources`);
      expect(unknown.status).toBe(404);
      expect(foreign.status).toBe(404);
      expect(await foreign.text()).toBe(await unknown.text());
      const foreignTask = await makeTask(w.t.db, w.b.projectId);
      const a = await call('GET', `/tasks/${foreignTask.id}`);
      const b = await call('GET', `/tasks/99999999`);
      expect([a.status, b.status]).toEqual([404, 404]);
      expect(await a.text()).toBe(await b.text());
      const malformed = await call('GET', '/projects/abc/resources');
      expect(malformed.status).toBe(404);
      // A dataset of another team cannot be trained on.
      const foreignData = await w.t.db.resource.create({
        data: {
          projectId: w.b.projectId,
          kind: 'DATASET',
          name: 'x.csv',
          size: 1,
          contentHash: 'x',
          storageKey: 'k',
        },
      });
      const cross = await train({ ...SEED_BODY, dataID: `${foreignData.id}_Resource`, codeID: codeId });
      expect(cross.status).toBe(404);
    });

    it('a huge upload is 413 and stores nothing; a path-traversal name is sanitized', async () => {
      const before = await w.t.db.resource.count();
      const big = 'x'.repeat(w.deps.uploadLimitBytes + 10);
      const response = await call('POST', `/projects/${project}/resources`, {
        body: multipart({ file: { name: 'big.csv', content: big } }),
      });
      expect(response.status).toBe(413);
      expect(await response.json()).toMatchObject({ errorCode: 413 });
      expect(await w.t.db.resource.count()).toBe(before);
      const evil = await upload('../../../etc/passwd.csv', 'a,b\n1,2');
      expect(evil.body.url).toBe(`./MLW/${project}/Data/passwd.csv`);
      expect(evil.status).toBe(200);
      expect(evil.body.name).toBe('passwd.csv');
      const row = await w.t.db.resource.findUniqueOrThrow({
        where: { id: Number(evil.body.id.split('_')[0]) },
      });
      expect(row.storageKey).toMatch(new RegExp(`^projects/${w.a.projectId}/resources/[0-9a-f-]+$`));
      const notMultipart = await call('POST', `/projects/${project}/resources`, {
        body: 'hello',
        headers: { 'content-type': 'text/plain' },
      });
      expect(notMultipart.status).toBe(415);
      // A file type MLW does not take: the reference's 409, nothing stored.
      const count = await w.t.db.resource.count();
      const pmml = await upload('model.pmml', '<PMML/>');
      expect(pmml).toEqual({
        status: 409,
        body: { message: 'File type not supported', errorCode: 409, exception: 'Contact Admin for Support' },
      });
      expect(await w.t.db.resource.count()).toBe(count);
    });

    it('a viewer cannot upload or train', async () => {
      const viewer = `Bearer ${w.a.keys.VIEWER}`;
      expect((await upload('v.csv', 'a\n1', viewer)).status).toBe(403);
      expect((await train({ ...SEED_BODY, dataID: dataId, codeID: codeId }, viewer)).status).toBe(403);
    });
  });
});
