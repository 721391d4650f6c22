import { MlInputError } from './errors.ts';
import type { ProblemType } from './spec.ts';

// The names users type for optimizers, losses and metrics, and which of them fit which problem type. No
// TensorFlow.js here: the web process checks a training request with these before anything is written.

/** 'Adam', 'ADAM', 'RMSProp', 'rms_prop', 'SGD' ... -> canonical name (as MLW and Keras users type them). */
export function normalizeName(name: string): string {
  return name.toLowerCase().replace(/[\s_-]/g, '');
}

export type OptimizerName = 'adam' | 'sgd' | 'rmsprop' | 'adagrad' | 'adadelta' | 'adamax';

/** Canonical optimizer name; `MlInputError('INVALID_HYPERPARAMETERS')` naming the valid ones otherwise. */
export function parseOptimizerName(name: string): OptimizerName {
  const map: Record<string, OptimizerName> = {
    adam: 'adam',
    sgd: 'sgd',
    gradientdescent: 'sgd',
    rmsprop: 'rmsprop',
    adagrad: 'adagrad',
    adadelta: 'adadelta',
    adamax: 'adamax',
  };
  const v = map[normalizeName(name)];
  if (!v) {
    throw new MlInputError(
      'INVALID_HYPERPARAMETERS',
      `Unknown optimizer "${name}" (use adam, sgd, rmsprop, adagrad, adadelta or adamax)`,
      { field: 'optimizer' },
    );
  }
  return v;
}

export const DEFAULT_LEARNING_RATE: Record<OptimizerName, number> = {
  adam: 0.001,
  sgd: 0.01,
  rmsprop: 0.001,
  adagrad: 0.01,
  adadelta: 1.0,
  adamax: 0.002,
};

export type LossName =
  | 'categoricalCrossentropy'
  | 'sparseCategoricalCrossentropy'
  | 'binaryCrossentropy'
  | 'meanSquaredError'
  | 'meanAbsoluteError'
  | 'huber';

/** Canonical loss name (Keras spellings accepted); `MlInputError('INVALID_HYPERPARAMETERS')` otherwise. */
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
      { field: 'loss' },
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

/** Refuses a loss that does not fit the problem type (e.g. mse for multi-class classification). */
export function checkLoss(loss: LossName, problem: ProblemType): void {
  const ok =
    problem === 'classification'
      ? loss === 'categoricalCrossentropy' || loss === 'sparseCategoricalCrossentropy'
      : problem === 'binary'
        ? loss === 'binaryCrossentropy' || loss === 'meanSquaredError'
        : loss === 'meanSquaredError' || loss === 'meanAbsoluteError' || loss === 'huber';
  if (!ok)
    throw new MlInputError('INVALID_HYPERPARAMETERS', `Loss ${loss} does not fit a ${problem} problem`, {
      field: 'loss',
    });
}

export type MetricName = 'accuracy' | 'precision' | 'recall' | 'f1' | 'mse' | 'mae' | 'r2';

/** Canonical metric name; `MlInputError('INVALID_HYPERPARAMETERS')` naming the valid ones otherwise. */
export function parseMetricName(name: string): MetricName {
  const map: Record<string, MetricName> = {
    accuracy: 'accuracy',
    acc: 'accuracy',
    precision: 'precision',
    recall: 'recall',
    f1: 'f1',
    f1score: 'f1',
    mse: 'mse',
    meansquarederror: 'mse',
    mae: 'mae',
    meanabsoluteerror: 'mae',
    r2: 'r2',
    r2score: 'r2',
  };
  const v = map[normalizeName(name)];
  if (!v)
    throw new MlInputError(
      'INVALID_HYPERPARAMETERS',
      `Unknown metric "${name}" (use accuracy, precision, recall, f1, mse, mae or r2)`,
      { field: 'metrics' },
    );
  return v;
}

const CLASSIFICATION_METRICS: readonly MetricName[] = ['accuracy', 'precision', 'recall', 'f1'];

/** Refuses metrics the problem type does not compute (accuracy for regression, r2 for classification). */
export function checkMetrics(metrics: readonly MetricName[], problem: ProblemType): void {
  for (const m of metrics) {
    const forClasses = CLASSIFICATION_METRICS.includes(m);
    if (forClasses !== (problem !== 'regression')) {
      throw new MlInputError(
        'INVALID_HYPERPARAMETERS',
        `Metric ${m} does not fit a ${problem} problem (use ${problem === 'regression' ? 'mse, mae or r2' : 'accuracy, precision, recall or f1'})`,
        { field: 'metrics' },
      );
    }
  }
}
