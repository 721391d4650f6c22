import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../src/index.ts';
import { perSampleLoss } from '../src/losses.ts';
import { blasUnavailableReason, loadBlas } from '../src/wasm-kernels/blas-matmul.ts';
import { LOSS_EPS, nativeCrossEntropyCount } from '../src/wasm-kernels/native-loss.ts';

// The categorical cross-entropy in the native addon (native/elementwise.c) against the stock chain of
// src/losses.ts, on wasm itself (the gradient bit for bit: one negation, product and division per element,
// rounded to float32 like the stock kernels) and on the reference cpu backend; losses, and the gradient
// against cpu, to 2e-7 relative (about 1 ulp: logf, the sum's and cpu's own rounding). TRAINHUB_ML_BLAS=0 skips these.
describe.skipIf(process.env.TRAINHUB_ML_BLAS === '0')('categorical cross-entropy in the native addon', () => {
  beforeAll(async () => {
    expect(loadBlas(), `native addon unavailable: ${blasUnavailableReason()}`).not.toBeNull();
    await initBackend('wasm');
  });
  afterAll(async () => {
    await tf.setBackend('wasm');
  });

  /** The stock chain, as src/losses.ts runs it without the addon. */
  const stock = (p: tf.Tensor, t: tf.Tensor) =>
    tf.neg(tf.sum(tf.mul(t, tf.log(tf.clipByValue(p, LOSS_EPS, 1 - LOSS_EPS))), -1));
  const ours = (p: tf.Tensor, t: tf.Tensor) => perSampleLoss('categoricalCrossentropy', p, t);

  /** Probabilities with clip-edge and NaN entries, one-hot-ish targets. */
  function inputs(): [tf.Tensor2D, tf.Tensor2D] {
    const rows = 37;
    const cols = 10;
    // Plain JS (not a backend's softmax, which rounds differently per backend): rows summing to 1.
    const p = Array.from({ length: rows }, (_, r) => {
      const e = Array.from({ length: cols }, (_, c) => Math.exp(3 * Math.sin(r * 12.9898 + c * 78.233)));
      const total = e.reduce((a, b) => a + b, 0);
      return e.map((v) => v / total);
    });
    p[0] = [0, 1, LOSS_EPS, 1 - LOSS_EPS, 5e-8, 0.99999995, NaN, 0.5, 1e-30, 0.25];
    const t = Array.from({ length: rows }, (_, r) =>
      Array.from({ length: cols }, (_, c) => (r === 0 ? 0.1 * c : c === (r * 7) % cols ? 1 : 0)),
    );
    return [tf.tensor2d(p), tf.tensor2d(t)];
  }

  /** Loss and gradient for p (upstream: the trainer's mean) of `loss` on `backend`. */
  async function run(
    backend: string,
    loss: (p: tf.Tensor, t: tf.Tensor) => tf.Tensor,
  ): Promise<[Float32Array, Float32Array]> {
    await tf.setBackend(backend);
    const [p, t] = inputs();
    const [l, g] = tf.tidy(() => [loss(p, t), tf.grad((a: tf.Tensor) => tf.mean(loss(a, t)))(p)]);
    const out: [Float32Array, Float32Array] = [l!.dataSync() as Float32Array, g!.dataSync() as Float32Array];
    tf.dispose([p, t, l!, g!]);
    await tf.setBackend('wasm');
    return out;
  }

  const show = (a: Float32Array) => Array.from(a, (v) => (Object.is(v, -0) ? '-0' : String(v)));
  const expectClose = (x: Float32Array, y: Float32Array) => {
    expect(x.length).toBe(y.length);
    x.forEach((v, i) => {
      if (Number.isNaN(y[i])) expect(v).toBeNaN();
      else
        expect(Math.abs(v - y[i]!), `at ${i}: ${v} vs ${y[i]}`).toBeLessThanOrEqual(
          2e-7 * Math.abs(y[i]!) + 1e-12,
        );
    });
  };

  it('matches the stock chain: on wasm the gradient bit for bit; else to 2e-7 relative', async () => {
    const before = nativeCrossEntropyCount();
    const [loss, grad] = await run('wasm', ours);
    // The loss, then the loss again and its gradient under tf.grad: three native calls.
    expect(nativeCrossEntropyCount(), 'loss and gradient ran natively').toBe(before + 3);
    // wasm's stock kernels: the gradient bit for bit. cpu: to 1 ulp (it rounds some steps differently).
    const [l, g] = await run('wasm', stock);
    expect(show(grad)).toEqual(show(g));
    expectClose(loss, l);
    const [lc, gc] = await run('cpu', ours);
    expectClose(grad, gc);
    // Row 0's NaN probability: wasm's ClipByValue clamps it to EPS (so do we); cpu's keeps the NaN.
    expect(lc[0]).toBeNaN();
    expectClose(loss.subarray(1), lc.subarray(1));
    expect(loss[0]).toBe(l[0]);
  });

  it('through softmax (the trainer: logits -> softmax -> loss) the gradient of the logits matches cpu', async () => {
    const grads: Float32Array[] = [];
    for (const backend of ['wasm', 'cpu']) {
      await tf.setBackend(backend);
      const logits = tf.randomNormal([64, 10], 0, 4, 'float32', 9);
      const target = tf.oneHot(
        tf.tensor1d(
          Array.from({ length: 64 }, (_, i) => (i * 3) % 10),
          'int32',
        ),
        10,
      );
      const g = tf.grad((z: tf.Tensor) => tf.mean(ours(tf.softmax(z), target)))(logits);
      grads.push(g.dataSync() as Float32Array);
      tf.dispose([logits, target, g]);
    }
    await tf.setBackend('wasm');
    const diff = grads[0]!.reduce((m, v, i) => Math.max(m, Math.abs(v - grads[1]![i]!)), 0);
    expect(diff).toBeLessThan(1e-7);
  });

  it("Softmax's gradient: bit for bit the stock formula on wasm; cpu's to 1e-6 (its own softmax)", async () => {
    const make = () => {
      const z = tf.tensor2d(
        Array.from({ length: 33 * 7 }, (_, i) => 4 * Math.sin(i * 0.37)),
        [33, 7],
      );
      const dy = tf.tensor2d(
        Array.from({ length: 33 * 7 }, (_, i) => Math.cos(i * 1.3)),
        [33, 7],
      );
      return [z, dy] as const;
    };
    const gradient = async (backend: string, formula: boolean) => {
      await tf.setBackend(backend);
      const [z, dy] = make();
      const g = tf.tidy(() => {
        if (!formula) return tf.grad((a: tf.Tensor) => tf.softmax(a))(z, dy);
        const y = tf.softmax(z); // the stock gradient's formula, as tfjs-core registers it
        const dyTimesY = tf.mul(dy, y);
        return tf.sub(dyTimesY, tf.mul(tf.sum(dyTimesY, [-1], true), y));
      });
      const out = g.dataSync() as Float32Array;
      tf.dispose([z, dy, g]);
      await tf.setBackend('wasm');
      return out;
    };
    const before = nativeCrossEntropyCount();
    const native = await gradient('wasm', false);
    expect(nativeCrossEntropyCount(), 'softmax gradient ran natively').toBe(before + 1);
    expect(show(native)).toEqual(show(await gradient('wasm', true)));
    const cpu = await gradient('cpu', false);
    const diff = native.reduce((m, v, i) => Math.max(m, Math.abs(v - cpu[i]!)), 0);
    expect(diff).toBeLessThan(1e-6);
  });

  it('other shapes and dtypes take the stock chain', async () => {
    const before = nativeCrossEntropyCount();
    const l = tf.tidy(() => ours(tf.ones([2, 3, 4]).div(4), tf.ones([2, 3, 4])).arraySync());
    expect(nativeCrossEntropyCount()).toBe(before);
    expect((l as unknown as number[][])[0]![0]).toBeCloseTo(4 * Math.log(4), 5);
  });
});
