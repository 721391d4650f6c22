import { MlInputError } from '../errors.ts';

/**
 * A parsed data set, held compactly: features as one row-major Float32Array (numSamples x prod(sampleShape)),
 * labels as class indices (Int32Array) or numeric targets (Float32Array). No arrays of objects.
 */
export interface Dataset {
  numSamples: number;
  /** Per-sample feature shape, e.g. [784] for tables or [28, 28, 1] for images. */
  sampleShape: number[];
  /** Names of the flat feature columns (tables); generated (`f0`, `f1`, ...) for tensors. */
  featureNames: string[];
  features: Float32Array;
  labels: CategoricalLabels | NumericLabels;
  /** Things the parser changed and the run log should say (renamed duplicate columns, dropped rows). */
  warnings?: string[];
}

export interface CategoricalLabels {
  kind: 'categorical';
  /** The label column. */
  column: string;
  /** Class names as they appear in the data, in first-seen order; indices point into this list. */
  classNames: string[];
  indices: Int32Array;
}

export interface NumericLabels {
  kind: 'numeric';
  columns: string[];
  /** numSamples x columns.length, row-major. */
  values: Float32Array;
}

export function sampleSize(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/**
 * Rows per batch when predicting or evaluating samples of `sampleShape`: up to 1,024, at most ~4M input
 * values (16 MB of float32) per batch. tfjs's predict defaults to 32 rows, a kernel launch chain per 32.
 */
export function inferenceBatchSize(sampleShape: readonly number[]): number {
  return Math.max(1, Math.min(1024, Math.floor(4_000_000 / sampleSize(sampleShape))));
}

/**
 * Appends `b` to `a` (e.g. a separate test file after the training file): same sample shape and feature
 * columns, same kind of labels. Class names are merged; `b`'s class indices are remapped to the merged list.
 */
export function concatDatasets(a: Dataset, b: Dataset): Dataset {
  if (sampleSize(a.sampleShape) !== sampleSize(b.sampleShape) || a.featureNames.join('\u0000') !== b.featureNames.join('\u0000')) {
    throw new MlInputError(
      'SHAPE_MISMATCH',
      `The test data has features [${b.featureNames.slice(0, 8).join(', ')}${b.featureNames.length > 8 ? ', ...' : ''}] ` +
        `but the training data has [${a.featureNames.slice(0, 8).join(', ')}${a.featureNames.length > 8 ? ', ...' : ''}]`,
      { expected: a.sampleShape, actual: b.sampleShape },
    );
  }
  const features = new Float32Array(a.features.length + b.features.length);
  features.set(a.features);
  features.set(b.features, a.features.length);
  const numSamples = a.numSamples + b.numSamples;
  if (a.labels.kind === 'categorical' && b.labels.kind === 'categorical') {
    const classNames = [...a.labels.classNames];
    const remap = b.labels.classNames.map((name) => {
      const i = classNames.indexOf(name);
      if (i >= 0) return i;
      classNames.push(name);
      return classNames.length - 1;
    });
    const indices = new Int32Array(numSamples);
    indices.set(a.labels.indices);
    for (let i = 0; i < b.numSamples; i++) indices[a.numSamples + i] = remap[b.labels.indices[i]!]!;
    return { ...a, numSamples, features, labels: { ...a.labels, classNames, indices } };
  }
  if (a.labels.kind === 'numeric' && b.labels.kind === 'numeric' && a.labels.columns.join() === b.labels.columns.join()) {
    const values = new Float32Array(a.labels.values.length + b.labels.values.length);
    values.set(a.labels.values);
    values.set(b.labels.values, a.labels.values.length);
    return { ...a, numSamples, features, labels: { ...a.labels, values } };
  }
  throw new MlInputError('INVALID_DATA', 'The test data has other label columns than the training data');
}
