import * as tf from '@tensorflow/tfjs';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTrainedModel, MlInputError, train, type TrainCompleted } from '../src/index.ts';
import { blobs, copyDataset } from './helpers.ts';

let store: string;
let baseKernel: number[];

/** A tiny "pretrained" base model, saved as tfjs layers files in a model store folder. */
beforeAll(async () => {
  await tf.setBackend('cpu');
  store = await mkdtemp(path.join(tmpdir(), 'ml-store-'));
  const base = tf.sequential({
    layers: [
      tf.layers.dense({
        inputShape: [12],
        units: 6,
        activation: 'relu',
        kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }),
      }),
    ],
  });
  baseKernel = Array.from(base.getWeights()[0]!.dataSync());
  await base.save(
    tf.io.withSaveHandler(async (a) => {
      await mkdir(path.join(store, 'tiny-base'), { recursive: true });
      const json = {
        modelTopology: a.modelTopology,
        weightsManifest: [{ paths: ['weights.bin'], weights: a.weightSpecs }],
      };
      await writeFile(path.join(store, 'tiny-base', 'model.json'), JSON.stringify(json));
      await writeFile(
        path.join(store, 'tiny-base', 'weights.bin'),
        new Uint8Array(a.weightData as ArrayBuffer),
      );
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
});
afterAll(async () => {
  await rm(store, { recursive: true, force: true });
});

const spec = {
  input: { shape: [12] },
  layers: [
    { type: 'transfer', model: 'tiny-base' },
    { type: 'dense', units: 8 },
  ],
};

describe('transfer learning', () => {
  it('loads the base from the model store, freezes it, trains the head and round-trips', async () => {
    const data = blobs(150, 12);
    const raw = copyDataset(data);
    const r = (await train({
      spec,
      data,
      modelStore: store,
      hyperparameters: { epochs: 4, seed: 1, learningRate: 0.01 },
      backend: 'cpu',
      keepModel: true,
    })) as TrainCompleted;
    expect(r.status).toBe('completed');
    const kernel = r.model!.model.getWeights().find((w) => w.shape.join() === '12,6')!;
    expect(Array.from(kernel.dataSync())).toEqual(baseKernel); // frozen
    expect(r.model!.model.trainableWeights.length).toBe(4); // head dense + output only
    const loaded = await loadTrainedModel(r.artifacts);
    const rows = [Array.from(raw.features.subarray(0, 12)), Array.from(raw.features.subarray(12, 24))];
    expect(Array.from(loaded.predictRaw(rows).outputs)).toEqual(
      Array.from(r.model!.predictRaw(rows).outputs),
    );
    loaded.dispose();
    r.model!.dispose();
  });

  it('names the missing model without a store or when the store lacks it', async () => {
    const saved = process.env.TRAINHUB_MODEL_STORE;
    delete process.env.TRAINHUB_MODEL_STORE;
    try {
      await expect(train({ spec, data: blobs(30, 12), backend: 'cpu' })).rejects.toThrow(
        /"tiny-base".*TRAINHUB_MODEL_STORE/,
      );
      const other = { ...spec, layers: [{ type: 'transfer', model: 'mobilenetv2_a35' }] };
      const err = await train({ spec: other, data: blobs(30, 12), modelStore: store, backend: 'cpu' }).catch(
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(MlInputError);
      expect((err as MlInputError).code).toBe('MISSING_BASE_MODEL');
      expect((err as Error).message).toMatch(/mobilenetv2_a35/);
    } finally {
      if (saved !== undefined) process.env.TRAINHUB_MODEL_STORE = saved;
    }
  });
});
