import Papa from 'papaparse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testProviders } from '@trainhub/db/testing';
import { createRestHandler } from '../src/rest/http';
import { mlwStyle } from '../src/rest/mlw/routes';
import { basic, makeWorld, multipart, type World } from './helpers';
import { checkMlwAnswer } from './mlw-reference';
import { blobsCsv, linearCsv, storeModel, trainSmall } from './predictions-fixtures';

// MLW deploy and predict (fidelity §1 #18-#21, §4) over the prediction service: deploy a trained model under
// its model name (the mleID), list deployments, score a CSV data resource into `predicted_<data>_<epoch>.csv`.

describe.each(testProviders)('MLW deploy and predict on %s', (provider) => {
  let w: World;
  let handle: (request: Request) => Promise<Response>;
  let P: string;
  let classifier: string;
  let regressor: string;

  const call = async (method: string, path: string, init: { body?: BodyInit; auth?: string } = {}) => {
    const response = await handle(
      new Request(`http://localhost/service/mlw${path}`, {
        method,
        body: init.body,
        headers: { authorization: init.auth ?? basic('alpha/admin@alpha.test') },
      }),
    );
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const body: any = await response.json();
    checkMlwAnswer(method, path, response.status, body);
    return { status: response.status, body };
  };
  const upload = async (name: string, content: string) => {
    const { body } = await call('POST', `/projects/${P}/resources`, {
      body: multipart({ file: { name, content } }),
    });
    return body.resources.data.find((r: { name: string }) => r.name === name).id as string;
  };
  const csvOf = async (id: string) => {
    const row = await w.t.db.resource.findUniqueOrThrow({ where: { id: parseInt(id) } });
    const text = (await w.deps.store.get(row.storageKey)).toString('utf8');
    return Papa.parse<Record<string, string>>(text, { header: true, skipEmptyLines: true });
  };

  beforeAll(async () => {
    w = await makeWorld(provider);
    handle = createRestHandler(mlwStyle, () => w.deps);
    P = `${w.a.projectId}_Project`;
    const [cls, reg] = await Promise.all([trainSmall('classification'), trainSmall('regression')]);
    classifier = `${(await storeModel(w, w.a.projectId, cls, 'blobs')).id}_Resource`;
    regressor = `${(await storeModel(w, w.a.projectId, reg, 'linear')).id}_Resource`;
  }, 120_000);
  afterAll(async () => {
    await w?.drop();
  });

  it('deploys under the model name, lists it, refuses a second model of that name with 409', async () => {
    const deployed = await call('POST', `/projects/${P}/resources/${classifier}/deploy`);
    expect(deployed.status).toBe(200);
    expect(deployed.body).toMatchObject({
      id: classifier,
      deployed: true,
      mleID: 'blobs',
      category: 'Model',
    });
    const again = await call('POST', `/projects/${P}/resources/${classifier}/deploy`);
    expect(again.status).toBe(200);
    expect((await call('GET', `/projects/${P}/resources/${classifier}`)).body.mleID).toBe('blobs');
    const listed = await call('GET', '/resources/deploy?type=ONNX');
    expect(listed.body).toEqual({ data: [{ id: 'blobs', name: 'blobs', type: 'ONNX' }] });
    expect((await call('GET', '/resources/deploy?type=PMML')).body).toEqual({ data: [] });
    expect(await call('GET', '/resources/deploy?type=H5')).toEqual({
      status: 404,
      body: { message: 'Invalid Model Type', errorCode: 404, exception: 'invalid model' },
    });
    // Another version under the same name: MLW's 409.
    const twin = await storeModel(w, w.a.projectId, await trainSmall('classification'), 'blobs');
    const conflict = await call('POST', `/projects/${P}/resources/${twin.id}_Resource/deploy`);
    expect(conflict).toEqual({
      status: 409,
      body: {
        message: "A model with the name 'blobs' already exists.",
        errorCode: 409,
        exception: 'invalid/error',
      },
    });
    // The project listing shows which model is deployed.
    const project = (await call('GET', `/projects/${P}/resources`)).body;
    const models = project.resources.model as { id: string; deployed: boolean }[];
    expect(models.filter((m) => m.deployed).map((m) => m.id)).toEqual([classifier]);
  });

  it('predicts a data resource into predicted_<data>_<epoch>.csv with probability_<class> and predicted_target', async () => {
    const csv = blobsCsv(60, 7);
    const data = await upload('fresh.csv', csv);
    const before = Math.floor(Date.now() / 1000);
    const answer = await call('GET', `/projects/${P}/resources/${data}/predict/blobs?type=ONNX`);
    expect(answer.status).toBe(200);
    const made = (answer.body.resources.data as { id: string; name: string }[]).find((r) =>
      r.name.startsWith('predicted_fresh_'),
    )!;
    const epoch = Number(/^predicted_fresh_(\d+)\.csv$/.exec(made.name)![1]);
    expect(epoch).toBeGreaterThanOrEqual(before);
    expect(epoch).toBeLessThanOrEqual(Math.floor(Date.now() / 1000));
    const result = await csvOf(made.id);
    const classes = ['setosa', 'versicolor', 'virginica'];
    expect(result.meta.fields).toEqual(
      expect.arrayContaining([...classes.map((c) => `probability_${c}`), 'predicted_target']),
    );
    const truth = Papa.parse<Record<string, string>>(csv, { header: true }).data;
    let right = 0;
    result.data.forEach((row, i) => {
      const p = classes.map((c) => Number(row[`probability_${c}`]));
      expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 3);
      expect(row.predicted_target).toBe(classes[p.indexOf(Math.max(...p))]);
      if (row.predicted_target === truth[i]!.species) right++;
    });
    expect(result.data).toHaveLength(60);
    expect(right / 60).toBeGreaterThan(0.8);
  });

  it('regression: predicted_target is the value', async () => {
    await call('POST', `/projects/${P}/resources/${regressor}/deploy`);
    const csv = linearCsv(40, 9);
    const data = await upload('points.csv', csv);
    const answer = await call('GET', `/projects/${P}/resources/${data}/predict/linear`);
    const made = (answer.body.resources.data as { id: string; name: string }[]).find((r) =>
      r.name.startsWith('predicted_points_'),
    )!;
    const rows = (await csvOf(made.id)).data;
    const truth = Papa.parse<Record<string, string>>(csv, { header: true, skipEmptyLines: true }).data;
    const error =
      rows.reduce((sum, row, i) => sum + Math.abs(Number(row.predicted_target) - Number(truth[i]!.y)), 0) /
      rows.length;
    expect(error).toBeLessThan(0.5);
  });

  it('refuses other model kinds, unknown names, non-CSV data and undeployed models', async () => {
    const data = await upload('more.csv', blobsCsv(10, 3));
    const invalid = { message: 'Invalid Model Type/File Type.', errorCode: 404, exception: 'invalid model' };
    expect(await call('GET', `/projects/${P}/resources/${data}/predict/blobs?type=PMML`)).toEqual({
      status: 404,
      body: invalid,
    });
    expect(await call('GET', `/projects/${P}/resources/${classifier}/predict/blobs`)).toEqual({
      status: 404,
      body: invalid,
    });
    expect((await call('GET', `/projects/${P}/resources/${data}/predict/nobody`)).status).toBe(404);
    // A viewer may not predict (it writes a file) nor undeploy.
    const viewer = basic('alpha/viewer@alpha.test');
    expect(
      (await call('GET', `/projects/${P}/resources/${data}/predict/blobs`, { auth: viewer })).status,
    ).toBe(403);
    expect(
      (await call('DELETE', `/projects/${P}/resources/${classifier}/deploy`, { auth: viewer })).status,
    ).toBe(403);
    const undeployed = await call('DELETE', `/projects/${P}/resources/${classifier}/deploy`);
    expect(undeployed.body).toMatchObject({ id: classifier, deployed: false });
    expect(undeployed.body.mleID).toBeUndefined();
    expect((await call('DELETE', `/projects/${P}/resources/${classifier}/deploy`)).status).toBe(404);
    expect((await call('GET', `/projects/${P}/resources/${data}/predict/blobs`)).body).toMatchObject({
      errorCode: 404,
      message: "Model 'blobs' not found.",
    });
    // Another team cannot use this team's deployment.
    const stranger = await call('GET', '/resources/deploy', { auth: basic('beta/admin@beta.test') });
    expect(stranger.body.data.map((d: { name: string }) => d.name)).not.toContain('linear');
  });
});
