import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../src/index.ts';
import { createOptimizer, optimizerState } from '../src/optimizers.ts';
import { blasUnavailableReason, loadBlas } from '../src/wasm-kernels/blas-matmul.ts';
import {
  FusedAdamOptimizer,
  FusedMomentumOptimizer,
  FusedRMSPropOptimizer,
  FusedSGDOptimizer,
  fusedCopyCount,
  fusedUpdateCount,
} from '../src/wasm-kernels/fused-optimizers.ts';

// The fused optimizer updates (native/optim.c) must give the very weights TensorFlow.js's own optimizers
// give: tolerance 0 (bit-identical float32), for every weight and optimizer slot after N steps.
const STEPS = 25;
const SHAPES = [[37, 19], [19], [19, 5], [5], [3, 3, 2, 4]];

type Factory = () => tf.Optimizer;
const cases: [string, Factory, Factory][] = [
  ['adam', () => tf.train.adam(0.01), () => new FusedAdamOptimizer(0.01, 0.9, 0.999)],
  [
    'adam (beta1 0.8, beta2 0.99, eps 1e-4)',
    () => tf.train.adam(3e-3, 0.8, 0.99, 1e-4),
    () => new FusedAdamOptimizer(3e-3, 0.8, 0.99, 1e-4),
  ],
  ['sgd', () => tf.train.sgd(0.05), () => new FusedSGDOptimizer(0.05)],
  ['momentum', () => tf.train.momentum(0.02, 0.9), () => new FusedMomentumOptimizer(0.02, 0.9)],
  ['nesterov', () => tf.train.momentum(0.02, 0.8, true), () => new FusedMomentumOptimizer(0.02, 0.8, true)],
  [
    'rmsprop',
    () => tf.train.rmsprop(1e-3, 0.9, 0, 1e-7),
    () => new FusedRMSPropOptimizer(1e-3, 0.9, 0, 1e-7),
  ],
  [
    'rmsprop with momentum',
    () => tf.train.rmsprop(1e-3, 0.95, 0.5, 1e-7),
    () => new FusedRMSPropOptimizer(1e-3, 0.95, 0.5, 1e-7),
  ],
];

/** Runs STEPS updates with gradients of a loss over fresh variables; answers every weight and slot. */
function train(optimizer: tf.Optimizer, tag: string): Float32Array[] {
  const variables = SHAPES.map((shape, i) =>
    tf.variable(tf.randomNormal(shape, 0, 1, 'float32', 100 + i), true, `${tag}_${i}`),
  );
  for (let step = 0; step < STEPS; step++) {
    tf.tidy(() => {
      const targets = SHAPES.map((shape, i) => tf.randomNormal(shape, 0, 1, 'float32', 1 + 1000 * step + i));
      // Uneven gradients (squares, sines) so the moments differ per element.
      const loss = () =>
        tf.addN(
          variables.map((v, i) => tf.sum(tf.mul(tf.square(tf.sub(v, targets[i]!)), tf.sin(targets[i]!)))),
        );
      optimizer.minimize(loss as () => tf.Scalar, false, variables);
    });
  }
  // Every optimizer variable (moments, accBeta, ...) by field name.
  const slotValues = [...optimizerState(optimizer).entries()]
    .sort(([x], [y]) => x.localeCompare(y))
    .map(([, v]) => v.dataSync() as Float32Array);
  const out = [...variables.map((v) => v.dataSync() as Float32Array), ...slotValues];
  tf.dispose(variables);
  optimizer.dispose();
  return out;
}

const maxDiff = (x: Float32Array, y: Float32Array) =>
  x.reduce((m, v, i) => Math.max(m, Math.abs(v - y[i]!)), 0);

// `npm test` builds the addon, so a missing one fails here with the reason; a run that turns it off
// (TRAINHUB_ML_BLAS=0, as on a host without libopenblas) checks the stock path only.
const noAddon = process.env.TRAINHUB_ML_BLAS === '0';

describe.skipIf(noAddon)('fused optimizer updates (native)', () => {
  beforeAll(async () => {
    expect(loadBlas(), `native addon unavailable: ${blasUnavailableReason()}`).not.toBeNull();
    await initBackend('wasm');
  });

  it.each(cases)(
    '%s: weights and slots after N steps equal the stock optimizer (bit for bit)',
    (name, stock, fused) => {
      const expected = train(stock(), `stock_${name}`);
      const before = fusedUpdateCount();
      const actual = train(fused(), `fused_${name}`);
      // The first step creates the slots on the stock path; every later one is fused (SGD has no slots).
      expect(fusedUpdateCount() - before).toBe(name === 'sgd' ? STEPS : STEPS - 1);
      expect(actual.length).toBe(expected.length);
      expected.forEach((e, i) => {
        expect(actual[i]!.length).toBe(e.length);
        expect(maxDiff(actual[i]!, e), `array ${i}`).toBe(0);
      });
      // The run moved the weights (a no-op update would also "match").
      expect(
        maxDiff(
          actual[0]!,
          tf.tidy(() => tf.randomNormal(SHAPES[0]!, 0, 1, 'float32', 100).dataSync() as Float32Array),
        ),
      ).toBeGreaterThan(1e-3);
    },
  );

  it('a tfjs-layers model trained with createOptimizer matches stock Adam', async () => {
    const fit = async (optimizer: tf.Optimizer) => {
      const model = tf.sequential({
        layers: [
          tf.layers.dense({
            inputShape: [12],
            units: 16,
            activation: 'relu',
            kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }),
          }),
          tf.layers.dense({
            units: 3,
            activation: 'softmax',
            kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }),
          }),
        ],
      });
      model.compile({ optimizer, loss: 'categoricalCrossentropy' });
      const x = tf.randomUniform([96, 12], -1, 1, 'float32', 5);
      const y = tf.oneHot(tf.randomUniform([96], 0, 3, 'int32', 6), 3);
      await model.fit(x, y, { epochs: 3, batchSize: 16, shuffle: false, verbose: 0 });
      const weights = model.getWeights().map((w) => w.dataSync() as Float32Array);
      tf.dispose([x, y]);
      model.dispose();
      return weights;
    };
    const expected = await fit(tf.train.adam(0.01));
    const before = fusedUpdateCount();
    const copiesBefore = fusedCopyCount();
    const actual = await fit(createOptimizer('adam', 0.01));
    expect(fusedUpdateCount() - before).toBe(3 * 6 - 1);
    // Updated in place; these small products run in XNNPack, whose packed-weight cache must see each
    // update (a stale one gave differences of 0.04 here).
    expect(fusedCopyCount()).toBe(copiesBefore);
    expected.forEach((e, i) => expect(maxDiff(actual[i]!, e)).toBe(0));
  });

  it('a variable whose memory another tensor shares is updated in a copy; that tensor keeps its values', () => {
    const run = (optimizer: tf.Optimizer) => {
      const v = tf.variable(tf.randomNormal([6, 4], 0, 1, 'float32', 7), true);
      let shared: tf.Tensor | null = null;
      let kept: Float32Array | null = null;
      for (let step = 0; step < 4; step++) {
        tf.tidy(() => {
          const target = tf.randomNormal([6, 4], 0, 1, 'float32', 20 + step);
          optimizer.minimize(() => tf.sum(tf.square(tf.sub(v, target))) as tf.Scalar, false, [v]);
        });
        if (step === 1) {
          // A reshape shares the variable's memory (the wasm backend counts the reference).
          shared = tf.reshape(v, [24]);
          kept = shared.dataSync().slice() as Float32Array;
        }
      }
      const out = {
        weights: v.dataSync().slice() as Float32Array,
        sharedAfter: shared!.dataSync().slice() as Float32Array,
        kept: kept!,
      };
      tf.dispose([v, shared!]);
      optimizer.dispose();
      return out;
    };
    const expected = run(tf.train.adam(0.05));
    const copiesBefore = fusedCopyCount();
    const actual = run(createOptimizer('adam', 0.05));
    expect(fusedCopyCount()).toBeGreaterThan(copiesBefore);
    expect(maxDiff(actual.sharedAfter, actual.kept)).toBe(0);
    expect(maxDiff(actual.weights, actual.kept)).toBeGreaterThan(1e-3);
    expect(maxDiff(actual.weights, expected.weights)).toBe(0);
  });
});

describe('fused optimizers without the native path', () => {
  // On cpu always; on wasm too when the addon is off (TRAINHUB_ML_BLAS=0).
  it.each(noAddon ? ['cpu', 'wasm'] : ['cpu'])('on %s the stock update runs, same weights', async (name) => {
    await initBackend('wasm');
    await tf.setBackend(name);
    try {
      const before = fusedUpdateCount();
      const expected = train(tf.train.adam(0.01), `${name}_stock`);
      const actual = train(new FusedAdamOptimizer(0.01, 0.9, 0.999), `${name}_fused`);
      expect(fusedUpdateCount()).toBe(before);
      expected.forEach((e, i) => expect(maxDiff(actual[i]!, e)).toBe(0));
    } finally {
      await tf.setBackend('wasm');
    }
  });
});
