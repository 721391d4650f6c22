/**
 * Per-kernel profile of one training step (`tsx bench/kernels.ts [mlp|cnn|conv1d]`): the trainer's step
 * (model.apply + per-sample loss + mean under variableGrads, then Adam's applyGradients) run under
 * tf.profile after warm-up steps; prints each kernel's launch count and summed time (ms), largest first,
 * and the launches per step. Kernel times are wall times, so a loaded machine inflates them all alike.
 */
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/index.ts';
import { buildModel } from '../src/layers.ts';
import { createOptimizer } from '../src/optimizers.ts';
import { CNN_SPEC, CONV1D_SPEC, MLP_SPEC, synthetic } from './common.ts';
import { lossAndGradients } from './profile.ts';

const MODELS = {
  mlp: { spec: MLP_SPEC, shape: [784], batch: 128 },
  cnn: { spec: CNN_SPEC, shape: [28, 28, 1], batch: 64 },
  conv1d: { spec: CONV1D_SPEC, shape: [650], batch: 32 },
};

async function main(which: keyof typeof MODELS, steps = 20): Promise<void> {
  await initBackend('wasm');
  const { spec, shape, batch } = MODELS[which];
  const data = synthetic(batch, shape);
  const { model } = await buildModel(spec, { problem: 'classification', numClasses: 10, seed: 1 });
  const optimizer = createOptimizer('adam', 0.001);
  const trainable = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const labels = data.labels.kind === 'categorical' ? data.labels.indices : new Int32Array(batch);
  const x = tf.tensor(data.features, [batch, ...shape]);
  const y = tf.oneHot(tf.tensor1d(labels, 'int32'), 10);
  const step = () =>
    tf.tidy(() => {
      const { value, grads } = lossAndGradients(model, x, y, trainable);
      value.dataSync();
      optimizer.applyGradients(grads);
    });
  for (let i = 0; i < 5; i++) step();
  const info = await tf.profile(() => {
    for (let i = 0; i < steps; i++) step();
  });
  const byName = new Map<string, { count: number; ms: number }>();
  for (const k of info.kernels) {
    const e = byName.get(k.name) ?? { count: 0, ms: 0 };
    e.count++;
    e.ms += Number(await k.kernelTimeMs);
    byName.set(k.name, e);
  }
  const rows = [...byName].sort((a, b) => b[1].ms - a[1].ms);
  const total = rows.reduce((a, [, e]) => a + e.ms, 0);
  console.log(
    `${which}: ${info.kernels.length / steps} launches/step, kernels ${(total / steps).toFixed(2)} ms/step`,
  );
  for (const [name, e] of rows)
    console.log(
      `  ${name.padEnd(28)} ${(e.count / steps).toFixed(1).padStart(5)}/step ${(e.ms / steps).toFixed(3)} ms`,
    );
}

await main((process.argv[2] ?? 'mlp') as keyof typeof MODELS);
