import * as tf from '@tensorflow/tfjs';
import type { OptimizerName } from './names.ts';
import {
  FusedAdamOptimizer,
  FusedMomentumOptimizer,
  FusedRMSPropOptimizer,
  FusedSGDOptimizer,
} from './wasm-kernels/fused-optimizers.ts';

export { normalizeName, parseOptimizerName, DEFAULT_LEARNING_RATE, type OptimizerName } from './names.ts';

/**
 * The optimizer for a run. Adam, SGD (with momentum) and RMSprop are TensorFlow.js's own with, on wasm with
 * the native addon, every variable updated in one fused call (bit-identical results; see
 * wasm-kernels/fused-optimizers.ts); the rest are stock.
 */
export function createOptimizer(name: OptimizerName, learningRate: number, momentum = 0): tf.Optimizer {
  switch (name) {
    case 'adam':
      return new FusedAdamOptimizer(learningRate, 0.9, 0.999);
    case 'sgd':
      return momentum > 0
        ? new FusedMomentumOptimizer(learningRate, momentum)
        : new FusedSGDOptimizer(learningRate);
    case 'rmsprop':
      return new FusedRMSPropOptimizer(learningRate, 0.9, momentum, 1e-7);
    case 'adagrad':
      return tf.train.adagrad(learningRate);
    case 'adadelta':
      return tf.train.adadelta(learningRate, 0.95, 1e-7);
    case 'adamax':
      return tf.train.adamax(learningRate);
  }
}

type Slot = { variable: tf.Variable } | null | undefined;

/**
 * Every piece of an optimizer's state as named variables (tfjs optimizers keep slots in arrays of
 * {originalName, variable} and scalars such as accBeta1 / iteration). getWeights() is not enough: Adam
 * recomputes accBeta from the step count on setWeights (not bit-identical) and Adamax does not implement it.
 */
export function optimizerState(optimizer: tf.Optimizer): Map<string, tf.Variable> {
  const out = new Map<string, tf.Variable>();
  for (const [key, value] of Object.entries(optimizer as unknown as Record<string, unknown>)) {
    if (value instanceof tf.Variable) out.set(key, value);
    else if (Array.isArray(value)) {
      value.forEach((slot: Slot, i) => {
        if (slot && slot.variable instanceof tf.Variable) out.set(`${key}.${i}`, slot.variable);
      });
    }
  }
  return out;
}

/** Create every lazily made optimizer slot by applying zero gradients once (state is overwritten after). */
export function materializeOptimizer(optimizer: tf.Optimizer, variables: tf.Variable[]): void {
  const grads: tf.NamedTensorMap = {};
  for (const v of variables) grads[v.name] = tf.zerosLike(v);
  optimizer.applyGradients(grads);
  tf.dispose(Object.values(grads));
}
