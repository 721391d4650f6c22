export { parseMetricName, checkMetrics, type MetricName } from './names.ts';

export interface ClassReport {
  className: string;
  precision: number;
  recall: number;
  f1: number;
  support: number;
}

export interface ClassificationReport {
  accuracy: number;
  /** matrix[true][predicted] */
  confusionMatrix: number[][];
  perClass: ClassReport[];
  /** Macro averages. */
  precision: number;
  recall: number;
  f1: number;
}

export interface RegressionReport {
  mse: number;
  mae: number;
  r2: number;
}

export function confusionMatrix(
  numClasses: number,
  truth: ArrayLike<number>,
  predicted: ArrayLike<number>,
): number[][] {
  const m = Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
  for (let i = 0; i < truth.length; i++) m[truth[i]!]![predicted[i]!]!++;
  return m;
}

export function classificationReport(matrix: number[][], classNames: string[]): ClassificationReport {
  const k = matrix.length;
  let correct = 0;
  let total = 0;
  const perClass: ClassReport[] = [];
  for (let c = 0; c < k; c++) {
    const row = matrix[c]!;
    const tp = row[c]!;
    const support = row.reduce((a, b) => a + b, 0);
    let predicted = 0;
    for (let r = 0; r < k; r++) predicted += matrix[r]![c]!;
    correct += tp;
    total += support;
    const precision = predicted ? tp / predicted : 0;
    const recall = support ? tp / support : 0;
    const f1 = precision + recall ? (2 * precision * recall) / (precision + recall) : 0;
    perClass.push({ className: classNames[c] ?? String(c), precision, recall, f1, support });
  }
  const avg = (key: 'precision' | 'recall' | 'f1') => perClass.reduce((a, r) => a + r[key], 0) / (k || 1);
  return {
    accuracy: total ? correct / total : 0,
    confusionMatrix: matrix,
    perClass,
    precision: avg('precision'),
    recall: avg('recall'),
    f1: avg('f1'),
  };
}

/** Regression metrics over row-major [n, width] arrays (averaged over targets). */
export function regressionReport(
  truth: ArrayLike<number>,
  predicted: ArrayLike<number>,
  width: number,
): RegressionReport {
  const n = truth.length / width;
  let se = 0;
  let ae = 0;
  let r2 = 0;
  for (let j = 0; j < width; j++) {
    let mean = 0;
    for (let i = 0; i < n; i++) mean += truth[i * width + j]!;
    mean /= n || 1;
    let ssRes = 0;
    let ssTot = 0;
    for (let i = 0; i < n; i++) {
      const t = truth[i * width + j]!;
      const d = predicted[i * width + j]! - t;
      ssRes += d * d;
      ssTot += (t - mean) * (t - mean);
      ae += Math.abs(d);
    }
    se += ssRes;
    r2 += ssTot > 0 ? 1 - ssRes / ssTot : 0;
  }
  const count = truth.length || 1;
  return { mse: se / count, mae: ae / count, r2: r2 / width };
}
