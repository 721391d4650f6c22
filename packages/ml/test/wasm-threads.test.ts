import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { initBackend, train } from '../src/index.ts';
import { blobs } from './helpers.ts';

describe('multi-threaded wasm (TRAINHUB_ML_WASM_THREADS=2)', () => {
  it('starts XNNPack with two threads, trains, matches cpu and stays reproducible', async () => {
    process.env.TRAINHUB_ML_WASM_THREADS = '2';
    process.env.TRAINHUB_ML_BLAS = '0'; // XNNPack's own threads are under test, not OpenBLAS
    try {
      const info = await initBackend('wasm');
      expect(info.provider).toBe('wasm-simd, 2 threads');
      const a = tf.randomUniform([64, 300], -1, 1, 'float32', 1);
      const b = tf.randomUniform([300, 200], -1, 1, 'float32', 2);
      const wasmProduct = tf.matMul(a, b).dataSync();
      await tf.setBackend('cpu');
      const cpuProduct = tf.matMul(a, b).dataSync();
      let diff = 0;
      for (let i = 0; i < cpuProduct.length; i++)
        diff = Math.max(diff, Math.abs(cpuProduct[i]! - wasmProduct[i]!));
      expect(diff).toBeLessThan(1e-4);
      const run = async () => {
        const r = await train({
          spec: {
            input: { shape: [8, 8, 1] },
            layers: [
              { type: 'conv2d', filters: 4 },
              { type: 'dense', units: 8 },
            ],
          },
          data: blobs(64, 64, 2, 5, [8, 8, 1]),
          hyperparameters: { epochs: 2, batchSize: 16, seed: 3 },
          backend: 'wasm',
        });
        if (r.status === 'cancelled') throw new Error('cancelled');
        expect(r.backend.provider).toBe('wasm-simd, 2 threads');
        return Buffer.from(r.artifacts.weights);
      };
      expect((await run()).equals(await run())).toBe(true);
    } finally {
      delete process.env.TRAINHUB_ML_WASM_THREADS;
      delete process.env.TRAINHUB_ML_BLAS;
    }
  });
});
