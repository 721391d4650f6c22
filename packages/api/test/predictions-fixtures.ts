import { zipSync } from 'fflate';
import { artifactFiles, parseCsv, train, type TrainCompleted } from '@trainhub/ml';
import type { World } from './helpers';

// Real trained models for the prediction tests: trained by the training core on seeded data (cpu backend),
// stored as the trainer stores them (a zip of model.json, weights.bin, metadata.json) with the run that made
// them.

/** Seeded 3-class data: class c raises feature f<c> (and f3 is noise). `label: false` drops the label column. */
export function blobsCsv(n: number, seed = 1, label = true): string {
  let s = seed;
  const rand = () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return s / 2 ** 31;
  };
  const classes = ['setosa', 'versicolor', 'virginica'];
  const lines = [['f0', 'f1', 'f2', 'f3', ...(label ? ['species'] : [])].join(',')];
  for (let i = 0; i < n; i++) {
    const c = i % 3;
    const f = [0, 1, 2, 3].map((j) => (rand() + (j === c ? 2 : 0)).toFixed(4));
    lines.push([...f, ...(label ? [classes[c]] : [])].join(','));
  }
  return lines.join('\n') + '\n';
}

/** Seeded regression data: y = x0 + 2 x1 - x2 + noise. */
export function linearCsv(n: number, seed = 3): string {
  let s = seed;
  const rand = () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return s / 2 ** 31;
  };
  const lines = ['x0,x1,x2,y'];
  for (let i = 0; i < n; i++) {
    const x = [rand() * 2 - 1, rand() * 2 - 1, rand() * 2 - 1];
    const y = x[0]! + 2 * x[1]! - x[2]! + (rand() - 0.5) * 0.01;
    lines.push([...x, y].map((v) => v.toFixed(5)).join(','));
  }
  return lines.join('\n') + '\n';
}

const trained = new Map<string, Promise<TrainCompleted>>();

/** Trains (once per kind and process) a small MLP on blobsCsv(300) or linearCsv(300). */
export function trainSmall(kind: 'classification' | 'regression', epochs = 30): Promise<TrainCompleted> {
  const key = `${kind}:${epochs}`;
  let p = trained.get(key);
  if (!p) {
    p = (async () => {
      const csv = kind === 'classification' ? blobsCsv(300) : linearCsv(300);
      const data = await parseCsv(csv, { labelKind: kind === 'classification' ? 'categorical' : 'numeric' });
      const result = await train({
        spec: {
          input: { shape: [kind === 'classification' ? 4 : 3] },
          layers: [{ type: 'dense', units: 16, activation: 'relu' }],
        },
        data,
        preprocessing: { scaling: 'standardize', testSize: 0.2 },
        hyperparameters: { epochs, batchSize: 16, seed: 1, learningRate: 0.02 },
        problem: kind,
        backend: 'cpu',
      });
      if (result.status === 'cancelled') throw new Error('training cancelled');
      return result;
    })();
    trained.set(key, p);
  }
  return p;
}

/** Stores a trained model as the trainer does: a MODEL resource (zip) made by a COMPLETED run of a task. */
export async function storeModel(
  w: World,
  projectId: number,
  result: TrainCompleted,
  modelName: string,
  options: { datasetResourceId?: number } = {},
) {
  const { db, store } = w.deps;
  const zip = Buffer.from(zipSync(artifactFiles(result.artifacts)));
  const key = `projects/${projectId}/models/${modelName}-${Math.random().toString(36).slice(2)}.zip`;
  const stored = await store.put(key, zip);
  const resource = await db.resource.create({
    data: {
      projectId,
      kind: 'MODEL',
      name: `${modelName}.zip`,
      contentType: 'application/zip',
      size: stored.size,
      contentHash: stored.contentHash,
      storageKey: stored.key,
    },
  });
  const task = await db.task.create({
    data: {
      projectId,
      name: `train ${modelName}`,
      source: 'test',
      definition: {
        version: 1,
        problemType: result.artifacts.metadata.problem,
        spec: {},
        datasetResourceId: options.datasetResourceId ?? 1,
        modelName,
      },
      hyperparameters: { epochs: 30, batchSize: 16 },
    },
  });
  await db.execution.create({
    data: {
      taskId: task.id,
      projectId,
      status: 'COMPLETED',
      modelResourceId: resource.id,
      metrics: { loss: result.metrics.loss, accuracy: result.metrics.classification?.accuracy ?? null },
      finishedAt: new Date(),
    },
  });
  return resource;
}

/** A CSV dataset resource of the project. */
export async function storeDataset(w: World, projectId: number, name: string, csv: string) {
  const { db, store } = w.deps;
  const stored = await store.put(
    `projects/${projectId}/resources/${name}-${Math.random()}`,
    Buffer.from(csv),
  );
  return db.resource.create({
    data: {
      projectId,
      kind: 'DATASET',
      name,
      contentType: 'text/csv',
      size: stored.size,
      contentHash: stored.contentHash,
      storageKey: stored.key,
    },
  });
}
