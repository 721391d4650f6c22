import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { normalizedTrainingDefinitionSchema, type Db } from '@trainhub/db';
import { testProviders } from '@trainhub/db/testing';
import { principalFromUserId } from '../src/auth/resolve';
import type { Principal } from '../src/auth/principal';
import { trainLearnBlock } from '../src/services/learn-blocks';
import { createTraining } from '../src/services/tasks';
import { trainFromArchitecture } from '../src/services/trainings';
import { ARCHITECTURE, IRIS_CSV, makeWorld, type World } from './helpers';

// Issue 15, parts 2 and 3: a training request reads its project and files once, is translated into our
// architecture at the boundary (stored as version 2), and what only translation finds is refused up front.

/** `db` with a count of every call on the project and resource tables. */
function counting(db: Db) {
  const calls: string[] = [];
  const watch = (table: 'project' | 'resource') =>
    new Proxy(db[table], {
      get(target, method: string) {
        const value = Reflect.get(target, method) as unknown;
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          calls.push(`${table}.${method}`);
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
  const tables = { project: watch('project'), resource: watch('resource') };
  const proxy = new Proxy(db, {
    get(target, prop) {
      if (prop === 'project' || prop === 'resource') return tables[prop];
      const value = Reflect.get(target, prop) as unknown;
      return typeof value === 'function' ? (value as () => unknown).bind(target) : value;
    },
  });
  return { db: proxy, calls };
}

describe.each(testProviders)('the training write path on %s', (provider) => {
  let w: World;
  let editor: Principal;
  const file = async (name: string, kind: 'DATASET' | 'ARCHITECTURE', content: string) => {
    const key = `projects/${w.a.projectId}/test/${name}-${Math.random().toString(36).slice(2)}`;
    const stored = await w.deps.store.put(key, Buffer.from(content));
    return w.t.db.resource.create({
      data: {
        projectId: w.a.projectId,
        kind,
        name,
        contentType: kind === 'DATASET' ? 'text/csv' : 'application/json',
        size: stored.size,
        contentHash: stored.contentHash,
        storageKey: stored.key,
      },
    });
  };

  beforeAll(async () => {
    w = await makeWorld(provider);
    editor = (await principalFromUserId(w.t.db, w.a.users.EDITOR.id))!;
  });
  afterAll(async () => {
    await w?.drop();
  });

  it('trainFromArchitecture reads the project and the files once, stores version 2, answers the project', async () => {
    const arch = await file('iris.architecture', 'ARCHITECTURE', ARCHITECTURE);
    const data = await file('iris.csv', 'DATASET', IRIS_CSV);
    await w.t.db.resource.update({ where: { id: data.id }, data: { metadata: {} } });
    // Summarize once outside the count (a file uploaded before summaries existed is summarized on first use).
    await trainFromArchitecture(w.deps, editor, {
      projectId: w.a.projectId,
      architectureResourceId: arch.id,
      datasetResourceId: data.id,
      problemType: 'classification',
      modelName: 'warm-up',
      hyperparameters: { epochs: 1, batchSize: 8 },
      source: 'mlw',
    });
    const { db, calls } = counting(w.t.db);
    const created = await trainFromArchitecture({ ...w.deps, db }, editor, {
      projectId: w.a.projectId,
      architectureResourceId: arch.id,
      datasetResourceId: data.id,
      problemType: 'classification',
      modelName: 'iris-net',
      hyperparameters: { epochs: 1, batchSize: 8 },
      source: 'mlw',
    });
    expect(calls).toEqual(['project.findFirst', 'resource.findMany']);
    expect(created.project).toMatchObject({ id: w.a.projectId, name: 'alpha project' });
    expect(created.execution?.status).toBe('QUEUED');
    const stored = normalizedTrainingDefinitionSchema.parse(
      (await w.t.db.task.findUniqueOrThrow({ where: { id: created.task.id } })).definition,
    );
    expect(stored.spec.layers).toEqual([
      { type: 'dense', units: 16, activation: 'relu' },
      { type: 'dense', units: 3, activation: 'softmax' },
    ]);
  });

  it('a learn block training reads the project and the dataset once and stores Edge Impulse layers translated', async () => {
    const data = await file('block.csv', 'DATASET', IRIS_CSV);
    const block = await w.t.db.learnBlock.create({
      data: { projectId: w.a.projectId, type: 'keras', name: 'nn', title: 'NN', settings: {} },
    });
    const { db, calls } = counting(w.t.db);
    const created = await trainLearnBlock(
      db,
      editor,
      w.a.projectId,
      block.id,
      { datasetResourceId: data.id },
      'edge-impulse',
      (_settings, datasetResourceId, b) => ({
        definition: {
          version: 1,
          problemType: 'classification',
          spec: { format: 'edge-impulse-visual', visualLayers: [{ type: 'dense', neurons: 4 }] },
          datasetResourceId,
          modelName: b.title,
        },
        hyperparameters: { epochs: 1, batchSize: 8 },
      }),
    );
    expect(calls).toEqual(['project.findFirst', 'resource.findMany']);
    expect(created.task.learnBlockId).toBe(block.id);
    expect(created.task.definition).toMatchObject({
      version: 2,
      spec: { name: 'NN', layers: [{ type: 'dense', units: 4, activation: 'relu' }] },
    });
  });

  it('refuses a model only its translation finds (no data to check against), writing nothing', async () => {
    // A dataset without a summary and no store at hand: the check cannot read the data and stops at the
    // preprocessing's unknown column, before the model; the translation still finds the unknown name.
    const data = await file('legacy.csv', 'DATASET', IRIS_CSV);
    const tasks = await w.t.db.task.count();
    await expect(
      createTraining(w.t.db, editor, {
        projectId: w.a.projectId,
        name: 'bad model',
        source: 'training-module',
        definition: {
          version: 1,
          problemType: 'classification',
          spec: { format: 'training-module', model: 'gpt-5' },
          datasetResourceId: data.id,
          preprocessing: { columns: { include: ['not-a-column'] } },
        },
        hyperparameters: { epochs: 1, batchSize: 8 },
      }),
    ).rejects.toMatchObject({ code: 'INVALID', message: expect.stringMatching(/Unknown model "gpt-5"/) });
    expect(await w.t.db.task.count()).toBe(tasks);
  });

  it('reports a bad hyperparameter before a bad model, in the order the run meets them', async () => {
    const data = await file('iris2.csv', 'DATASET', IRIS_CSV);
    await expect(
      createTraining(w.t.db, editor, {
        projectId: w.a.projectId,
        name: 'two problems',
        source: 'trpc',
        definition: {
          version: 1,
          problemType: 'classification',
          spec: { format: 'training-module', model: 'gpt-5' },
          datasetResourceId: data.id,
        },
        hyperparameters: { epochs: 1, batchSize: 8, optimizer: 'no-such-optimizer' },
        store: w.deps.store,
      }),
    ).rejects.toMatchObject({ code: 'INVALID', message: expect.stringMatching(/no-such-optimizer/) });
  });
});
