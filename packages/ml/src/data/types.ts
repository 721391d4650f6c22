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
