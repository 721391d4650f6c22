import { MlInputError } from './errors.ts';
import type { ModelMetadata, TrainedModel } from './artifacts.ts';
import { classificationReport, type ClassificationReport, type RegressionReport } from './metrics.ts';
import type { ProblemType } from './spec.ts';

// Prediction and model-testing helpers on top of TrainedModel (loadTrainedModel): raw rows checked against the
// model's metadata with errors that name the row and the feature, outputs turned into labels and per-class
// probabilities, and test metrics accumulated chunk by chunk (so a test set of any size streams through).

/** What a model takes and answers, read from its metadata.json. */
export interface ModelSignature {
  problem: ProblemType;
  /** Feature names of a raw row, in column order (rows given as arrays follow this order). */
  features: string[];
  /** The features the model uses (the others may be left out of rows given by name). */
  usedFeatures: string[];
  /** Class names in output order (classification), else []. */
  classNames: string[];
  /** Target column names (regression), else []. */
  targetColumns: string[];
}

export function modelSignature(metadata: ModelMetadata): ModelSignature {
  const p = metadata.preprocessing;
  const features = p.inputFeatureNames;
  return {
    problem: metadata.problem,
    features,
    usedFeatures: p.selected.length ? p.selected.map((i) => features[i]!) : features,
    classNames: metadata.problem === 'regression' ? [] : metadata.classNames,
    targetColumns: metadata.problem === 'regression' ? metadata.targetColumns : [],
  };
}

/** One raw row: values by feature name, or in column order. A value is a number or a numeric string. */
export type RawRow = readonly (number | string | null)[] | Readonly<Record<string, number | string | null>>;

function toNumber(value: unknown, row: number, feature: string): number {
  // Number() skips surrounding whitespace itself (no trimmed copy per cell); it reads a blank string as 0, so
  // only a zero is checked for being blank.
  const v = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : NaN;
  if (Number.isFinite(v) && (v !== 0 || typeof value !== 'string' || value.trim() !== '')) return v;
  if (value === undefined || value === null || (typeof value === 'string' && value.trim() === ''))
    throw new MlInputError('MISSING_COLUMN', `Row ${row}: feature "${feature}" is missing`, {
      row,
      column: feature,
    });
  const shown = typeof value === 'string' ? `"${value.slice(0, 40)}"` : JSON.stringify(value)?.slice(0, 40);
  throw new MlInputError('NON_NUMERIC', `Row ${row}: feature "${feature}" is ${shown}, not a finite number`, {
    row,
    column: feature,
  });
}

/**
 * Checks raw rows against the model's features and packs them into one row-major Float32Array of
 * `rows.length x features.length` (raw values: the model's preprocessing is applied by predict).
 * Rows are numbered from `firstRow` in messages (1 by default). Throws MlInputError (RAGGED_ROW, MISSING_COLUMN,
 * NON_NUMERIC) naming the row and the feature: a row of the wrong width, a feature missing or not a number.
 * Extra names in a row given by name are ignored.
 */
export function rowsToMatrix(signature: ModelSignature, rows: readonly RawRow[], firstRow = 1): Float32Array {
  const { features } = signature;
  const width = features.length;
  const used = new Set(signature.usedFeatures);
  const out = new Float32Array(rows.length * width);
  rows.forEach((row, r) => {
    const n = firstRow + r;
    if (Array.isArray(row)) {
      if (row.length !== width) {
        throw new MlInputError(
          'RAGGED_ROW',
          `Row ${n} has ${row.length} values; the model takes ${width} (${features.slice(0, 20).join(', ')}${width > 20 ? ', ...' : ''})`,
          { row: n },
        );
      }
      for (let c = 0; c < width; c++) out[r * width + c] = toNumber(row[c], n, features[c]!);
    } else if (typeof row === 'object' && row !== null) {
      const obj = row as Record<string, unknown>;
      for (let c = 0; c < width; c++) {
        const name = features[c]!;
        if (!used.has(name) && (obj[name] === undefined || obj[name] === null)) continue;
        out[r * width + c] = toNumber(obj[name], n, name);
      }
    } else {
      throw new MlInputError(
        'INVALID_DATA',
        `Row ${n} is neither a list of values nor an object of features`,
        {
          row: n,
        },
      );
    }
  });
  return out;
}

/** One answer: the label and every class's probability (classification), or the values (regression). */
export type RowPrediction =
  | { label: string; index: number; probabilities: Record<string, number> }
  | { values: Record<string, number> };

/** Per-row class probabilities [n x classes] (binary sigmoid outputs become [1 - p, p]). */
export function outputsToProbabilities(
  problem: ProblemType,
  outputs: Float32Array,
  units: number,
): Float32Array {
  if (problem !== 'binary' || units !== 1) return outputs;
  const probs = new Float32Array(outputs.length * 2);
  for (let i = 0; i < outputs.length; i++) {
    probs[2 * i] = 1 - outputs[i]!;
    probs[2 * i + 1] = outputs[i]!;
  }
  return probs;
}

/** Index of the largest value in each row of a row-major [n x width] array. */
export function argmaxRows(values: Float32Array, width: number): Int32Array {
  const n = values.length / width;
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let j = 1; j < width; j++) if (values[i * width + j]! > values[i * width + best]!) best = j;
    out[i] = best;
  }
  return out;
}

/**
 * Model outputs for a raw matrix (from rowsToMatrix): classification gives probabilities [n x classes] and the
 * predicted class per row; regression the values [n x targets].
 */
export function predictMatrix(
  model: TrainedModel,
  raw: Float32Array,
): { problem: ProblemType; width: number; values: Float32Array; predicted: Int32Array | null } {
  const { problem } = model.metadata;
  if (raw.length === 0) return { problem, width: 1, values: new Float32Array(0), predicted: null };
  const { outputs, units } = model.predictRaw(raw);
  if (problem === 'regression') return { problem, width: units, values: outputs, predicted: null };
  const values = outputsToProbabilities(problem, outputs, units);
  const width = problem === 'binary' && units === 1 ? 2 : units;
  return { problem, width, values, predicted: argmaxRows(values, width) };
}

/** Predictions for raw rows (see rowsToMatrix for the checks and errors). */
export function predictRows(model: TrainedModel, rows: readonly RawRow[]): RowPrediction[] {
  const signature = modelSignature(model.metadata);
  const { width, values, predicted } = predictMatrix(model, rowsToMatrix(signature, rows));
  const out: RowPrediction[] = [];
  for (let i = 0; i < rows.length; i++) {
    const row = values.subarray(i * width, (i + 1) * width);
    if (predicted) {
      const names = signature.classNames;
      out.push({
        label: names[predicted[i]!] ?? String(predicted[i]),
        index: predicted[i]!,
        probabilities: Object.fromEntries(names.map((c, j) => [c, row[j]!])),
      });
    } else {
      const names =
        signature.targetColumns.length === width
          ? signature.targetColumns
          : [...row].map((_, j) => `value_${j}`);
      out.push({ values: Object.fromEntries(names.map((c, j) => [c, row[j]!])) });
    }
  }
  return out;
}

/** Test metrics of a model on a labelled data set. Loss: cross-entropy (classification) or MSE (regression). */
export type ModelTestReport =
  | ({
      problem: 'classification' | 'binary';
      samples: number;
      loss: number;
      classNames: string[];
    } & ClassificationReport)
  | ({ problem: 'regression'; samples: number; loss: number; targetColumns: string[] } & RegressionReport);

/**
 * Accumulates test metrics over chunks of (model outputs, truth): confusion matrix, cross-entropy, or squared
 * and absolute errors with the sums R² needs, so the whole test set is never held at once.
 */
export class ModelTestAccumulator {
  private samples = 0;
  private lossSum = 0;
  private readonly matrix: number[][];
  private readonly se: Float64Array;
  private readonly ae: Float64Array;
  private readonly sumT: Float64Array;
  private readonly sumT2: Float64Array;

  constructor(private readonly signature: ModelSignature) {
    const k = signature.classNames.length;
    this.matrix = Array.from({ length: k }, () => new Array<number>(k).fill(0));
    const t = Math.max(1, signature.targetColumns.length);
    this.se = new Float64Array(t);
    this.ae = new Float64Array(t);
    this.sumT = new Float64Array(t);
    this.sumT2 = new Float64Array(t);
  }

  /** A chunk of classification results: probabilities [n x classes] and the true class index per row. */
  addClassification(probabilities: Float32Array, predicted: Int32Array, truth: ArrayLike<number>): void {
    const k = this.signature.classNames.length;
    for (let i = 0; i < truth.length; i++) {
      const t = truth[i]!;
      this.matrix[t]![predicted[i]!]!++;
      this.lossSum += -Math.log(Math.max(probabilities[i * k + t]!, 1e-7));
    }
    this.samples += truth.length;
  }

  /** A chunk of regression results: predicted and true values, both [n x targets]. */
  addRegression(predicted: Float32Array, truth: ArrayLike<number>): void {
    const w = this.se.length;
    const n = truth.length / w;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < w; j++) {
        const t = truth[i * w + j]!;
        const d = predicted[i * w + j]! - t;
        this.se[j] = this.se[j]! + d * d;
        this.ae[j] = this.ae[j]! + Math.abs(d);
        this.sumT[j] = this.sumT[j]! + t;
        this.sumT2[j] = this.sumT2[j]! + t * t;
      }
    }
    this.samples += n;
  }

  report(): ModelTestReport {
    const n = this.samples;
    if (this.signature.problem === 'regression') {
      const w = this.se.length;
      let se = 0;
      let ae = 0;
      let r2 = 0;
      for (let j = 0; j < w; j++) {
        se += this.se[j]!;
        ae += this.ae[j]!;
        const ssTot = this.sumT2[j]! - (this.sumT[j]! * this.sumT[j]!) / (n || 1);
        r2 += ssTot > 1e-12 ? 1 - this.se[j]! / ssTot : 0;
      }
      const mse = se / (n * w || 1);
      return {
        problem: 'regression',
        samples: n,
        loss: mse,
        mse,
        mae: ae / (n * w || 1),
        r2: r2 / w,
        targetColumns: this.signature.targetColumns,
      };
    }
    return {
      problem: this.signature.problem as 'classification' | 'binary',
      samples: n,
      loss: n ? this.lossSum / n : 0,
      classNames: this.signature.classNames,
      ...classificationReport(this.matrix, this.signature.classNames),
    };
  }
}
