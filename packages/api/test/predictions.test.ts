import Papa from 'papaparse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testProviders } from '@trainhub/db/testing';
import { loadTrainedModel, type TrainCompleted } from '@trainhub/ml';
import type { Principal } from '../src/auth/principal';
import { principalFromApiKey } from '../src/auth/resolve';
import { DomainError } from '../src/services/errors';
import { getModelVersion, listModels, listVersions } from '../src/services/models';
import {
  CHUNK_ROWS,
  deploy,
  evaluate,
  getModelJob,
  listDeployed,
  loadModel,
  ModelCache,
  predictRows,
  prefetchModel,
  scoreDataset,
  startScoring,
  undeploy,
  type LoadedModel,
} from '../src/services/predictions';
import { deleteResource } from '../src/services/resources';
import { makeWorld, type World } from './helpers';
import { blobsCsv, linearCsv, storeDataset, storeModel, trainSmall } from './predictions-fixtures';

async function domainError(p: Promise<unknown>): Promise<DomainError> {
  const error = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DomainError);
  return error as DomainError;
}

describe.each(testProviders)('predictions on %s', (provider) => {
  let w: World;
  let editor: Principal;
  let viewer: Principal;
  let admin: Principal;
  let otherTeam: Principal;
  let cls: TrainCompleted;
  let reg: TrainCompleted;
  let modelId: number;
  let regModelId: number;

  beforeAll(async () => {
    w = await makeWorld(provider);
    editor = (await principalFromApiKey(w.t.db, w.a.keys.EDITOR))!;
    viewer = (await principalFromApiKey(w.t.db, w.a.keys.VIEWER))!;
    admin = (await principalFromApiKey(w.t.db, w.a.keys.ADMIN))!;
    otherTeam = (await principalFromApiKey(w.t.db, w.b.keys.OWNER))!;
    [cls, reg] = await Promise.all([trainSmall('classification'), trainSmall('regression')]);
    modelId = (await storeModel(w, w.a.projectId, cls, 'iris')).id;
    regModelId = (await storeModel(w, w.a.projectId, reg, 'line')).id;
  }, 120_000);
  afterAll(async () => {
    await w?.drop();
  });

  it('predicts rows by feature name and in column order, with the training core’s own numbers', async () => {
    const rows: Record<string, number | string>[] = [
      { f0: 2.5, f1: 0.5, f2: 0.5, f3: 0.5 },
      { f0: '0.5', f1: '0.4', f2: '2.6', f3: '0.5', extra: 'ignored' },
    ];
    const byName = await predictRows(w.deps, viewer, w.a.projectId, modelId, rows);
    expect(byName.features).toEqual(['f0', 'f1', 'f2', 'f3']);
    expect(byName.predictions.map((p) => ('label' in p ? p.label : null))).toEqual(['setosa', 'virginica']);
    for (const p of byName.predictions) {
      if (!('probabilities' in p)) throw new Error('classification expected');
      const sum = Object.values(p.probabilities).reduce((a, b) => a + b, 0);
      expect(sum).toBeCloseTo(1, 5);
      expect(Object.keys(p.probabilities)).toEqual(['setosa', 'versicolor', 'virginica']);
    }
    const byOrder = await predictRows(w.deps, viewer, w.a.projectId, modelId, [
      [2.5, 0.5, 0.5, 0.5],
      [0.5, 0.4, 2.6, 0.5],
    ]);
    expect(byOrder.predictions).toEqual(byName.predictions);
    // Same as TrainedModel.predict on the same raw rows (preprocessing from metadata.json).
    const raw = await loadTrainedModel(cls.artifacts);
    const direct = raw.predict([
      [2.5, 0.5, 0.5, 0.5],
      [0.5, 0.4, 2.6, 0.5],
    ]);
    raw.dispose();
    direct.forEach((d, i) => {
      const ours = byOrder.predictions[i]!;
      if (!('probabilities' in d) || !('probabilities' in ours)) throw new Error('classification expected');
      expect(ours.label).toBe(d.label);
      for (const c of Object.keys(d.probabilities))
        expect(ours.probabilities[c]).toBeCloseTo(d.probabilities[c]!, 5);
    });
  });

  it('predicts regression values', async () => {
    const r = await predictRows(w.deps, viewer, w.a.projectId, regModelId, [{ x0: 0.5, x1: 0.5, x2: -0.5 }]);
    const p = r.predictions[0]!;
    if (!('values' in p)) throw new Error('regression expected');
    expect(Object.keys(p.values)).toEqual(['y']);
    expect(p.values.y).toBeGreaterThan(1.2); // truth 2.0; a 30-epoch MLP is close, a wrong model is not
    expect(p.values.y).toBeLessThan(2.8);
  });

  it('answers bad rows with a 400 naming the row and the feature', async () => {
    const bad = async (rows: unknown[]) =>
      (await domainError(predictRows(w.deps, viewer, w.a.projectId, modelId, rows as never))).message;
    const ok = { f0: 1, f1: 1, f2: 1, f3: 1 };
    expect(await bad([ok, { f0: 1, f1: 1, f3: 1 }])).toMatch(/Row 2: feature "f2" is missing/);
    expect(await bad([ok, ok, { ...ok, f1: 'abc' }])).toMatch(
      /Row 3: feature "f1" is "abc", not a finite number/,
    );
    expect(await bad([[1, 2, 3]])).toMatch(/Row 1 has 3 values; the model takes 4 \(f0, f1, f2, f3\)/);
    expect(await bad([[1, 2, 'NaN', 4]])).toMatch(/Row 1: feature "f2"/);
    expect(await bad([{ ...ok, f0: null }])).toMatch(/Row 1: feature "f0" is missing/);
    expect(await bad([42])).toMatch(/Row 1 is neither/);
    expect(await bad([])).toMatch(/at least one row/);
    expect(await bad(Array.from({ length: 1001 }, () => ok))).toMatch(/at most 1000 rows/);
    for (const e of await Promise.all([bad([[1]])])) expect(e).not.toMatch(/internal/);
    const err = await domainError(predictRows(w.deps, viewer, w.a.projectId, modelId, [[1]]));
    expect(err.code).toBe('INVALID');
  });

  it('another team’s model, a deleted model and a non-model are not predicted', async () => {
    // Team B (owner) names team A's project and model: not found, as an unknown id.
    const foreign = await domainError(predictRows(w.deps, otherTeam, w.a.projectId, modelId, [[1, 1, 1, 1]]));
    expect(foreign.code).toBe('NOT_FOUND');
    // Team B's own project with team A's model id: not found either.
    const crossed = await domainError(predictRows(w.deps, otherTeam, w.b.projectId, modelId, [[1, 1, 1, 1]]));
    expect(crossed.code).toBe('NOT_FOUND');
    expect(
      (await domainError(predictRows(w.deps, viewer, w.a.projectId, 999_999, [[1, 1, 1, 1]]))).code,
    ).toBe('NOT_FOUND');
    const data = await storeDataset(w, w.a.projectId, 'd.csv', blobsCsv(5));
    const notModel = await domainError(predictRows(w.deps, viewer, w.a.projectId, data.id, [[1, 1, 1, 1]]));
    expect(notModel.code).toBe('INVALID');
    // A model that was cached, then deleted: gone for predictions at once.
    const doomed = await storeModel(w, w.a.projectId, cls, 'doomed');
    await predictRows(w.deps, viewer, w.a.projectId, doomed.id, [[1, 1, 1, 1]]);
    await deleteResource(w.deps, admin, w.a.projectId, doomed.id);
    const gone = await domainError(predictRows(w.deps, viewer, w.a.projectId, doomed.id, [[1, 1, 1, 1]]));
    expect(gone.code).toBe('NOT_FOUND');
    expect(gone.message).toBe('model not found');
  });

  it('keeps at most maxModels models loaded and frees the evicted ones (LRU)', async () => {
    const cache = new ModelCache({ maxModels: 2 });
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push((await storeModel(w, w.a.projectId, cls, `lru${i}`)).id);
    const held: LoadedModel[] = [];
    for (const id of ids) {
      const resource = await w.t.db.resource.findUniqueOrThrow({ where: { id } });
      held.push(
        await cache.with(
          `${id}:${resource.contentHash}`,
          () => loadModel(w.deps, resource),
          (m) => m,
        ),
      );
    }
    await new Promise((r) => setImmediate(r));
    expect(cache.size.models).toBe(2);
    expect(cache.counters).toEqual({ loads: 3, disposed: 1 });
    // The least recently used one (the first) was disposed: its tensors are gone.
    expect(held[0]!.disposed).toBe(true);
    expect(() => held[0]!.model.predictRaw([[1, 1, 1, 1]])).toThrow();
    expect(held[2]!.model.predictRaw([[1, 1, 1, 1]]).outputs.length).toBe(3);
    // Using a cached model again loads nothing; predictRows through this cache keeps the bound.
    // Cached now: ids[1], ids[2]. Least recently used goes first (not first loaded): touch ids[1], then
    // bring ids[0] back (evicts ids[2]), then ids[1] is still there.
    const use = (id: number) => predictRows(w.deps, viewer, w.a.projectId, id, [[1, 1, 1, 1]], cache);
    await use(ids[1]!);
    expect(cache.counters.loads).toBe(3);
    await use(ids[0]!);
    await use(ids[1]!);
    await new Promise((r) => setImmediate(r));
    expect(cache.counters).toEqual({ loads: 4, disposed: 2 });
    expect(cache.size.models).toBe(2);
    expect(held[2]!.disposed).toBe(true);
    // A byte bound smaller than two models keeps one.
    const small = new ModelCache({ maxModels: 10, maxBytes: held[0]!.bytes + 1 });
    for (const id of ids.slice(0, 2))
      await predictRows(w.deps, viewer, w.a.projectId, id, [[1, 1, 1, 1]], small);
    await new Promise((r) => setImmediate(r));
    expect(small.size.models).toBe(1);
    expect(small.counters.disposed).toBe(1);
  });

  it('prefetches a model for its first prediction; never another team’s', async () => {
    const cache = new ModelCache();
    prefetchModel(w.deps, viewer, w.a.projectId, modelId, cache);
    await expect.poll(() => cache.counters.loads, { timeout: 20_000 }).toBe(1);
    await predictRows(w.deps, viewer, w.a.projectId, modelId, [[1, 1, 1, 1]], cache);
    expect(cache.counters.loads).toBe(1);
    const foreign = new ModelCache();
    prefetchModel(w.deps, otherTeam, w.a.projectId, modelId, foreign);
    prefetchModel(w.deps, viewer, w.a.projectId, 999_999, foreign);
    await new Promise((r) => setTimeout(r, 500));
    expect(foreign.counters.loads).toBe(0);
  });

  it('scores a dataset larger than a chunk into a new dataset resource', async () => {
    const n = CHUNK_ROWS * 2 + 17;
    const input = await storeDataset(w, w.a.projectId, 'unlabelled.csv', blobsCsv(n, 9, false));
    const { job, resource } = await scoreDataset(w.deps, editor, w.a.projectId, modelId, input.id);
    expect(job).toMatchObject({ status: 'COMPLETED', progress: 1, rowsDone: n, kind: 'SCORE' });
    expect(resource.kind).toBe('DATASET');
    expect(resource.name).toMatch(/^predicted_unlabelled_\d+\.csv$/);
    const parsed = Papa.parse<string[]>((await w.deps.store.get(resource.storageKey)).toString('utf8'), {
      skipEmptyLines: true,
    }).data;
    expect(parsed[0]).toEqual([
      'f0',
      'f1',
      'f2',
      'f3',
      'probability_setosa',
      'probability_versicolor',
      'probability_virginica',
      'prediction',
    ]);
    expect(parsed.length).toBe(n + 1);
    // Rows from the first and the last chunk match single-row predictions.
    for (const line of [1, n]) {
      const row = parsed[line]!;
      const single = await predictRows(w.deps, viewer, w.a.projectId, modelId, [row.slice(0, 4)]);
      const p = single.predictions[0]!;
      if (!('probabilities' in p)) throw new Error('classification expected');
      expect(row[7]).toBe(p.label);
      expect(Number(row[4])).toBeCloseTo(p.probabilities.setosa!, 5);
    }
    // Viewers may not score; another team may not see the job.
    expect((await domainError(startScoring(w.deps, viewer, w.a.projectId, modelId, input.id))).code).toBe(
      'FORBIDDEN',
    );
    expect((await domainError(getModelJob(w.deps.db, otherTeam, w.a.projectId, job.id))).code).toBe(
      'NOT_FOUND',
    );
  }, 60_000);

  it('keeps extra input columns as they were, quoted where CSV needs it', async () => {
    const input = await storeDataset(
      w,
      w.a.projectId,
      'notes.csv',
      'id,f0,f1,f2,f3,note\n7,2.5,0.5,0.5,0.5,"a, ""quoted"" note"\n8,0.5,0.5,2.5,0.5,plain\n',
    );
    const { resource } = await scoreDataset(w.deps, editor, w.a.projectId, modelId, input.id);
    const text = (await w.deps.store.get(resource.storageKey)).toString('utf8');
    const parsed = Papa.parse<string[]>(text, { skipEmptyLines: true }).data;
    expect(parsed.map((r) => [r[0], r[5], r[9]])).toEqual([
      ['id', 'note', 'prediction'],
      ['7', 'a, "quoted" note', 'setosa'],
      ['8', 'plain', 'virginica'],
    ]);
    // Probabilities in at most 9 significant digits (float32 precision), summing to 1.
    const probs = parsed[1]!.slice(6, 9);
    expect(probs.every((p) => p.length <= 15 && Number(p) === Number(Number(p).toPrecision(9)))).toBe(true);
    expect(probs.map(Number).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
  });

  it('fails a scoring on a bad row with the row number of the file and the feature', async () => {
    const lines = blobsCsv(CHUNK_ROWS + 100, 4, false)
      .trimEnd()
      .split('\n');
    lines[CHUNK_ROWS + 50] = '1,2,oops,4'; // file row CHUNK_ROWS + 51 (header = row 1)
    const input = await storeDataset(w, w.a.projectId, 'bad.csv', lines.join('\n'));
    const error = await domainError(scoreDataset(w.deps, editor, w.a.projectId, modelId, input.id));
    expect(error.code).toBe('INVALID');
    expect(error.message).toBe(`Row ${CHUNK_ROWS + 51}: feature "f2" is "oops", not a finite number`);
    const [job] = await w.t.db.modelJob.findMany({ where: { datasetResourceId: input.id } });
    expect(job).toMatchObject({ status: 'FAILED', error: error.message, resultResourceId: null });
    const missing = await storeDataset(w, w.a.projectId, 'nof2.csv', 'f0,f1,f3\n1,2,3\n');
    expect(
      (await domainError(scoreDataset(w.deps, editor, w.a.projectId, modelId, missing.id))).message,
    ).toMatch(/has no column "f2", a feature of the model/);
  });

  it('tests a model on a labelled dataset: accuracy, loss, confusion matrix, per-class F1; compares two', async () => {
    const test = await storeDataset(w, w.a.projectId, 'test.csv', blobsCsv(150, 7));
    const { report, job } = await evaluate(w.deps, editor, w.a.projectId, modelId, test.id);
    if (report.problem === 'regression') throw new Error('classification expected');
    expect(report.samples).toBe(150);
    expect(report.confusionMatrix.flat().reduce((a, b) => a + b, 0)).toBe(150);
    expect(report.confusionMatrix.map((r) => r.reduce((a, b) => a + b, 0))).toEqual([50, 50, 50]);
    // The same accuracy as counting single-row predictions.
    const rows = blobsCsv(150, 7)
      .trimEnd()
      .split('\n')
      .slice(1)
      .map((l) => l.split(','));
    const preds = await predictRows(
      w.deps,
      viewer,
      w.a.projectId,
      modelId,
      rows.map((r) => r.slice(0, 4)),
    );
    const correct = preds.predictions.filter((p, i) => 'label' in p && p.label === rows[i]![4]).length;
    expect(report.accuracy).toBeCloseTo(correct / 150, 10);
    expect(report.accuracy).toBeGreaterThan(0.9);
    expect(report.loss).toBeGreaterThan(0);
    expect(report.perClass.map((c) => c.className)).toEqual(['setosa', 'versicolor', 'virginica']);
    expect(report.perClass.every((c) => c.f1 > 0.8 && c.support === 50)).toBe(true);
    // Stored with the model, shown next to its validation metrics.
    const version = await getModelVersion(w.deps, viewer, w.a.projectId, modelId);
    expect(version.tests.map((t) => t.id)).toContain(job.id);
    expect(version.run?.metrics).toMatchObject({ loss: cls.metrics.loss });
    expect(version.signature.features).toEqual(['f0', 'f1', 'f2', 'f3']);
    // A weaker model (1 epoch) on the same test set scores lower.
    const weak = await storeModel(w, w.a.projectId, await trainSmall('classification', 1), 'iris');
    const other = await evaluate(w.deps, editor, w.a.projectId, weak.id, test.id);
    expect(other.report.samples).toBe(150);
    expect(other.report.loss).toBeGreaterThan(report.loss);
    // A label the model does not know names the row.
    const unknown = await storeDataset(
      w,
      w.a.projectId,
      'u.csv',
      'f0,f1,f2,f3,species\n1,1,1,1,setosa\n1,1,1,1,daisy\n',
    );
    expect((await domainError(evaluate(w.deps, editor, w.a.projectId, modelId, unknown.id))).message).toMatch(
      /Row 3: label "daisy" \(column "species"\) is not a class of the model/,
    );
  }, 60_000);

  it('tests a regression model: MSE, MAE, R2', async () => {
    const test = await storeDataset(w, w.a.projectId, 'line-test.csv', linearCsv(200, 11));
    const { report } = await evaluate(w.deps, editor, w.a.projectId, regModelId, test.id);
    if (report.problem !== 'regression') throw new Error('regression expected');
    expect(report.samples).toBe(200);
    expect(report.r2).toBeGreaterThan(0.8);
    expect(report.mse).toBeGreaterThan(0);
    expect(report.mae).toBeLessThanOrEqual(Math.sqrt(report.mse) + 1e-9);
    expect(report.loss).toBe(report.mse);
  });

  it('registry: models by name with numbered versions; one deployed version per name', async () => {
    const v2 = await storeModel(w, w.a.projectId, cls, 'registry');
    const v3 = await storeModel(w, w.a.projectId, cls, 'registry');
    const versions = await listVersions(w.deps.db, viewer, w.a.projectId, 'registry');
    expect(versions.map((v) => [v.resourceId, v.version])).toEqual([
      [v3.id, 2],
      [v2.id, 1],
    ]);
    expect(versions[0]!.run).toMatchObject({ status: 'COMPLETED', taskName: 'train registry' });
    expect((await domainError(deploy(w.deps, viewer, w.a.projectId, v2.id))).code).toBe('FORBIDDEN');
    const d = await deploy(w.deps, editor, w.a.projectId, v2.id);
    expect(d).toMatchObject({ name: 'registry', modelResourceId: v2.id });
    expect(
      (await domainError(deploy(w.deps, editor, w.a.projectId, v3.id, { replace: false }))).message,
    ).toBe("A model with the name 'registry' already exists.");
    await deploy(w.deps, editor, w.a.projectId, v3.id);
    const models = await listModels(w.deps.db, viewer, w.a.projectId);
    expect(models.find((m) => m.name === 'registry')).toMatchObject({
      versions: 2,
      deployed: { version: 2, resourceId: v3.id },
    });
    expect((await listDeployed(w.deps.db, viewer)).filter((x) => x.name === 'registry')).toHaveLength(1);
    expect(await listDeployed(w.deps.db, otherTeam)).toEqual([]);
    expect((await domainError(deploy(w.deps, otherTeam, w.a.projectId, v3.id))).code).toBe('NOT_FOUND');
    expect((await domainError(undeploy(w.deps, editor, w.a.projectId, v3.id))).code).toBe('FORBIDDEN');
    expect((await domainError(undeploy(w.deps, admin, w.a.projectId, v2.id))).code).toBe('NOT_FOUND');
    await undeploy(w.deps, admin, w.a.projectId, v3.id);
    expect((await listDeployed(w.deps.db, viewer, w.a.projectId)).map((x) => x.name)).not.toContain(
      'registry',
    );
    expect((await domainError(listVersions(w.deps.db, otherTeam, w.a.projectId, 'registry'))).code).toBe(
      'NOT_FOUND',
    );
  });

  it('reports a job whose process died as FAILED', async () => {
    const input = await storeDataset(w, w.a.projectId, 'x.csv', blobsCsv(3));
    const job = await w.t.db.modelJob.create({
      data: {
        projectId: w.a.projectId,
        kind: 'SCORE',
        status: 'RUNNING',
        modelResourceId: modelId,
        datasetResourceId: input.id,
      },
    });
    expect((await getModelJob(w.t.db, viewer, w.a.projectId, job.id)).status).toBe('RUNNING');
    // An explicit updatedAt is kept by Prisma: the heartbeat 10 minutes ago.
    await w.t.db.modelJob.update({
      where: { id: job.id },
      data: { updatedAt: new Date(Date.now() - 600_000) },
    });
    const settled = await getModelJob(w.t.db, viewer, w.a.projectId, job.id);
    expect(settled).toMatchObject({ status: 'FAILED', error: expect.stringMatching(/interrupted/) });
  });
});
