import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../src/index.ts';
import { blasUnavailableReason, loadBlas } from '../src/wasm-kernels/blas-matmul.ts';

// `npm test` installs libopenblas0-pthread and the build compiles native/build/blas.node, so the OpenBLAS
// path is always exercised here; a machine without it fails this file with the reason. A run that turns it
// off (TRAINHUB_ML_BLAS=0, as on a host without libopenblas) skips it, as the other native-path tests do.
describe.skipIf(process.env.TRAINHUB_ML_BLAS === '0')('wasm matrix products through OpenBLAS', () => {
  let calls = 0;
  beforeAll(async () => {
    const blas = loadBlas();
    expect(blas, `OpenBLAS binding unavailable: ${blasUnavailableReason()}`).not.toBeNull();
    const sgemm = blas!.sgemm.bind(blas);
    blas!.sgemm = (...args) => {
      calls++;
      sgemm(...args);
    };
    expect((await initBackend('wasm')).provider).toMatch(/OpenBLAS/);
  });
  afterAll(async () => {
    await tf.setBackend('wasm');
  });

  /** The product on wasm (OpenBLAS) and on the reference cpu backend. */
  async function both(make: () => tf.Tensor): Promise<[Float32Array, Float32Array, number[]]> {
    await tf.setBackend('wasm');
    const before = calls;
    const onWasm = make();
    const wasm = (await onWasm.data()) as Float32Array;
    const shape = onWasm.shape;
    const usedBlas = calls > before;
    tf.dispose(onWasm);
    await tf.setBackend('cpu');
    const onCpu = make();
    const cpu = (await onCpu.data()) as Float32Array;
    tf.dispose(onCpu);
    await tf.setBackend('wasm');
    expect(usedBlas, 'OpenBLAS was called').toBe(true);
    return [wasm, cpu, shape];
  }
  const maxDiff = (x: Float32Array, y: Float32Array) =>
    x.reduce((m, v, i) => Math.max(m, Math.abs(v - y[i]!)), 0);
  const rand = (shape: number[], seed: number) => tf.randomUniform(shape, -1, 1, 'float32', seed);

  it.each([
    [false, false],
    [true, false],
    [false, true],
    [true, true],
  ])('matMul transposeA=%s transposeB=%s matches cpu', async (ta, tb) => {
    const [wasm, cpu, shape] = await both(() =>
      tf.tidy(() => tf.matMul(rand(ta ? [70, 40] : [40, 70], 1), rand(tb ? [50, 70] : [70, 50], 2), ta, tb)),
    );
    expect(shape).toEqual([40, 50]);
    expect(maxDiff(wasm, cpu)).toBeLessThan(1e-4);
  });

  it('batched and broadcast products match cpu', async () => {
    const [batched, batchedCpu, shape] = await both(() =>
      tf.tidy(() => tf.matMul(rand([3, 40, 60], 3), rand([3, 60, 30], 4))),
    );
    expect(shape).toEqual([3, 40, 30]);
    expect(maxDiff(batched, batchedCpu)).toBeLessThan(1e-4);
    const [broadcast, broadcastCpu, shape2] = await both(() =>
      tf.tidy(() => tf.matMul(rand([2, 40, 60], 5), rand([1, 60, 30], 6))),
    );
    expect(shape2).toEqual([2, 40, 30]);
    expect(maxDiff(broadcast, broadcastCpu)).toBeLessThan(1e-4);
  });

  it('fused products with bias and relu match cpu', async () => {
    for (const activation of ['linear', 'relu'] as const) {
      const [wasm, cpu] = await both(() =>
        tf.tidy(() =>
          tf.fused.matMul({ a: rand([64, 80], 7), b: rand([80, 48], 8), bias: rand([48], 9), activation }),
        ),
      );
      expect(maxDiff(wasm, cpu)).toBeLessThan(1e-4);
      if (activation === 'relu') expect(Math.min(...wasm)).toBe(0);
    }
  });

  it('at 2 threads, small products (one thread, native/gemm.h) and big ones match cpu; the count is kept', async () => {
    const blas = loadBlas()!;
    const before = blas.setThreads(0);
    try {
      expect(blas.setThreads(2)).toBe(2);
      // 40x30x60 = 72k multiply-adds (one thread) and 256x300x200 = 15M (the pool).
      for (const [m, k, n] of [
        [40, 60, 30],
        [256, 200, 300],
      ] as const) {
        const [wasm, cpu] = await both(() => tf.tidy(() => tf.matMul(rand([m, k], 10), rand([k, n], 11))));
        expect(maxDiff(wasm, cpu)).toBeLessThan(1e-3);
        expect(blas.setThreads(0)).toBe(2);
      }
    } finally {
      blas.setThreads(before);
    }
  });
});
