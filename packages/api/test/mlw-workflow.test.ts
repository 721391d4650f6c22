import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testProviders } from '@trainhub/db/testing';
import { createRestHandler } from '../src/rest/http';
import { cumulocityStyle } from '../src/rest/cumulocity/routes';
import { mlwStyle } from '../src/rest/mlw/routes';
import { mlwDate, mlwLogTimestamp } from '../src/rest/mlw/present';
import { IRIS_CSV, basic, makeWorld, multipart, simulateTraining, type World } from './helpers';
import { checkMlwAnswer, checkedAnswers } from './mlw-reference';

// The NN-designer workflow, the project and task envelopes, the 409s and the Cumulocity login calls, each
// answer checked against the reference shapes (mlw-reference.ts).

describe('MLW dates', () => {
  it('are Python ctime (space-padded day) and str(datetime) with microseconds, UTC', () => {
    expect(mlwDate(new Date('2020-08-03T12:28:08Z'))).toBe('Mon Aug  3 12:28:08 2020');
    expect(mlwDate(new Date('2020-09-29T05:45:22Z'))).toBe('Tue Sep 29 05:45:22 2020');
    expect(mlwLogTimestamp(new Date('2020-09-24T09:56:18.299Z'))).toBe('2020-09-24 09:56:18.299000');
  });

  it('the reference check refuses our old shapes (a bare list, a zero-padded day, a string log entry)', () => {
    expect(() => checkMlwAnswer('GET', '/projects', 200, [])).toThrow(/does not match/);
    const project = {
      id: '1_Project',
      name: 'p',
      description: '',
      createdAt: 'Mon Aug 03 12:28:08 2020',
      properties: [],
      isModified: false,
      isFreeze: false,
      selectedVersion: '',
      versions: [],
      resourcesCount: {
        data: 0,
        model: 0,
        code: 0,
        workflow: 0,
        pipeline: 0,
        'nn-designer': 0,
        totalCount: 0,
      },
    };
    expect(() => checkMlwAnswer('POST', '/projects', 200, project)).toThrow(/createdAt/);
    expect(() =>
      checkMlwAnswer('POST', '/projects', 200, { ...project, createdAt: 'Mon Aug  3 12:28:08 2020' }),
    ).not.toThrow();
    expect(() =>
      checkMlwAnswer('POST', '/projects', 200, {
        ...project,
        createdAt: 'Mon Aug  3 12:28:08 2020',
        sortTime: 1,
      }),
    ).toThrow(/sortTime/);
    expect(() => checkMlwAnswer('GET', '/tasks/1/task/2', 200, { log: { TRAIN: 'Training' } })).toThrow();
  });
});

describe.each(testProviders)('MLW NN-designer workflow on %s', (provider) => {
  let w: World;
  let handle: (request: Request) => Promise<Response>;
  let c8y: (request: Request) => Promise<Response>;
  let auth: string;

  const call = async (
    method: string,
    path: string,
    init: { body?: BodyInit | object; auth?: string | null; type?: string } = {},
  ) => {
    const isObject =
      init.body !== undefined && typeof init.body === 'object' && !(init.body instanceof FormData);
    const response = await handle(
      new Request(`http://localhost/service/mlw${path}`, {
        method,
        body: isObject ? JSON.stringify(init.body) : (init.body as BodyInit | undefined),
        headers: {
          ...(init.auth === null ? {} : { authorization: init.auth ?? auth }),
          ...(isObject ? { 'content-type': init.type ?? 'text/plain' } : {}),
        },
      }),
    );
    const text = await response.text();
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const body: any = response.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text;
    if (typeof body !== 'string') checkMlwAnswer(method, path, response.status, body);
    return { status: response.status, body };
  };
  const fileIn = (
    project: { resources: Record<string, { id: string; name: string }[]> },
    name: string,
  ): { id: string; name: string } & Record<string, unknown> =>
    Object.values(project.resources)
      .flat()
      .find((r) => r.name === name)!;

  beforeAll(async () => {
    w = await makeWorld(provider);
    handle = createRestHandler(mlwStyle, () => w.deps);
    c8y = createRestHandler(cumulocityStyle, () => w.deps);
    auth = basic('alpha/admin@alpha.test');
  });
  afterAll(async () => {
    await w?.drop();
  });

  it('lists projects in {data}, refuses a duplicate name with 409 and deletes into the remaining list', async () => {
    const created = await call('POST', '/projects', { body: { name: 'Digits', description: 'd' } });
    expect(created.status).toBe(200);
    expect(created.body).toMatchObject({ name: 'Digits', description: 'd', isFreeze: false, versions: [] });
    const unnamed = await call('POST', '/projects', { body: { name: ' ', description: 'd' } });
    expect(unnamed.status).toBe(400);
    expect(unnamed.body).toMatchObject({
      message: 'Variable issue',
      info: [{ loc: ['name'], type: 'value_error' }],
    });
    const duplicate = await call('POST', '/projects', { body: { name: 'Digits', description: 'again' } });
    expect(duplicate).toEqual({
      status: 409,
      body: { message: 'Project Name already exist', errorCode: 409, exception: 'Project Exist' },
    });
    // Another team may use the name.
    expect(
      (await call('POST', '/projects', { body: { name: 'Digits' }, auth: basic('beta/admin@beta.test') }))
        .status,
    ).toBe(200);
    const other = await call('POST', '/projects', { body: { name: 'Other', description: '' } });
    const renamed = await call('PUT', `/projects/${other.body.id}/`, {
      body: { name: 'Digits', description: '' },
    });
    expect(renamed.status).toBe(409);
    expect(renamed.body.exception).toBe('Project Name Exist');
    const list = await call('GET', '/projects');
    expect(list.body.data.map((p: { name: string }) => p.name).sort()).toEqual([
      'Digits',
      'Other',
      'alpha project',
    ]);
    const deleted = await call('DELETE', `/projects/${other.body.id}`);
    expect(deleted.body.data.map((p: { id: string }) => p.id)).not.toContain(other.body.id);
    expect(deleted.body.data.map((p: { id: string }) => p.id)).toContain(created.body.id);
  });

  it('createnew, preview, save, train from the saved architecture; deletes answer the project', async () => {
    const project = `${w.a.projectId}_Project`;
    const upload = await call('POST', `/projects/${project}/resources`, {
      body: multipart({ file: { name: 'iris.csv', content: IRIS_CSV } }),
    });
    const data = fileIn(upload.body, 'iris.csv');
    const arch = await call('POST', `/projects/${project}/resources/createnew`, {
      body: { type: 'arch', name: 'net', template: 'None' },
    });
    expect(arch.status).toBe(200);
    expect(arch.body.resourcesCount).toMatchObject({ data: 1, 'nn-designer': 1, totalCount: 2 });
    const file = fileIn(arch.body, 'net.architecture');
    expect(file).toMatchObject({ type: 'ARCHITECTURE', category: 'NN-Designer', editedAt: '' });
    const code = await call('POST', `/projects/${project}/resources/createnew`, {
      body: { type: 'py', name: 'prep' },
    });
    const prep = fileIn(code.body, 'prep.py');
    expect(prep).toMatchObject({ type: 'PY', category: 'Code', mimeType: 'application/CODE' });

    // preview: the template in the platform's architecture format.
    const preview = await call('GET', `/projects/${project}/resources/${file.id}/preview`);
    const spec = JSON.parse(preview.body.content);
    expect(spec).toMatchObject({ format: 'trainhub.architecture', version: 1, name: 'net' });
    expect(spec.layers.length).toBeGreaterThan(0);

    // save an edited architecture; a broken one is a Variable issue naming the field, and changes nothing.
    const edited = { ...spec, layers: [{ type: 'dense', units: 7, activation: 'tanh' }] };
    const saved = await call('PUT', `/projects/${project}/resources/${file.id}/save`, {
      body: { content: JSON.stringify(edited) },
    });
    expect(saved.body.message).toBe('File updated successfully!');
    expect(saved.body.data.editedAt).not.toBe('');
    expect(saved.body.data.size).toBe(JSON.stringify(edited).length);
    const bad = await call('PUT', `/projects/${project}/resources/${file.id}/save`, {
      body: { content: JSON.stringify({ layers: [{ type: 'dense', units: -1 }] }) },
    });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({
      message: 'Variable issue',
      info: [{ loc: ['content', 'layers', '0', 'units'] }],
    });
    expect(
      JSON.parse((await call('GET', `/projects/${project}/resources/${file.id}/preview`)).body.content),
    ).toEqual(edited);
    const wrongType = await call('POST', `/projects/${project}/resources/createnew`, {
      body: { type: 'ipynb', name: 'x' },
    });
    expect(wrongType.status).toBe(400);
    expect(wrongType.body.info[0].loc).toEqual(['type']);

    // trainNN as E2+ clients send it: an ISO startDate and no codeID. The task copies the saved architecture.
    const trained = await call('POST', `/projects/${project}/resources/${file.id}/trainNN`, {
      body: {
        batchSize: 4,
        epoch: 3,
        learningRate: 0.01,
        loss: 'categorical_crossentropy',
        metrics: ['accuracy'],
        optimizer: 'adam',
        testSize: 0.3,
        recurrence: 'ONE_TIME',
        cronExpression: '',
        modelName: 'irisnet',
        dataID: data.id,
        problemType: 'classification',
        shuffleData: true,
        startDate: '2030-01-02T03:04:05.000000Z',
      },
    });
    expect(trained.status).toBe(200);
    expect(trained.body).toMatchObject({ startDate: '2030-01-02', startTimeH: '03', startTimeM: '04' });
    const task = await w.t.db.task.findUniqueOrThrow({ where: { id: Number(trained.body.id) } });
    expect(task.codeResourceId).toBeNull();
    // The saved file is copied into the task as our architecture (stored normalized, version 2).
    expect(task.definition).toMatchObject({ version: 2, spec: { ...edited, output: { dropout: 0 } } });

    // A run completes: its model shows in the Model group with fileName/completedAt/fileSaved on the run.
    const runId = Number(trained.body.individualTasks[0].id);
    await simulateTraining(w, runId, { epochs: 2 });
    const run = await call('GET', `/tasks/${trained.body.id}/task/${runId}`);
    expect(run.body).toMatchObject({ status: 'COMPLETED', fileSaved: true });
    const after = await call('GET', `/projects/${project}/resources`);
    expect(after.body.resourcesCount.model).toBe(1);
    expect(run.body.fileName).toBe(after.body.resources.model[0].url);

    // Deletes: a sub-task answers the task list, a resource the project with its remaining files.
    const afterRunDelete = await call('DELETE', `/tasks/${trained.body.id}/task/${runId}`);
    expect(
      afterRunDelete.body.data.find((t: { id: string }) => t.id === trained.body.id).individualTasks,
    ).toEqual([]);
    const afterFileDelete = await call('DELETE', `/projects/${project}/resources/${prep.id}`);
    expect(afterFileDelete.body.resources.code).toEqual([]);
    expect(afterFileDelete.body.resourcesCount.code).toBe(0);
  });

  it('a viewer can preview but not create or save; another team sees 404', async () => {
    const project = `${w.a.projectId}_Project`;
    const list = await call('GET', `/projects/${project}/resources`);
    const arch = list.body.resources['nn-designer'][0];
    const viewer = basic('alpha/viewer@alpha.test');
    expect(
      (await call('GET', `/projects/${project}/resources/${arch.id}/preview`, { auth: viewer })).status,
    ).toBe(200);
    expect(
      (
        await call('POST', `/projects/${project}/resources/createnew`, {
          body: { type: 'py', name: 'v' },
          auth: viewer,
        })
      ).status,
    ).toBe(403);
    expect(
      (
        await call('PUT', `/projects/${project}/resources/${arch.id}/save`, {
          body: { content: '[]' },
          auth: viewer,
        })
      ).status,
    ).toBe(403);
    const stranger = basic('beta/admin@beta.test');
    expect(
      (await call('GET', `/projects/${project}/resources/${arch.id}/preview`, { auth: stranger })).status,
    ).toBe(404);
  });

  it('Cumulocity login calls: currentTenant names the team, currentUser the caller', async () => {
    const get = async (path: string, authorization?: string) => {
      const response = await c8y(
        new Request(`http://localhost${path}`, { headers: authorization ? { authorization } : {} }),
      );
      return { status: response.status, body: await response.json() };
    };
    const tenant = await get('/tenant/currentTenant', basic('alpha/editor@alpha.test'));
    expect(tenant.status).toBe(200);
    expect(tenant.body).toMatchObject({ name: 'alpha', domainName: 'localhost', allowCreateTenants: false });
    expect((await get('/tenant/currentTenant', `Bearer ${w.b.keys.VIEWER}`)).body.name).toBe('beta');
    const user = await get('/user/currentUser', basic('alpha/editor@alpha.test'));
    expect(user.body).toMatchObject({
      id: 'editor@alpha.test',
      userName: 'editor@alpha.test',
      enabled: true,
    });
    expect(user.body.effectiveRoles.map((r: { id: string }) => r.id)).toEqual([
      'ROLE_MACHINE_LEARNING_READ',
      'ROLE_MACHINE_LEARNING_CREATE',
      'ROLE_MACHINE_LEARNING_UPDATE',
    ]);
    const none = await get('/tenant/currentTenant');
    expect(none).toEqual({
      status: 401,
      body: {
        error: 'general/internalError',
        message: 'No auth information found',
        info: 'https://cumulocity.com/guides/reference/rest-implementation/#error_reporting',
      },
    });
    expect((await get('/user/currentUser', basic('beta/editor@alpha.test'))).status).toBe(401);
    expect((await get('/tenant/elsewhere', basic('alpha/editor@alpha.test'))).status).toBe(404);
  });

  it('checked answers of every documented route this suite calls', () => {
    expect(checkedAnswers.size).toBeGreaterThanOrEqual(12);
  });
});
