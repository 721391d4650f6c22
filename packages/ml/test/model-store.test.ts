import * as tf from '@tensorflow/tfjs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromEdgeImpulse } from '../src/index.ts';
import {
  baseModelFile,
  edgeImpulseBaseName,
  hasBaseModel,
  isBaseModelName,
  listBaseModels,
  loadBaseModel,
  resolveBaseModel,
  storeOfPretrained,
} from '../src/model-store.ts';

// The one module that knows the pretrained-model store's layout: <store>/<name>/model.json (+ weights).
let store: string;
let kernel: number[];

beforeAll(async () => {
  await tf.setBackend('cpu');
  store = await mkdtemp(path.join(tmpdir(), 'model-store-'));
  const base = tf.sequential({
    layers: [
      tf.layers.dense({
        inputShape: [3],
        units: 2,
        kernelInitializer: tf.initializers.glorotUniform({ seed: 9 }),
      }),
    ],
  });
  kernel = Array.from(base.getWeights()[0]!.dataSync());
  await base.save(
    tf.io.withSaveHandler(async (a) => {
      const dir = path.join(store, 'transfer_mobilenetv2_a35');
      await mkdir(dir, { recursive: true });
      const json = {
        modelTopology: a.modelTopology,
        weightsManifest: [{ paths: ['w.bin'], weights: a.weightSpecs }],
      };
      await writeFile(path.join(dir, 'model.json'), JSON.stringify(json));
      await writeFile(path.join(dir, 'w.bin'), new Uint8Array(a.weightData as ArrayBuffer));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  base.dispose();
  // A folder without model.json is not a model.
  await mkdir(path.join(store, 'empty'));
});
afterAll(async () => {
  await rm(store, { recursive: true, force: true });
});

describe('model store', () => {
  it('resolves names inside the store and refuses names that leave it', () => {
    expect(resolveBaseModel(store, 'transfer_mobilenetv2_a35')).toBe(
      path.join(store, 'transfer_mobilenetv2_a35'),
    );
    expect(baseModelFile(store, 'org/base-1.v2')).toBe(path.join(store, 'org', 'base-1.v2', 'model.json'));
    for (const bad of ['..', '.', '../x', 'a/../../b', '/etc', 'a b', '', 'a//b']) {
      expect(isBaseModelName(bad), bad).toBe(false);
      expect(() => resolveBaseModel(store, bad), bad).toThrow(/Invalid base model name/);
      expect(hasBaseModel(store, bad), bad).toBe(false);
    }
  });

  it('knows which models exist and lists them', () => {
    expect(hasBaseModel(store, 'transfer_mobilenetv2_a35')).toBe(true);
    expect(hasBaseModel(store, 'empty')).toBe(false);
    expect(hasBaseModel(store, 'absent')).toBe(false);
    expect(hasBaseModel(null, 'transfer_mobilenetv2_a35')).toBe(false);
    expect(listBaseModels(store)).toEqual(['transfer_mobilenetv2_a35']);
    expect(listBaseModels(path.join(store, 'nowhere'))).toEqual([]);
  });

  it('loads a model with its weights; a missing one names the file it looked for', async () => {
    const model = await loadBaseModel('transfer_mobilenetv2_a35', store);
    expect(model.inputs[0]!.shape).toEqual([null, 3]);
    expect(Array.from(model.getWeights()[0]!.dataSync())).toEqual(kernel);
    model.dispose();
    await expect(loadBaseModel('absent', store)).rejects.toThrow(path.join(store, 'absent', 'model.json'));
    await expect(loadBaseModel('../x', store)).rejects.toMatchObject({ code: 'INVALID_SPEC' });
  });

  it('names an Edge Impulse layer’s base as the API check and the translator both look it up', () => {
    expect(edgeImpulseBaseName({ type: 'transfer_mobilenetv2_a35' })).toBe('transfer_mobilenetv2_a35');
    expect(edgeImpulseBaseName({ type: 'transfer_organization', organizationModelId: 7 })).toBe(
      'transfer_organization-7',
    );
    const spec = fromEdgeImpulse([{ type: 'transfer_mobilenetv2_a35' }], { inputShape: [3] });
    const layer = spec.layers[0] as { model: string };
    expect(hasBaseModel(store, layer.model)).toBe(true);
  });

  it('finds the store of the pretrained map a task stores (name -> folder)', () => {
    const map = { transfer_mobilenetv2_a35: resolveBaseModel(store, 'transfer_mobilenetv2_a35') };
    expect(storeOfPretrained(map)).toBe(store);
    expect(storeOfPretrained({})).toBeUndefined();
    expect(storeOfPretrained(undefined)).toBeUndefined();
  });
});
