import superjson from 'superjson';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testProviders } from '@trainhub/db/testing';
import { inProcessFetch, makeWorld, type World } from './helpers';
import { blobsCsv, storeDataset, storeModel, trainSmall } from './predictions-fixtures';

// tRPC answers are read as loosely typed JSON here.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Answer = { result?: { data: any }; error?: any };

// The models router over HTTP (the handler apps/web mounts at /api/trpc), with API keys.
describe.each(testProviders)('tRPC models.* on %s', (provider) => {
  let w: World;
  let call: typeof fetch;
  let modelId: number;

  // Inputs and answers in superjson's envelope, as every tRPC client of the platform sends and reads them.
  const answer = async (res: Response) => {
    const body = (await res.json()) as Answer;
    if (body.result) body.result.data = superjson.deserialize(body.result.data);
    if (body.error) body.error = superjson.deserialize(body.error);
    return { status: res.status, body };
  };
  const query = async (key: string, path: string, input: unknown) =>
    answer(
      await call(
        `http://localhost/api/trpc/${path}?input=${encodeURIComponent(superjson.stringify(input))}`,
        {
          headers: { 'x-api-key': key },
        },
      ),
    );
  const mutate = async (key: string, path: string, input: unknown) =>
    answer(
      await call(`http://localhost/api/trpc/${path}`, {
        method: 'POST',
        headers: { 'x-api-key': key, 'content-type': 'application/json' },
        body: superjson.stringify(input),
      }),
    );
  async function waitJob(key: string, jobId: number) {
    for (let i = 0; i < 200; i++) {
      const { body } = await query(key, 'models.job', { projectId: w.a.projectId, jobId });
      const job = body.result!.data;
      if (job.status === 'COMPLETED' || job.status === 'FAILED') return job;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('job did not finish');
  }

  beforeAll(async () => {
    w = await makeWorld(provider);
    call = inProcessFetch(w.deps);
    modelId = (await storeModel(w, w.a.projectId, await trainSmall('classification'), 'iris')).id;
  }, 120_000);
  afterAll(async () => {
    await w?.drop();
  });

  it('lists, gets, predicts, scores, tests and deploys', async () => {
    const viewer = w.a.keys.VIEWER;
    const editor = w.a.keys.EDITOR;
    const list = await query(viewer, 'models.list', { projectId: w.a.projectId });
    expect(list.status).toBe(200);
    expect(list.body.result!.data).toMatchObject([{ name: 'iris', versions: 1, deployed: null }]);
    const versions = await query(viewer, 'models.versions', { projectId: w.a.projectId, name: 'iris' });
    expect(versions.body.result!.data[0]).toMatchObject({ resourceId: modelId, version: 1 });
    const got = await query(viewer, 'models.get', { projectId: w.a.projectId, resourceId: modelId });
    expect(got.body.result!.data.signature).toMatchObject({
      features: ['f0', 'f1', 'f2', 'f3'],
      classNames: ['setosa', 'versicolor', 'virginica'],
    });

    const predicted = await mutate(viewer, 'models.predict', {
      projectId: w.a.projectId,
      resourceId: modelId,
      rows: [{ f0: 2.4, f1: 0.3, f2: 0.5, f3: 0.5 }, [0.2, 2.5, 0.4, 0.5]],
    });
    expect(predicted.status).toBe(200);
    expect(predicted.body.result!.data.predictions.map((p: { label: string }) => p.label)).toEqual([
      'setosa',
      'versicolor',
    ]);

    const bad = await mutate(viewer, 'models.predict', {
      projectId: w.a.projectId,
      resourceId: modelId,
      rows: [
        { f0: 1, f1: 1, f2: 1, f3: 1 },
        { f0: 1, f1: 'x', f2: 1, f3: 1 },
      ],
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toBe('Row 2: feature "f1" is "x", not a finite number');
    const foreign = await mutate(w.b.keys.OWNER, 'models.predict', {
      projectId: w.a.projectId,
      resourceId: modelId,
      rows: [[1, 1, 1, 1]],
    });
    expect(foreign.status).toBe(404);

    const data = await storeDataset(w, w.a.projectId, 'labelled.csv', blobsCsv(90, 5));
    const scoring = await mutate(editor, 'models.score', {
      projectId: w.a.projectId,
      resourceId: modelId,
      datasetResourceId: data.id,
    });
    expect(scoring.status).toBe(200);
    const scored = await waitJob(viewer, scoring.body.result!.data.id);
    expect(scored).toMatchObject({ status: 'COMPLETED', rowsDone: 90, progress: 1 });
    expect(scored.resultResourceId).toEqual(expect.any(Number));
    expect(scored.result.columns.slice(-2)).toEqual(['probability_virginica', 'prediction']);

    const testing = await mutate(editor, 'models.evaluate', {
      projectId: w.a.projectId,
      resourceId: modelId,
      datasetResourceId: data.id,
    });
    const tested = await waitJob(viewer, testing.body.result!.data.id);
    expect(tested.status).toBe('COMPLETED');
    expect(tested.result.confusionMatrix.flat().reduce((a: number, b: number) => a + b, 0)).toBe(90);
    expect(tested.result.accuracy).toBeGreaterThan(0.8);
    const jobs = await query(viewer, 'models.jobs', { projectId: w.a.projectId, resourceId: modelId });
    expect(jobs.body.result!.data.map((j: { kind: string }) => j.kind)).toEqual(['EVALUATE', 'SCORE']);

    expect(
      (
        await mutate(viewer, 'models.score', {
          projectId: w.a.projectId,
          resourceId: modelId,
          datasetResourceId: data.id,
        })
      ).status,
    ).toBe(403);
    expect(
      (await mutate(viewer, 'models.deploy', { projectId: w.a.projectId, resourceId: modelId })).status,
    ).toBe(403);
    const deployed = await mutate(editor, 'models.deploy', { projectId: w.a.projectId, resourceId: modelId });
    expect(deployed.body.result!.data).toMatchObject({ name: 'iris', modelResourceId: modelId });
    const after = await query(viewer, 'models.list', { projectId: w.a.projectId });
    expect(after.body.result!.data[0].deployed).toEqual({ version: 1, resourceId: modelId });
    const d = await query(viewer, 'models.deployed', {});
    expect(d.body.result!.data.map((x: { name: string }) => x.name)).toEqual(['iris']);
    expect((await query(w.b.keys.OWNER, 'models.deployed', {})).body.result!.data).toEqual([]);
    expect(
      (await mutate(w.a.keys.ADMIN, 'models.undeploy', { projectId: w.a.projectId, resourceId: modelId }))
        .status,
    ).toBe(200);
  }, 60_000);
});
