import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import {
  decodeCheckpoint,
  loadTrainedModel,
  MlInputError,
  readModelFiles,
  train,
  writeModelFiles,
  type Stage,
  type TrainCompleted,
} from '../src/index.ts';
import { blobs, copyDataset, linear } from './helpers.ts';

const mlp = {
  input: { shape: [12] },
  layers: [
    { type: 'dense', units: 16 },
    { type: 'dropout', rate: 0.2 },
  ],
};
const backend = 'cpu' as const;

function done(r: Awaited<ReturnType<typeof train>>): TrainCompleted {
  if (r.status === 'cancelled') throw new Error('cancelled');
  return r;
}

describe('training (cpu backend)', () => {
  it('trains a classifier, reports stages, epochs and evaluation', async () => {
    await train({ spec: mlp, data: blobs(30, 12), hyperparameters: { epochs: 1, seed: 1 }, backend }); // warm up
    const tensorsBefore = tf.memory().numTensors;
    const stages: Stage[] = [];
    const epochs: number[] = [];
    const logs: string[] = [];
    const r = done(
      await train({
        spec: mlp,
        data: blobs(300, 12),
        preprocessing: { scaling: 'standardize', testSize: 0.2 },
        hyperparameters: {
          epochs: 6,
          batchSize: 32,
          seed: 1,
          metrics: ['accuracy', 'F1', 'precision', 'recall'],
          learningRate: 0.01,
        },
        backend,
        callbacks: {
          onStage: (s) => stages.push(s),
          onEpoch: (e) => void epochs.push(e.epoch),
          onLog: (l) => logs.push(l),
        },
      }),
    );
    expect(stages).toEqual([
      'ARCH_READ',
      'ARCH_CREATE_LAYER',
      'DATA_INIT',
      'DATA_PROCESS',
      'COMPILE',
      'TRAIN',
      'SAVE',
    ]);
    expect(epochs).toEqual([1, 2, 3, 4, 5, 6]);
    const last = r.history.at(-1)!;
    expect(Object.keys(last.metrics)).toEqual(
      expect.arrayContaining(['loss', 'accuracy', 'f1', 'precision', 'recall', 'val_loss', 'val_accuracy']),
    );
    expect(last.samplesPerSecond).toBeGreaterThan(0);
    expect(last.learningRate).toBe(0.01);
    expect(r.metrics.classification!.accuracy).toBeGreaterThan(0.9);
    expect(r.metrics.classification!.confusionMatrix).toHaveLength(3);
    expect(r.metrics.classification!.perClass.map((c) => c.className)).toEqual([
      'class0',
      'class1',
      'class2',
    ]);
    expect(r.backend.name).toBe('cpu');
    expect(r.artifacts.metadata.backend.name).toBe('cpu');
    expect(logs.some((l) => l.startsWith('Epoch 6/6: loss='))).toBe(true);
    expect(tf.memory().numTensors).toBe(tensorsBefore); // nothing leaks
  });

  it('accepts every optimizer and loss name as users type them', async () => {
    for (const optimizer of ['Adam', 'SGD', 'RMSprop', 'adagrad', 'AdaDelta', 'ADAMAX']) {
      const r = done(
        await train({
          spec: mlp,
          data: blobs(60, 12),
          hyperparameters: { epochs: 1, optimizer, loss: 'sparse_categorical_crossentropy', seed: 1 },
          backend,
        }),
      );
      expect(Number.isFinite(r.history[0]!.loss)).toBe(true);
    }
    await expect(
      train({ spec: mlp, data: blobs(60, 12), hyperparameters: { optimizer: 'lbfgs' }, backend }),
    ).rejects.toThrow(MlInputError);
    await expect(
      train({ spec: mlp, data: blobs(60, 12), hyperparameters: { loss: 'mse' }, backend }),
    ).rejects.toThrow(/does not fit/);
  });

  it('trains regression (mse, mae, huber) and binary problems', async () => {
    for (const loss of ['mse', 'mae', 'huber']) {
      const r = done(
        await train({
          spec: { input: { shape: [3] }, layers: [{ type: 'dense', units: 8 }] },
          data: linear(200, 3),
          hyperparameters: { epochs: 8, loss, seed: 2, learningRate: 0.02, metrics: ['mse', 'mae', 'r2'] },
          backend,
        }),
      );
      expect(r.metrics.regression!.r2).toBeGreaterThan(0.5);
      expect(r.history.at(-1)!.metrics).toHaveProperty('val_r2');
    }
    const b = done(
      await train({
        spec: mlp,
        data: blobs(120, 12, 2),
        problem: 'binary',
        hyperparameters: { epochs: 5, seed: 3, learningRate: 0.01 },
        backend,
      }),
    );
    expect(b.artifacts.metadata.problem).toBe('binary');
    expect(b.metrics.classification!.accuracy).toBeGreaterThan(0.8);
  });

  it('stops early on request, keeps the model; cancel discards it', async () => {
    let batches = 0;
    const stopped = done(
      await train({
        spec: mlp,
        data: blobs(200, 12),
        hyperparameters: { epochs: 50, batchSize: 16, seed: 1 },
        backend,
        shouldStop: () => (++batches > 15 ? 'stop' : null),
      }),
    );
    expect(stopped.status).toBe('stopped');
    expect(stopped.epochsCompleted).toBeLessThan(50);
    expect(stopped.artifacts.weights.byteLength).toBeGreaterThan(0);
    let n = 0;
    const cancelled = await train({
      spec: mlp,
      data: blobs(200, 12),
      hyperparameters: { epochs: 50, batchSize: 16, seed: 1 },
      backend,
      shouldStop: () => (++n > 15 ? 'cancel' : null),
    });
    expect(cancelled.status).toBe('cancelled');
    expect('artifacts' in cancelled).toBe(false);
  });

  it('yields to the event loop during training: a timer can ask it to stop', async () => {
    let signal: 'stop' | null = null;
    const timer = setTimeout(() => (signal = 'stop'), 50);
    let progress = 0;
    const r = await train({
      spec: mlp,
      data: blobs(400, 12),
      hyperparameters: { epochs: 10_000, batchSize: 8, seed: 1 },
      backend,
      shouldStop: () => signal,
      callbacks: { onProgress: () => void progress++ },
    });
    clearTimeout(timer);
    expect(r.status).toBe('stopped');
    expect(progress).toBeGreaterThan(0);
  });

  it('early-stops on a monitored metric with patience', async () => {
    const r = done(
      await train({
        spec: mlp,
        data: blobs(150, 12),
        hyperparameters: {
          epochs: 60,
          seed: 1,
          learningRate: 0.05,
          earlyStopping: { monitor: 'val_accuracy', patience: 2 },
        },
        backend,
      }),
    );
    expect(r.epochsCompleted).toBeLessThan(60);
  });

  it('saves model.json + weights + metadata and predicts identically on raw rows after loading', async () => {
    const data = blobs(200, 12);
    const raw = copyDataset(data);
    const spec = {
      input: { shape: [12] },
      layers: [{ type: 'dense', units: 16 }, { type: 'batchNormalization' }, { type: 'dropout', rate: 0.2 }],
    };
    const r = done(
      await train({
        spec,
        data,
        preprocessing: { scaling: 'standardize' },
        hyperparameters: { epochs: 5, seed: 4, learningRate: 0.01 },
        backend,
        keepModel: true,
      }),
    );
    const modelJson = JSON.parse(r.artifacts.modelJson);
    expect(modelJson.format).toBe('layers-model');
    expect(modelJson.weightsManifest[0].paths).toEqual(['weights.bin']);
    expect(r.artifacts.metadata.classNames).toEqual(['class0', 'class1', 'class2']);
    expect(r.artifacts.metadata.preprocessing.scale).toHaveLength(12);
    const dir = await mkdtemp(path.join(tmpdir(), 'ml-model-'));
    await writeModelFiles(dir, r.artifacts);
    expect((await readdir(dir)).sort()).toEqual(['metadata.json', 'model.json', 'weights.bin']);
    const loaded = await loadTrainedModel(await readModelFiles(dir));
    const rows = Array.from({ length: 20 }, (_, i) =>
      Array.from(raw.features.subarray(i * 12, (i + 1) * 12)),
    );
    const live = r.model!.predictRaw(rows).outputs;
    expect(Array.from(loaded.predictRaw(rows).outputs)).toEqual(Array.from(live));
    const byName = rows.map((row) => Object.fromEntries(row.map((v, j) => [`f${j}`, v])));
    expect(loaded.predict(byName)).toEqual(r.model!.predict(rows));
    const correct = loaded.predict(rows).filter((p, i) => 'label' in p && p.label === `class${i % 3}`).length;
    expect(correct).toBeGreaterThanOrEqual(16);
    r.model!.dispose();
    loaded.dispose();
    await rm(dir, { recursive: true });
  });

  it('same seed -> identical weights; another seed differs', async () => {
    const run = async (seed: number) =>
      done(await train({ spec: mlp, data: blobs(120, 12), hyperparameters: { epochs: 2, seed }, backend }))
        .artifacts.weights;
    const a = await run(9);
    const b = await run(9);
    const c = await run(10);
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
    expect(Buffer.from(a).equals(Buffer.from(c))).toBe(false);
  });

  it('resumes from a checkpoint with the same weights as an uninterrupted run', async () => {
    const spec = {
      input: { shape: [12] },
      layers: [{ type: 'dense', units: 8 }, { type: 'batchNormalization' }, { type: 'dropout', rate: 0.3 }],
    };
    for (const optimizer of ['adam', 'adamax', 'rmsprop']) {
      const hp = { epochs: 4, batchSize: 16, seed: 11, optimizer, earlyStopping: { patience: 10 } };
      const full = done(await train({ spec, data: blobs(120, 12), hyperparameters: hp, backend }));
      const saved: Uint8Array[] = [];
      const interrupted = await train({
        spec,
        data: blobs(120, 12),
        hyperparameters: hp,
        backend,
        checkpoint: { save: (bytes) => void saved.push(bytes) },
        callbacks: {
          onEpoch: (e) => {
            if (e.epoch === 2) throw new Error('worker died');
          },
        },
      }).catch((e: Error) => e.message);
      expect(interrupted).toBe('worker died');
      // the checkpoint of an epoch is written before onEpoch hears of it
      expect(saved.map((b) => decodeCheckpoint(b).epoch)).toEqual([1, 2]);
      for (const from of saved) {
        const resumed = done(
          await train({ spec, data: blobs(120, 12), hyperparameters: hp, backend, resumeFrom: from }),
        );
        expect(resumed.history.map((h) => h.epoch)).toEqual([1, 2, 3, 4]);
        expect(Buffer.from(resumed.artifacts.weights).equals(Buffer.from(full.artifacts.weights))).toBe(true);
      }
    }
  });

  it('resumes a run that had no explicit seed with the seed its checkpoint recorded', async () => {
    const saved: Uint8Array[] = [];
    const full = done(
      await train({
        spec: mlp,
        data: blobs(60, 12),
        hyperparameters: { epochs: 2 },
        backend,
        checkpoint: { save: (b) => void saved.push(b) },
      }),
    );
    const resumed = done(
      await train({
        spec: mlp,
        data: blobs(60, 12),
        hyperparameters: { epochs: 2 },
        backend,
        resumeFrom: saved[0]!,
      }),
    );
    expect(resumed.seed).toBe(full.seed);
    expect(Buffer.from(resumed.artifacts.weights).equals(Buffer.from(full.artifacts.weights))).toBe(true);
  });

  it('refuses a checkpoint of another run', async () => {
    const saved: Uint8Array[] = [];
    await train({
      spec: mlp,
      data: blobs(60, 12),
      hyperparameters: { epochs: 1, seed: 1 },
      backend,
      checkpoint: { save: (b) => void saved.push(b) },
    });
    await expect(
      train({
        spec: mlp,
        data: blobs(60, 12),
        hyperparameters: { epochs: 2, seed: 2 },
        backend,
        resumeFrom: saved[0]!,
      }),
    ).rejects.toThrow(/other settings/);
  });
});
