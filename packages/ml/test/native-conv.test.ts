import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../src/index.ts';
import { blasUnavailableReason, loadBlas } from '../src/wasm-kernels/blas-matmul.ts';
import { nativeConvCount } from '../src/wasm-kernels/native-conv.ts';

// The native convolutions, max pooling and leading-axes sums (native/conv.c) against the reference cpu
// backend: forward values and both gradients, max abs diff < 1e-4, and the native path was taken.
// `npm test` builds the addon, so a missing one fails here with the reason; TRAINHUB_ML_BLAS=0 (a host
// without libopenblas) skips these: the stock and JS kernels are then checked by wasm-gradients.test.ts.
describe.skipIf(process.env.TRAINHUB_ML_BLAS === '0')(
  'wasm convolutions and pooling in the native addon',
  () => {
    beforeAll(async () => {
      expect(loadBlas(), `native addon unavailable: ${blasUnavailableReason()}`).not.toBeNull();
      await initBackend('wasm');
    });
    afterAll(async () => {
      await tf.setBackend('wasm');
    });

    /** Every output of `make` on wasm (native) and on cpu. */
    async function both(make: () => tf.Tensor[]): Promise<[Float32Array[], Float32Array[]]> {
      await tf.setBackend('wasm');
      const before = nativeConvCount();
      const onWasm = make();
      const wasm = onWasm.map((t) => t.dataSync() as Float32Array);
      const shapes = onWasm.map((t) => t.shape);
      tf.dispose(onWasm);
      expect(nativeConvCount(), 'native kernels were called').toBeGreaterThan(before);
      await tf.setBackend('cpu');
      const onCpu = make();
      const cpu = onCpu.map((t) => t.dataSync() as Float32Array);
      expect(onCpu.map((t) => t.shape)).toEqual(shapes);
      tf.dispose(onCpu);
      await tf.setBackend('wasm');
      return [wasm, cpu];
    }
    const maxDiff = (x: Float32Array, y: Float32Array) =>
      x.reduce((m, v, i) => Math.max(m, Math.abs(v - y[i]!)), 0);
    const rand = (shape: number[], seed: number) => tf.randomUniform(shape, -1, 1, 'float32', seed);
    const expectClose = ([wasm, cpu]: [Float32Array[], Float32Array[]]) => {
      wasm.forEach((w, i) => {
        expect(w.length).toBe(cpu[i]!.length);
        expect(maxDiff(w, cpu[i]!), `output ${i}`).toBeLessThan(1e-4);
      });
    };

    it.each([
      // input [N, H, W, C], filter [KH, KW, C, CO], strides, padding, dilations
      [[2, 9, 11, 3], [3, 3, 3, 5], 1, 'same', 1],
      [[2, 9, 11, 3], [3, 3, 3, 5], 1, 'valid', 1],
      [[3, 10, 9, 4], [3, 2, 4, 6], 2, 'same', 1],
      [[3, 10, 9, 4], [5, 5, 4, 2], [2, 3], 'valid', 1],
      [[2, 12, 12, 4], [3, 3, 4, 4], 1, 'same', 2],
      [[2, 7, 7, 8], [1, 1, 8, 16], 1, 'valid', 1],
      [[4, 28, 28, 1], [3, 3, 1, 16], 1, 'same', 1],
    ] as const)(
      'conv2d x%j filter%j strides %j %s dilations %j: value (and dx, dW) match cpu',
      async (xs, fs, s, pad, d) => {
        expectClose(
          await both(() =>
            tf.tidy(() => {
              const x = rand([...xs], 1);
              const w = rand([...fs], 2);
              const f = (a: tf.Tensor, b: tf.Tensor) =>
                tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, s as [number, number], pad, 'NHWC', d);
              const y = f(x, w);
              // TensorFlow.js has no gradient for dilated convolutions: the forward value only.
              if (d !== 1) return [y];
              // A loss that weights every output differently, so wrong routing shows.
              const weights = rand(y.shape, 3);
              const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(f(a, b), weights)))([
                x,
                w,
              ]);
              return [y, dx!, dw!];
            }),
          ),
        );
      },
    );

    it('fused conv2d with bias and relu (the layers path), its gradients and the bias gradient match cpu', async () => {
      for (const activation of ['linear', 'relu'] as const) {
        expectClose(
          await both(() =>
            tf.tidy(() => {
              const x = rand([3, 8, 8, 4], 4);
              const w = rand([3, 3, 4, 6], 5);
              const b = rand([6], 6);
              const f = (a: tf.Tensor, k: tf.Tensor, c: tf.Tensor) =>
                tf.fused.conv2d({
                  x: a as tf.Tensor4D,
                  filter: k as tf.Tensor4D,
                  strides: 1,
                  pad: 'same',
                  bias: c,
                  activation,
                });
              const weights = rand([3, 8, 8, 6], 7);
              const [dx, dw, db] = tf.grads((a: tf.Tensor, k: tf.Tensor, c: tf.Tensor) =>
                tf.sum(tf.mul(f(a, k, c), weights)),
              )([x, w, b]);
              return [f(x, w, b), dx!, dw!, db!];
            }),
          ),
        );
      }
    });

    it('conv1d (an Edge Impulse 50x13 time series) and its gradients match cpu', async () => {
      expectClose(
        await both(() =>
          tf.tidy(() => {
            const x = rand([8, 50, 13], 8);
            const w = rand([3, 13, 8], 9);
            const f = (a: tf.Tensor, k: tf.Tensor) =>
              tf.conv1d(a as tf.Tensor3D, k as tf.Tensor3D, 1, 'same');
            const weights = rand([8, 50, 8], 10);
            const [dx, dw] = tf.grads((a: tf.Tensor, k: tf.Tensor) => tf.sum(tf.mul(f(a, k), weights)))([
              x,
              w,
            ]);
            return [f(x, w), dx!, dw!];
          }),
        ),
      );
    });

    it.each([
      [[2, 8, 8, 3], 2, 2, 'valid'],
      [[2, 9, 7, 5], 2, 2, 'same'],
      [[3, 10, 10, 4], 3, 2, 'same'],
      [[2, 6, 6, 2], 3, 1, 'valid'],
    ] as const)(
      'maxPool x%j size %i stride %i %s: value and gradient match cpu',
      async (xs, size, stride, pad) => {
        expectClose(
          await both(() =>
            tf.tidy(() => {
              const x = rand([...xs], 11);
              const f = (a: tf.Tensor) => tf.maxPool(a as tf.Tensor4D, size, stride, pad);
              const y = f(x);
              const weights = rand(y.shape, 12);
              const dx = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(f(a), weights)))(x);
              return [y, dx];
            }),
          ),
        );
      },
    );

    it.each([
      [[2, 8, 8, 3], 2, 2, 'valid'],
      [[2, 9, 7, 5], 3, 2, 'same'],
      [[3, 10, 10, 4], 3, 1, 'same'],
    ] as const)(
      'avgPool x%j size %i stride %i %s: value and gradient match cpu',
      async (xs, size, stride, pad) => {
        expectClose(
          await both(() =>
            tf.tidy(() => {
              const x = rand([...xs], 16);
              const f = (a: tf.Tensor) => tf.avgPool(a as tf.Tensor4D, size, stride, pad);
              const y = f(x);
              const weights = rand(y.shape, 17);
              const dx = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(f(a), weights)))(x);
              return [y, dx];
            }),
          ),
        );
      },
    );

    it('at 3 threads, convolutions and pooling big enough to split among threads (chunks of images, partial filter gradients) match cpu', async () => {
      const blas = loadBlas()!;
      const before = blas.setThreads(0);
      // Relative to the largest value: a filter gradient sums 31k products.
      const expectNear = ([wasm, cpu]: [Float32Array[], Float32Array[]]) =>
        wasm.forEach((w, i) => {
          const scale = cpu[i]!.reduce((m, v) => Math.max(m, Math.abs(v)), 1);
          expect(maxDiff(w, cpu[i]!) / scale, `output ${i}`).toBeLessThan(1e-5);
        });
      try {
        blas.setThreads(3);
        // [x], [filter], pool: 12x20x20x8 -> 16 (5.5M multiply-adds, 6 chunks; im2col path), 40x28x28x1 -> 16
        // (4.5M, direct filter gradient), max pooling 3x3 stride 1 of 8x32x32x16 (1.2M taps).
        for (const [xs, fs] of [
          [
            [12, 20, 20, 8],
            [3, 3, 8, 16],
          ],
          [
            [40, 28, 28, 1],
            [3, 3, 1, 16],
          ],
        ] as const) {
          expectNear(
            await both(() =>
              tf.tidy(() => {
                const x = rand([...xs], 21);
                const w = rand([...fs], 22);
                const f = (a: tf.Tensor, b: tf.Tensor) =>
                  tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, 'same');
                const weights = rand(f(x, w).shape, 23);
                const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(f(a, b), weights)))([
                  x,
                  w,
                ]);
                return [f(x, w), dx!, dw!];
              }),
            ),
          );
        }
        expectNear(
          await both(() =>
            tf.tidy(() => {
              const x = rand([8, 32, 32, 16], 24);
              const f = (a: tf.Tensor) => tf.maxPool(a as tf.Tensor4D, 3, 1, 'same');
              const weights = rand(f(x).shape, 25);
              return [f(x), tf.grad((a: tf.Tensor) => tf.sum(tf.mul(f(a), weights)))(x)];
            }),
          ),
        );
      } finally {
        blas.setThreads(before);
      }
    });

    it('a bias add (either operand order) and its gradient match cpu; other adds are unchanged', async () => {
      expectClose(
        await both(() =>
          tf.tidy(() => {
            const x = rand([4, 5, 6], 18);
            const b = rand([6], 19);
            const weights = rand([4, 5, 6], 20);
            const [dx, db] = tf.grads((a: tf.Tensor, c: tf.Tensor) => tf.sum(tf.mul(tf.add(a, c), weights)))([
              x,
              b,
            ]);
            return [tf.add(x, b), tf.add(b.reshape([1, 1, 6]), x), dx!, db!];
          }),
        ),
      );
      await tf.setBackend('wasm');
      const before = nativeConvCount();
      // Same shapes, a scalar, a broadcast along another axis: the stock kernel.
      const out = tf.tidy(() => [
        tf.add(rand([3, 4], 21), rand([3, 4], 22)),
        tf.add(rand([3, 4], 23), tf.scalar(2)),
        tf.add(rand([3, 4], 24), rand([3, 1], 25)),
      ]);
      expect(nativeConvCount()).toBe(before);
      expect(out.map((t) => t.shape)).toEqual([
        [3, 4],
        [3, 4],
        [3, 4],
      ]);
      tf.dispose(out);
    });

    it('the relu gradient matches cpu, also at 0, for negative zeros and NaN', async () => {
      const special = [0, -0, 1e-30, -1e-30, NaN, 2, -2, Infinity, -Infinity];
      const [wasm, cpu] = await both(() =>
        tf.tidy(() => {
          const x = tf.concat([rand([40], 26), tf.tensor1d(special)]);
          const dy = tf.concat([rand([40], 27), tf.tensor1d([-1, -1, 3, 3, 1, -0, Infinity, 1, -1])]);
          return [tf.grad((a: tf.Tensor) => tf.relu(a))(x, dy)];
        }),
      );
      // Bit for bit, NaN where cpu has NaN, signed zeros included.
      expect(Array.from(wasm[0]!, (v) => (Object.is(v, -0) ? '-0' : String(v)))).toEqual(
        Array.from(cpu[0]!, (v) => (Object.is(v, -0) ? '-0' : String(v))),
      );
    });

    it('sums over the leading axes (bias gradients) match cpu; other sums are unchanged', async () => {
      expectClose(
        await both(() =>
          tf.tidy(() => {
            const x = rand([4, 5, 6, 7], 13);
            return [tf.sum(x, [0, 1, 2]), tf.sum(x, [2, 1, 0], true), tf.sum(rand([300, 10], 14), 0)];
          }),
        ),
      );
      // Not a leading-axes sum: the stock kernel, same values.
      await tf.setBackend('wasm');
      const before = nativeConvCount();
      const s = tf.tidy(() => tf.sum(rand([4, 5, 6], 15), [1, 2]));
      expect(nativeConvCount()).toBe(before);
      expect(s.shape).toEqual([4]);
      s.dispose();
    });
  },
);
