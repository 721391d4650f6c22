import * as tf from '@tensorflow/tfjs';
import { MlInputError } from './errors.ts';
import { normalizeName } from './optimizers.ts';
import type { ProblemType } from './spec.ts';

export type LossName =
  | 'categoricalCrossentropy'
  | 'sparseCategoricalCrossentropy'
  | 'binaryCrossentropy'
  | 'meanSquaredError'
  | 'meanAbsoluteError'
  | 'huber';

export function parseLossName(name: string): LossName {
  const map: Record<string, LossName> = {
    categoricalcrossentropy: 'categoricalCrossentropy',
    sparsecategoricalcrossentropy: 'sparseCategoricalCrossentropy',
    binarycrossentropy: 'binaryCrossentropy',
    mse: 'meanSquaredError',
    meansquarederror: 'meanSquaredError',
    mae: 'meanAbsoluteError',
    meanabsoluteerror: 'meanAbsoluteError',
    huber: 'huber',
    huberloss: 'huber',
  };
  const v = map[normalizeName(name)];
  if (!v) {
    throw new MlInputError(
      'INVALID_HYPERPARAMETERS',
      `Unknown loss "${name}" (use categorical_crossentropy, sparse_categorical_crossentropy, binary_crossentropy, mse, mae or huber)`,
    );
  }
  return v;
}

export function defaultLoss(problem: ProblemType): LossName {
  return problem === 'classification'
    ? 'categoricalCrossentropy'
    : problem === 'binary'
      ? 'binaryCrossentropy'
      : 'meanSquaredError';
}

export function checkLoss(loss: LossName, problem: ProblemType): void {
  const ok =
    problem === 'classification'
      ? loss === 'categoricalCrossentropy' || loss === 'sparseCategoricalCrossentropy'
      : problem === 'binary'
        ? loss === 'binaryCrossentropy' || loss === 'meanSquaredError'
        : loss === 'meanSquaredError' || loss === 'meanAbsoluteError' || loss === 'huber';
  if (!ok)
    throw new MlInputError('INVALID_HYPERPARAMETERS', `Loss ${loss} does not fit a ${problem} problem`);
}

const EPS = 1e-7;

/**
 * Per-sample loss [batch]. `target`: one-hot [batch, classes] (categorical; sparse labels are one-hot
 * encoded by the trainer), [batch, 1] 0/1 (binary) or [batch, targets] (regression).
 */
export function perSampleLoss(loss: LossName, output: tf.Tensor, target: tf.Tensor): tf.Tensor1D {
  return tf.tidy(() => {
    switch (loss) {
      case 'categoricalCrossentropy':
      case 'sparseCategoricalCrossentropy': {
        const p = tf.clipByValue(output, EPS, 1 - EPS);
        return tf.neg(tf.sum(tf.mul(target, tf.log(p)), -1)) as tf.Tensor1D;
      }
      case 'binaryCrossentropy': {
        const p = tf.clipByValue(output, EPS, 1 - EPS);
        const l = tf.add(tf.mul(target, tf.log(p)), tf.mul(tf.sub(1, target), tf.log(tf.sub(1, p))));
        return tf.neg(tf.mean(l, -1)) as tf.Tensor1D;
      }
      case 'meanSquaredError':
        return tf.mean(tf.square(tf.sub(output, target)), -1) as tf.Tensor1D;
      case 'meanAbsoluteError':
        return tf.mean(tf.abs(tf.sub(output, target)), -1) as tf.Tensor1D;
      case 'huber': {
        const err = tf.abs(tf.sub(output, target));
        const quad = tf.minimum(err, 1);
        const lin = tf.sub(err, quad);
        return tf.mean(tf.add(tf.mul(0.5, tf.square(quad)), lin), -1) as tf.Tensor1D;
      }
    }
  });
}
