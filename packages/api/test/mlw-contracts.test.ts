import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testProviders } from '@trainhub/db/testing';
import { createRestHandler } from '../src/rest/http';
import { mlwStyle } from '../src/rest/mlw/routes';
import { cumulocityStyle } from '../src/rest/cumulocity/routes';
import { ARCHITECTURE, basic, makeTask, makeWorld, multipart, type World } from './helpers';

// MLW and Cumulocity routes on the contract-applying dispatcher (issue 15): the declared path, query and
// body schemas are the only parsing, and each failure keeps the bytes MLW answers (docs/fidelity/mlw.md).

const INFO = 'https://cumulocity.com/guides/reference/rest-implementation/#error_reporting';

describe.each(testProviders)('MLW contracts on %s', (provider) => {
  let w: World;
  let mlw: (request: Request) => Promise<Response>;
  let c8y: (request: Request) => Promise<Response>;
  let auth: string;
  let project: string;
  let archId: string;

  const call = async (method: string, path: string, init: { body?: BodyInit; auth?: string | null } = {}) => {
    const response = await mlw(
      new Request(`http://localhost/service/mlw${path}`, {
        method,
        body: init.body,
        headers: init.auth === null ? {} : { authorization: init.auth ?? auth },
      }),
    );
    return { status: response.status, text: await response.text() };
  };
  const error = (status: number, message: string, exception = message) =>
    JSON.stringify({ message, errorCode: status, exception });
  const variableIssue = (loc: string[], msg: string) =>
    JSON.stringify({
      error: 'general/Internal Error',
      message: 'Variable issue',
      info: [{ loc, msg, type: 'value_error' }],
    });

  beforeAll(async () => {
    w = await makeWorld(provider);
    mlw = createRestHandler(mlwStyle, () => w.deps);
    c8y = createRestHandler(cumulocityStyle, () => w.deps);
    auth = `Bearer ${w.a.keys.ADMIN}`;
    project = `${w.a.projectId}_Project`;
    const uploaded = await call('POST', `/projects/${project}/resources`, {
      body: multipart({ file: { name: 'net.architecture', content: ARCHITECTURE } }),
    });
    archId = (JSON.parse(uploaded.text) as { resources: { 'nn-designer': { id: string }[] } }).resources[
      'nn-designer'
    ][0]!.id;
  });
  afterAll(async () => {
    await w?.drop();
  });

  it('parses path ids with the declared schemas: a malformed id is the same 404 as an unknown one', async () => {
    const unknownProject = await call('GET', '/projects/999999_Project');
    expect(unknownProject).toEqual({ status: 404, text: error(404, 'project not found') });
    for (const malformed of ['abc', '12_Resource', '1234567890123456_Project', '12_project'])
      expect(await call('GET', `/projects/${malformed}`)).toEqual(unknownProject);
    const unknownTask = await call('GET', '/tasks/99999999');
    expect(unknownTask).toEqual({ status: 404, text: error(404, 'task not found') });
    // fidelity mlw.md: hard-coded ids of another era (`656ea4`, `..._Tasks`) are 404s.
    expect(await call('GET', '/tasks/656ea4')).toEqual(unknownTask);
    expect(await call('GET', '/tasks/1601287609_Tasks')).toEqual(unknownTask);
    const task = await makeTask(w.t.db, w.a.projectId);
    expect((await call('GET', `/tasks/${task.id}`)).status).toBe(200);
    expect((await call('GET', `/tasks/${task.id}/task/x1`)).status).toBe(404);
    expect(
      await call('GET', `/projects/${project}/resources/${archId.replace('_Resource', '_Project')}`),
    ).toEqual({ status: 404, text: error(404, 'resource not found') });
  });

  it('answers missing credentials before reading or checking the body', async () => {
    const missing = JSON.stringify({
      error: 'general/internalError',
      message: 'No auth information found',
      info: INFO,
    });
    expect(await call('POST', '/projects', { body: '{', auth: null })).toEqual({
      status: 401,
      text: missing,
    });
    expect(await call('POST', '/projects', { body: '{}', auth: 'Bearer nope' })).toEqual({
      status: 401,
      text: JSON.stringify({ error: 'security/Unauthorized', message: 'Invalid credentials!', info: INFO }),
    });
  });

  it("words each body contract's failure as MLW does", async () => {
    expect(await call('POST', '/projects', { body: JSON.stringify({ name: '  ' }) })).toEqual({
      status: 400,
      text: variableIssue(['name'], 'Too small: expected string to have >=1 characters'),
    });
    expect(await call('POST', '/projects', { body: '{"name":' })).toEqual({
      status: 400,
      text: error(400, 'malformed JSON in the request body'),
    });
    expect(await call('POST', '/projects', {})).toEqual({
      status: 400,
      text: variableIssue(['body'], 'Invalid input: expected object, received undefined'),
    });
    // An empty update changes nothing.
    const unchanged = await call('PUT', `/projects/${project}`);
    expect(unchanged.status).toBe(200);
    expect(JSON.parse(unchanged.text)).toMatchObject({ id: project, name: 'alpha project' });
    expect(
      await call('POST', `/projects/${project}/resources/createnew`, {
        body: JSON.stringify({ type: 'pmml', name: 'x' }),
      }),
    ).toEqual({ status: 400, text: variableIssue(['type'], "permitted: 'architecture', 'arch', 'py'") });
    expect(
      await call('PUT', `/projects/${project}/resources/${archId}/save`, {
        body: JSON.stringify({ content: 1 }),
      }),
    ).toEqual({
      status: 400,
      text: variableIssue(['content'], 'Invalid input: expected string, received number'),
    });
    const trainNN = (body: string) =>
      call('POST', `/projects/${project}/resources/${archId}/trainNN`, { body });
    expect(await trainNN('[1]')).toEqual({ status: 400, text: error(400, 'the body must be a JSON object') });
    expect(await trainNN(JSON.stringify({ epoch: 1 }))).toEqual({
      status: 400,
      text: error(400, 'one of mandatory hyperparameter not found'),
    });
    const complete = {
      batchSize: 4,
      epoch: 1,
      learningRate: 0.01,
      loss: 'categorical_crossentropy',
      optimizer: 'adam',
      modelName: 'm',
      problemType: 'classification',
    };
    const badData = await trainNN(JSON.stringify({ ...complete, dataID: '12' }));
    expect(badData.status).toBe(400);
    expect(JSON.parse(badData.text).message).toMatch(/^invalid value for dataID: /);
    // A well-formed id of nothing is the lookup's 404.
    expect((await trainNN(JSON.stringify({ ...complete, dataID: '999999_Resource' }))).status).toBe(404);
  });

  it('answers a model type MLW does not know with its 404s (the query contract)', async () => {
    expect(await call('GET', '/resources/deploy?type=XGBOOST')).toEqual({
      status: 404,
      text: error(404, 'Invalid Model Type', 'invalid model'),
    });
    expect(await call('GET', '/resources/deploy?type=')).toEqual({
      status: 404,
      text: error(404, 'Invalid Model Type', 'invalid model'),
    });
    expect(await call('GET', '/resources/deploy?type=PMML')).toEqual({
      status: 200,
      text: JSON.stringify({ data: [] }),
    });
    const invalid = { status: 404, text: error(404, 'Invalid Model Type/File Type.', 'invalid model') };
    expect(await call('GET', `/projects/${project}/resources/${archId}/predict/m?type=PMML`)).toEqual(
      invalid,
    );
    expect(await call('GET', `/projects/${project}/resources/${archId}/predict/m?type=XGBOOST`)).toEqual(
      invalid,
    );
    // The architecture is no CSV data resource.
    expect(await call('GET', `/projects/${project}/resources/${archId}/predict/m`)).toEqual(invalid);
  });

  it('the Cumulocity surface authenticates with the same reader and 401 bodies', async () => {
    const get = async (path: string, authorization?: string) => {
      const response = await c8y(
        new Request(`http://localhost${path}`, { headers: authorization ? { authorization } : {} }),
      );
      return { status: response.status, text: await response.text() };
    };
    const bad = { error: 'security/Unauthorized', message: 'Invalid credentials!', info: INFO };
    expect(await get('/user/currentUser', basic('alpha/editor@alpha.test', 'wrong'))).toEqual({
      status: 401,
      text: JSON.stringify(bad),
    });
    expect(await get('/user/currentUser', 'Token abc')).toEqual({ status: 401, text: JSON.stringify(bad) });
    const me = await get('/user/currentUser', `Bearer ${w.a.keys.VIEWER}`);
    expect(me.status).toBe(200);
    expect(JSON.parse(me.text).effectiveRoles.map((r: { id: string }) => r.id)).toEqual([
      'ROLE_MACHINE_LEARNING_READ',
    ]);
  });
});
