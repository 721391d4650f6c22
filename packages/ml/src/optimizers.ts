import * as tf from '@tensorflow/tfjs';
import type { OptimizerName } from './names.ts';

export { normalizeName, parseOptimizerName, DEFAULT_LEARNING_RATE, type OptimizerName } from './names.ts';

export function createOptimizer(name: OptimizerName, learningRate: number, momentum = 0): tf.Optimizer {
  switch (name) {
    case 'adam':
      return tf.train.adam(learningRate);
    case 'sgd':
      return momentum > 0 ? tf.train.momentum(learningRate, momentum) : tf.train.sgd(learningRate);
    case 'rmsprop':
      return tf.train.rmsprop(learningRate, 0.9, momentum, 1e-7);
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
