import * as tf from '@tensorflow/tfjs';
import { buildModel } from '../src/layers.ts';
import { perSampleLoss } from '../src/losses.ts';
import { createOptimizer } from '../src/optimizers.ts';
import { synthetic } from './common.ts';

/**
 * The trainer's loss for one batch (src/train.ts trainStep: per-sample categorical cross-entropy of
 * `model.apply` in training mode, then the mean) and its gradients for `trainable`.
 */
export function lossAndGradients(
  model: tf.LayersModel,
  x: tf.Tensor,
  y: tf.Tensor,
  trainable: tf.Variable[],
): { value: tf.Scalar; grads: tf.NamedTensorMap } {
  return tf.variableGrads(
    () =>
      tf.mean(
        perSampleLoss('categoricalCrossentropy', model.apply(x, { training: true }) as tf.Tensor, y),
      ) as tf.Scalar,
    trainable,
  );
}

/** Milliseconds per training step in each phase (means over the timed steps). */
export interface StepSplit {
  data: number;
  forward: number;
  backward: number;
  optimizer: number;
  total: number;
}

/**
 * Where a training step's time goes, for the model `spec` on samples of `shape` (10 classes, Adam): the
 * same step the trainer runs (src/train.ts: batch tensors, model.apply + loss under variableGrads,
 * optimizer.applyGradients), each phase timed on its own. The backends run synchronously in Node, so a
 * phase's wall time is its work. `forward` is a separate forward pass of the same batch; `backward` is the
 * variableGrads call (forward + backward) less it.
 */
export async function stepSplit(
  spec: object,
  shape: number[],
  batch: number,
  steps = 30,
): Promise<StepSplit> {
  const n = batch * 8;
  const data = synthetic(n, shape);
  const width = shape.reduce((a, b) => a * b, 1);
  const { model } = await buildModel(spec, { problem: 'classification', numClasses: 10, seed: 1 });
  const optimizer = createOptimizer('adam', 0.001);
  const trainable = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const sum: StepSplit = { data: 0, forward: 0, backward: 0, optimizer: 0, total: 0 };
  const warmup = 5;
  for (let step = 0; step < warmup + steps; step++) {
    const s = (step * batch) % n;
    tf.tidy(() => {
      const t0 = performance.now();
      const x = tf.tensor(data.features.subarray(s * width, (s + batch) * width), [batch, ...shape]);
      const labels = data.labels.kind === 'categorical' ? data.labels.indices.subarray(s, s + batch) : [];
      const y = tf.oneHot(tf.tensor1d(Int32Array.from(labels), 'int32'), 10);
      const t1 = performance.now();
      tf.tidy(() =>
        perSampleLoss('categoricalCrossentropy', model.apply(x, { training: true }) as tf.Tensor, y),
      );
      const t2 = performance.now();
      const { value, grads } = lossAndGradients(model, x, y, trainable);
      value.dataSync();
      const t3 = performance.now();
      optimizer.applyGradients(grads);
      const t4 = performance.now();
      if (step >= warmup) {
        sum.data += t1 - t0;
        sum.forward += t2 - t1;
        sum.backward += t3 - t2 - (t2 - t1);
        sum.optimizer += t4 - t3;
        sum.total += t4 - t0 - (t2 - t1);
      }
    });
  }
  optimizer.dispose();
  model.dispose();
  const mean = (v: number) => v / steps;
  return {
    data: mean(sum.data),
    forward: mean(sum.forward),
    backward: mean(sum.backward),
    optimizer: mean(sum.optimizer),
    total: mean(sum.total),
  };
}

export function formatSplit(s: StepSplit): string {
  const pct = (v: number) => `${((100 * v) / s.total).toFixed(0)}%`;
  return (
    `${s.total.toFixed(2)} ms/step: forward ${s.forward.toFixed(2)} (${pct(s.forward)}), backward ` +
    `${s.backward.toFixed(2)} (${pct(s.backward)}), optimizer ${s.optimizer.toFixed(2)} (${pct(s.optimizer)}), ` +
    `data ${s.data.toFixed(2)} (${pct(s.data)})`
  );
}
