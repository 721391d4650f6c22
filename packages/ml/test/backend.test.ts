import * as tf from '@tensorflow/tfjs';
import { afterEach, describe, expect, it } from 'vitest';
import { fromKerasJson, initBackend, modelFromKerasJson, MlInputError } from '../src/index.ts';

describe('backend selection', () => {
  const saved = process.env.TRAINHUB_ML_BACKEND;
  afterEach(() => {
    if (saved === undefined) delete process.env.TRAINHUB_ML_BACKEND;
    else process.env.TRAINHUB_ML_BACKEND = saved;
  });

  it('auto picks tensorflow when installed, else wasm; env overrides; the choice is logged', async () => {
    delete process.env.TRAINHUB_ML_BACKEND;
    const logs: string[] = [];
    const auto = await initBackend(undefined, (l) => logs.push(l));
    expect(['tensorflow', 'wasm']).toContain(auto.name);
    expect(tf.getBackend()).toBe(auto.name);
    process.env.TRAINHUB_ML_BACKEND = 'cpu';
    const cpu = await initBackend(undefined, (l) => logs.push(l));
    expect(cpu.name).toBe('cpu');
    expect(logs.at(-1)).toMatch(/backend cpu/);
    process.env.TRAINHUB_ML_BACKEND = 'quantum';
    await expect(initBackend()).rejects.toThrow(MlInputError);
  });

  it('a named tensorflow backend that is not installed is an error, not a silent fallback', async () => {
    let installed = true;
    try {
      const name = '@tensorflow/tfjs-node';
      await import(/* @vite-ignore */ name);
    } catch {
      installed = false;
    }
    if (!installed) await expect(initBackend('tensorflow')).rejects.toThrow(/tfjs-node/);
    await initBackend('cpu');
  });
});

describe('Keras JSON as a tfjs model', () => {
  it('reads Keras 2 topology unchanged', async () => {
    await initBackend('cpu');
    const doc = {
      class_name: 'Sequential',
      config: {
        name: 'seq',
        layers: [
          {
            class_name: 'Dense',
            config: {
              name: 'd1',
              units: 5,
              activation: 'relu',
              batch_input_shape: [null, 3],
              dtype: 'float32',
            },
          },
          { class_name: 'Dense', config: { name: 'd2', units: 2, activation: 'softmax', dtype: 'float32' } },
        ],
      },
      keras_version: '2.15.0',
      backend: 'tensorflow',
    };
    const model = await modelFromKerasJson(JSON.stringify(doc));
    expect(model.outputs[0]!.shape).toEqual([null, 2]);
    expect(fromKerasJson(doc).layers).toEqual([{ type: 'dense', units: 5, activation: 'relu' }]);
    model.dispose();
  });
});
