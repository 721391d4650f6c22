import { z } from 'zod';
import { MlInputError } from './errors.ts';
import { Rng } from './random.ts';
import { sampleSize, type Dataset } from './data/types.ts';
import type { ProblemType } from './spec.ts';

const scalingMethod = z.enum(['none', 'standardize', 'minmax']);

/**
 * Declarative preprocessing (the MLW "code" resource and the session API's preprocess step).
 * Example: `{ "columns": { "exclude": ["id"] }, "scaling": "standardize", "testSize": 0.2, "classWeights": "auto" }`
 */
export const preprocessingSchema = z
  .object({
    version: z.literal(1).default(1),
    /** Column selection by feature name (tables). */
    columns: z
      .object({ include: z.array(z.string()).optional(), exclude: z.array(z.string()).optional() })
      .optional(),
    /** Scaling: one method for all columns, or per column; `per: 'global'` uses one mean/std for all values. */
    scaling: z
      .union([
        scalingMethod,
        z.object({
          method: scalingMethod.default('none'),
          per: z.enum(['column', 'global']).default('column'),
          columns: z.record(z.string(), scalingMethod).optional(),
        }),
      ])
      .default('none'),
    /** Label encoding: a fixed class order, else class names sorted (numbers numerically). */
    labels: z.object({ classes: z.array(z.string()).min(1).optional() }).optional(),
    shuffle: z.boolean().default(true),
    /** Fraction of samples in the test split. */
    testSize: z.number().min(0).max(0.9).optional(),
    /** Fraction of samples in the training split (the other side of testSize; give one of them). */
    trainTestSplit: z.number().min(0.1).max(1).optional(),
    /** Stratify the split by class (classification). */
    stratify: z.boolean().default(true),
    /** 'auto' = balanced weights n / (classes * n_class) from the training split. */
    classWeights: z
      .union([z.enum(['auto', 'none']), z.record(z.string(), z.number().positive())])
      .default('none'),
    /**
     * Missing cells (empty, NaN, NA, null, n/a): 'fail' refuses the data listing them; 'drop' leaves those rows
     * out; 'mean' / 'median' fill a feature cell with its column's mean / median over the training rows.
     */
    missing: z.enum(['fail', 'drop', 'mean', 'median']).default('fail'),
    /** The target (label) column(s) of a CSV; default: the last column. */
    target: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).optional(),
    /** The feature columns of a CSV; default: every column that is not a target. */
    features: z.array(z.string().min(1)).min(1).optional(),
    /** CSV field separator; default: detected from the header line. */
    separator: z.enum([',', ';', '\t']).optional(),
    /** Decimal separator; default: a comma is read as one in ';'-separated files. */
    decimal: z.enum(['.', ',']).optional(),
    /** Duplicate column names: renamed with a warning (default) or refused. */
    duplicateColumns: z.enum(['rename', 'fail']).default('rename'),
  })
  .strict();
export type PreprocessingSpec = z.infer<typeof preprocessingSchema>;
export type PreprocessingSpecInput = z.input<typeof preprocessingSchema>;

export function parsePreprocessing(input: unknown): PreprocessingSpec {
  const result = preprocessingSchema.safeParse(input ?? {});
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw new MlInputError(
      'INVALID_PREPROCESSING',
      `Invalid preprocessing at ${issue.path.join('.') || '(root)'}: ${issue.message}`,
    );
  }
  const spec = result.data;
  if (
    spec.testSize !== undefined &&
    spec.trainTestSplit !== undefined &&
    Math.abs(spec.testSize + spec.trainTestSplit - 1) > 1e-9
  ) {
    throw new MlInputError(
      'INVALID_PREPROCESSING',
      'testSize and trainTestSplit disagree (they must add up to 1)',
    );
  }
  return spec;
}

/** Fitted parameters, saved with the model so predictions on raw rows get the same treatment. */
export interface PreprocessingParams {
  /** Feature names the raw input rows have (in order). */
  inputFeatureNames: string[];
  /** Indices into the raw row of the columns the model uses. */
  selected: number[];
  sampleShape: number[];
  /** x' = x * scale + offset, per selected value (length = values per sample), or null. */
  scale: number[] | null;
  offset: number[] | null;
  labelKind: 'categorical' | 'numeric';
  classNames: string[];
  targetColumns: string[];
}

export interface PreparedData {
  problem: ProblemType;
  numSamples: number;
  sampleShape: number[];
  /** Preprocessed features, row-major. */
  features: Float32Array;
  /** Class index per sample (classification/binary) or null. */
  classes: Int32Array | null;
  /** Targets per sample (regression) or null. */
  targets: Float32Array | null;
  numClasses: number;
  numTargets: number;
  trainIndices: Int32Array;
  testIndices: Int32Array;
  /** Per-class loss weights, or null. */
  classWeights: Float32Array | null;
  params: PreprocessingParams;
  /** What preprocessing changed that the run log should say (filled missing cells). */
  warnings: string[];
}

function naturalCompare(a: string, b: string): number {
  const na = Number(a);
  const nb = Number(b);
  if (a.trim() !== '' && b.trim() !== '' && Number.isFinite(na) && Number.isFinite(nb)) return na - nb;
  return a < b ? -1 : a > b ? 1 : 0;
}

interface PreprocessOptions {
  seed: number;
  problem?: ProblemType;
  expectedSampleShape?: number[];
  /** Samples from this index on are the test split as given (a separate test file); no random split. */
  fixedTestFrom?: number;
}

/**
 * The problem type the data can train: the buffer must hold numSamples x sample size values, regression
 * needs numeric targets and classification class labels. Throws MlInputError otherwise.
 */
function checkDataset(dataset: Dataset, problemOption: ProblemType | undefined): ProblemType {
  const n = dataset.numSamples;
  if (n === 0) throw new MlInputError('EMPTY_DATA', 'The data set has no samples');
  const width = sampleSize(dataset.sampleShape);
  if (dataset.features.length !== n * width) {
    throw new MlInputError(
      'SHAPE_MISMATCH',
      `Feature buffer has ${dataset.features.length} values, expected ${n} x ${width}`,
    );
  }
  const problem: ProblemType =
    problemOption ?? (dataset.labels.kind === 'numeric' ? 'regression' : 'classification');
  if (problem === 'regression' && dataset.labels.kind !== 'numeric') {
    throw new MlInputError(
      'INVALID_DATA',
      'Regression needs numeric targets (parse the data with labelKind "numeric")',
    );
  }
  if (problem !== 'regression' && dataset.labels.kind !== 'categorical') {
    throw new MlInputError(
      'INVALID_DATA',
      'Classification needs class labels, but the data has numeric targets',
    );
  }
  return problem;
}

/**
 * Indices of the feature columns `include` (else all) keeps and `exclude` drops, by name. Throws MlInputError
 * MISSING_COLUMN for a name the data lacks and INVALID_PREPROCESSING when nothing is left; `details` go into
 * both errors (the training check adds the request field).
 */
export function selectedColumns(
  featureNames: string[],
  columns: { include?: string[]; exclude?: string[] },
  details: Record<string, unknown> = {},
): number[] {
  const index = (name: string) => {
    const i = featureNames.indexOf(name);
    if (i < 0)
      throw new MlInputError(
        'MISSING_COLUMN',
        `Preprocessing names column "${name}", which the data does not have`,
        { column: name, ...details },
      );
    return i;
  };
  let selected = columns.include ? columns.include.map(index) : featureNames.map((_, i) => i);
  if (columns.exclude) {
    const drop = new Set(columns.exclude.map(index));
    selected = selected.filter((i) => !drop.has(i));
  }
  if (selected.length === 0)
    throw new MlInputError('INVALID_PREPROCESSING', 'Column selection leaves no features', details);
  return selected;
}

/** Indices of the feature columns the spec's include/exclude keep (tables only; MlInputError otherwise). */
function selectColumns(dataset: Dataset, spec: PreprocessingSpec): number[] {
  if (!spec.columns?.include && !spec.columns?.exclude) return dataset.featureNames.map((_, i) => i);
  if (dataset.sampleShape.length !== 1) {
    throw new MlInputError('INVALID_PREPROCESSING', 'Column selection applies to tabular data only');
  }
  return selectedColumns(dataset.featureNames, spec.columns);
}

/** The selected features: the dataset's own buffer when every column is kept in order, else a copy. */
interface SelectedFeatures {
  features: Float32Array;
  sampleShape: number[];
  /** Every column kept, in order (no copy was made). */
  identity: boolean;
  /** Values per sample. */
  w: number;
  /** Names of the kept columns. */
  names: string[];
}

/** Gathers the selected columns and checks them against the model's input shape (MlInputError SHAPE_MISMATCH). */
function selectFeatures(
  dataset: Dataset,
  selected: number[],
  expectedSampleShape: number[] | undefined,
): SelectedFeatures {
  const n = dataset.numSamples;
  const width = sampleSize(dataset.sampleShape);
  const identity = selected.length === width && selected.every((v, i) => v === i);
  let features = dataset.features;
  let sampleShape = dataset.sampleShape;
  const w = selected.length;
  if (!identity) {
    features = new Float32Array(n * w);
    for (let r = 0; r < n; r++)
      for (let c = 0; c < w; c++) features[r * w + c] = dataset.features[r * width + selected[c]!]!;
    sampleShape = [w];
  }
  if (expectedSampleShape) {
    const want = expectedSampleShape;
    if (sampleSize(want) !== w) {
      throw new MlInputError(
        'SHAPE_MISMATCH',
        `The model expects samples of shape [${want.join(', ')}] (${sampleSize(want)} values) but the data has ${w} feature values per sample`,
        { expected: want, actual: sampleShape },
      );
    }
    sampleShape = want;
  }
  const names = identity ? dataset.featureNames : selected.map((i) => dataset.featureNames[i]!);
  return { features, sampleShape, identity, w, names };
}

/** Encoded labels: class indices in the class order, or the numeric targets. */
interface EncodedLabels {
  classes: Int32Array | null;
  targets: Float32Array | null;
  classNames: string[];
  numTargets: number;
}

/**
 * Class indices in the spec's class order (else names sorted naturally). Throws MlInputError for a label
 * outside the configured classes, a single class, or a binary problem without exactly two classes.
 */
function encodeClasses(
  labels: Extract<Dataset['labels'], { kind: 'categorical' }>,
  spec: PreprocessingSpec,
  problem: ProblemType,
  n: number,
): EncodedLabels {
  const raw = labels.classNames;
  const order = spec.labels?.classes ?? [...raw].sort(naturalCompare);
  const pos = new Map(order.map((c, i) => [c, i]));
  const remap = raw.map((c) => {
    const i = pos.get(c);
    if (i === undefined)
      throw new MlInputError('INVALID_DATA', `Label "${c}" is not in the configured class list`, {
        column: labels.column,
      });
    return i;
  });
  const classes = new Int32Array(n);
  const counts = new Array<number>(order.length).fill(0);
  for (let i = 0; i < n; i++) {
    const c = remap[labels.indices[i]!]!;
    classes[i] = c;
    counts[c]!++;
  }
  const present = counts.filter((c) => c > 0).length;
  if (present < 2) {
    throw new MlInputError(
      'SINGLE_CLASS',
      `The label column has only one class ("${order[counts.findIndex((c) => c > 0)]}"); classification needs at least two`,
    );
  }
  if (problem === 'binary' && order.length !== 2) {
    throw new MlInputError(
      'INVALID_DATA',
      `Binary classification needs exactly 2 classes, the data has ${order.length}`,
    );
  }
  return { classes, targets: null, classNames: order, numTargets: 0 };
}

/** The numeric targets, every one finite (MlInputError NON_FINITE naming the row otherwise). */
function checkTargets(labels: Extract<Dataset['labels'], { kind: 'numeric' }>): EncodedLabels {
  const targets = labels.values;
  const numTargets = labels.columns.length;
  for (let i = 0; i < targets.length; i++) {
    if (!Number.isFinite(targets[i]!)) {
      throw new MlInputError('NON_FINITE', `Row ${Math.floor(i / numTargets) + 1}: target is not finite`, {
        row: Math.floor(i / numTargets) + 1,
      });
    }
  }
  return { classes: null, targets, classNames: [], numTargets };
}

/**
 * Training and test rows: a fixed test tail (a separate test file), a split stratified by class, or a plain
 * random split (testSize, else 1 - trainTestSplit, else 0.2). Throws MlInputError for an empty training split.
 */
function splitSamples(
  n: number,
  labels: EncodedLabels,
  spec: PreprocessingSpec,
  options: PreprocessOptions,
): { train: number[]; test: number[] } {
  const rng = new Rng(options.seed);
  const { classes, classNames } = labels;
  const testFraction = spec.testSize ?? (spec.trainTestSplit !== undefined ? 1 - spec.trainTestSplit : 0.2);
  let train: number[] = [];
  let test: number[] = [];
  if (options.fixedTestFrom !== undefined) {
    train = Array.from({ length: options.fixedTestFrom }, (_, i) => i);
    test = Array.from({ length: n - options.fixedTestFrom }, (_, i) => options.fixedTestFrom! + i);
    if (spec.shuffle) rng.shuffle(train);
  } else if (classes && spec.stratify && testFraction > 0) {
    const byClass: number[][] = classNames.map(() => []);
    for (let i = 0; i < n; i++) byClass[classes[i]!]!.push(i);
    for (const group of byClass) {
      if (spec.shuffle) rng.shuffle(group);
      let k = Math.round(group.length * testFraction);
      if (k === 0 && group.length >= 2) k = 1;
      if (k === group.length && group.length > 0) k = group.length - 1;
      test.push(...group.slice(0, k));
      train.push(...group.slice(k));
    }
    if (spec.shuffle) {
      rng.shuffle(train);
      rng.shuffle(test);
    }
  } else {
    const all = Array.from({ length: n }, (_, i) => i);
    if (spec.shuffle) rng.shuffle(all);
    const k = Math.min(n - 1, Math.round(n * testFraction));
    test = all.slice(0, k);
    train = all.slice(k);
  }
  if (train.length === 0) throw new MlInputError('EMPTY_DATA', 'The training split is empty');
  return { train, test };
}

/** The mean or median of a column's values (sorted in place for the median); 0 without values. */
function fillValue(values: number[], method: 'mean' | 'median'): number {
  if (!values.length) return 0;
  if (method === 'mean') return values.reduce((a, b) => a + b, 0) / values.length;
  values.sort((a, b) => a - b);
  const m = values.length >> 1;
  return values.length % 2 ? values[m]! : (values[m - 1]! + values[m]!) / 2;
}

/**
 * Missing feature cells (NaN from a parser told to keep them): filled with the column's mean/median over
 * the training rows (one warning per filled column, returned), or refused (MlInputError MISSING_VALUES).
 */
function fillMissing(
  f: SelectedFeatures,
  rows: { train: number[]; test: number[] },
  method: PreprocessingSpec['missing'],
): string[] {
  const { features, w } = f;
  const warnings: string[] = [];
  if (method !== 'mean' && method !== 'median') {
    for (let i = 0; i < features.length; i++) {
      if (Number.isNaN(features[i]!)) {
        throw new MlInputError(
          'MISSING_VALUES',
          `Row ${Math.floor(i / w) + 1}: a feature value is missing; set "missing" in the preprocessing spec to "drop", "mean" or "median"`,
          { row: Math.floor(i / w) + 1 },
        );
      }
    }
    return warnings;
  }
  for (let c = 0; c < w; c++) {
    const values: number[] = [];
    let gaps = 0;
    for (const r of rows.train) {
      const v = features[r * w + c]!;
      if (Number.isNaN(v)) gaps++;
      else values.push(v);
    }
    let hasGap = gaps > 0;
    for (const r of rows.test) if (Number.isNaN(features[r * w + c]!)) hasGap = true;
    if (!hasGap) continue;
    const fill = fillValue(values, method);
    let filled = 0;
    for (let i = c; i < features.length; i += w) {
      if (Number.isNaN(features[i]!)) {
        features[i] = fill;
        filled++;
      }
    }
    warnings.push(
      `Column "${f.names[c]}": ${filled} missing cell${filled === 1 ? '' : 's'} filled with the ${method} ${Number(fill.toPrecision(6))}`,
    );
  }
  return warnings;
}

/** Sum, sum of squares, min and max per column (or of all values, `global`) over the training rows. */
function trainingStats(features: Float32Array, w: number, train: number[], global: boolean) {
  const groups = global ? 1 : w;
  const sum = new Float64Array(groups);
  const sumSq = new Float64Array(groups);
  const min = new Float64Array(groups).fill(Infinity);
  const max = new Float64Array(groups).fill(-Infinity);
  for (const r of train) {
    const base = r * w;
    for (let c = 0; c < w; c++) {
      const g = global ? 0 : c;
      const v = features[base + c]!;
      sum[g] = sum[g]! + v;
      sumSq[g] = sumSq[g]! + v * v;
      if (v < min[g]!) min[g] = v;
      if (v > max[g]!) max[g] = v;
    }
  }
  return { sum, sumSq, min, max, count: global ? train.length * w : train.length };
}

/**
 * Scaling fitted on the training rows and applied to all (in place): x' = x * scale + offset per value,
 * standardize or minmax per column (or per column as `columns` says); null, null for none.
 */
function fitScaling(
  f: SelectedFeatures,
  train: number[],
  spec: PreprocessingSpec,
): { scale: number[] | null; offset: number[] | null } {
  const scaling =
    typeof spec.scaling === 'string'
      ? { method: spec.scaling, per: 'column' as const, columns: undefined }
      : spec.scaling;
  if (scaling.method === 'none' && !scaling.columns) return { scale: null, offset: null };
  const { w, names } = f;
  const global = scaling.per === 'global';
  const { sum, sumSq, min, max, count } = trainingStats(f.features, w, train, global);
  const scale = new Array<number>(w);
  const offset = new Array<number>(w);
  for (let c = 0; c < w; c++) {
    const g = global ? 0 : c;
    const m = scaling.columns?.[names[c]!] ?? scaling.method;
    if (m === 'standardize') {
      const mean = sum[g]! / count;
      const std = Math.sqrt(Math.max(0, sumSq[g]! / count - mean * mean));
      const s = std > 1e-12 ? 1 / std : 1;
      scale[c] = s;
      offset[c] = -mean * s;
    } else if (m === 'minmax') {
      const range = max[g]! - min[g]!;
      const s = range > 1e-12 ? 1 / range : 1;
      scale[c] = s;
      offset[c] = -min[g]! * s;
    } else {
      scale[c] = 1;
      offset[c] = 0;
    }
  }
  applyScaling(f.features, w, scale, offset);
  return { scale, offset };
}

/**
 * Per-class loss weights: 'auto' balances by the training rows (n / (classes x n_class)), a record sets them
 * by class name (MlInputError for an unknown class); null for 'none' or a regression.
 */
function classWeightsOf(
  labels: EncodedLabels,
  train: number[],
  spec: PreprocessingSpec,
): Float32Array | null {
  const { classes, classNames } = labels;
  if (!classes || spec.classWeights === 'none') return null;
  const classWeights = new Float32Array(classNames.length).fill(1);
  if (spec.classWeights === 'auto') {
    const counts = new Array<number>(classNames.length).fill(0);
    for (const i of train) counts[classes[i]!]!++;
    counts.forEach((cnt, c) => {
      classWeights[c] = cnt > 0 ? train.length / (classNames.length * cnt) : 1;
    });
    return classWeights;
  }
  for (const [name, weight] of Object.entries(spec.classWeights)) {
    const c = classNames.indexOf(name);
    if (c < 0) throw new MlInputError('INVALID_PREPROCESSING', `classWeights names unknown class "${name}"`);
    classWeights[c] = weight;
  }
  return classWeights;
}

/**
 * Fit and apply preprocessing, step by step: check the data, select columns, encode labels, split, fill
 * missing cells, scale, weigh classes. `dataset.features` is transformed in place when no columns are
 * dropped (so 100k x 784 data is never copied); pass a copy if the raw values are still needed. Throws
 * MlInputError naming what is wrong.
 */
export function preprocess(
  dataset: Dataset,
  specInput: PreprocessingSpecInput | PreprocessingSpec | undefined,
  options: PreprocessOptions,
): PreparedData {
  const spec = parsePreprocessing(specInput ?? {});
  const n = dataset.numSamples;
  const problem = checkDataset(dataset, options.problem);
  const selected = selectColumns(dataset, spec);
  const f = selectFeatures(dataset, selected, options.expectedSampleShape);
  const labels =
    dataset.labels.kind === 'categorical'
      ? encodeClasses(dataset.labels, spec, problem, n)
      : checkTargets(dataset.labels);
  const { train, test } = splitSamples(n, labels, spec, options);
  const warnings = fillMissing(f, { train, test }, spec.missing);
  const { scale, offset } = fitScaling(f, train, spec);
  return {
    problem,
    numSamples: n,
    sampleShape: f.sampleShape,
    features: f.features,
    classes: labels.classes,
    targets: labels.targets,
    numClasses: labels.classNames.length,
    numTargets: labels.numTargets,
    trainIndices: Int32Array.from(train),
    testIndices: Int32Array.from(test),
    classWeights: classWeightsOf(labels, train, spec),
    warnings,
    params: {
      inputFeatureNames: dataset.featureNames,
      selected: f.identity ? [] : selected,
      sampleShape: f.sampleShape,
      scale,
      offset,
      labelKind: dataset.labels.kind,
      classNames: labels.classNames,
      targetColumns: dataset.labels.kind === 'numeric' ? dataset.labels.columns : [],
    },
  };
}

function applyScaling(features: Float32Array, w: number, scale: number[], offset: number[]) {
  const s = Float32Array.from(scale);
  const o = Float32Array.from(offset);
  for (let base = 0; base < features.length; base += w) {
    for (let c = 0; c < w; c++) features[base + c] = features[base + c]! * s[c]! + o[c]!;
  }
}

/**
 * Apply fitted preprocessing to raw rows (arrays in the original column order, objects keyed by column
 * name, or one flat Float32Array of rows) for prediction.
 */
export function applyPreprocessing(
  params: PreprocessingParams,
  rows: readonly (readonly number[] | Record<string, number>)[] | Float32Array,
): { features: Float32Array; numSamples: number } {
  const rawWidth = params.inputFeatureNames.length;
  const w = sampleSize(params.sampleShape);
  let raw: Float32Array;
  let n: number;
  if (rows instanceof Float32Array) {
    if (rows.length % rawWidth !== 0)
      throw new MlInputError('SHAPE_MISMATCH', `Rows must have ${rawWidth} values each`);
    raw = rows;
    n = rows.length / rawWidth;
  } else {
    n = rows.length;
    raw = new Float32Array(n * rawWidth);
    rows.forEach((row, r) => {
      if (Array.isArray(row)) {
        if (row.length !== rawWidth) {
          throw new MlInputError(
            'RAGGED_ROW',
            `Row ${r + 1} has ${row.length} values, expected ${rawWidth}`,
            { row: r + 1 },
          );
        }
        for (let c = 0; c < rawWidth; c++) raw[r * rawWidth + c] = row[c]!;
      } else {
        const obj = row as Record<string, number>;
        params.inputFeatureNames.forEach((name, c) => {
          const v = obj[name];
          if (typeof v !== 'number') {
            if (params.selected.length && !params.selected.includes(c)) return;
            throw new MlInputError(
              'MISSING_COLUMN',
              `Row ${r + 1} has no numeric value for column "${name}"`,
              { row: r + 1, column: name },
            );
          }
          raw[r * rawWidth + c] = v;
        });
      }
    });
  }
  let features: Float32Array;
  if (params.selected.length) {
    features = new Float32Array(n * w);
    for (let r = 0; r < n; r++)
      for (let c = 0; c < w; c++) features[r * w + c] = raw[r * rawWidth + params.selected[c]!]!;
  } else features = raw === rows ? raw.slice() : raw;
  for (let i = 0; i < features.length; i++) {
    if (!Number.isFinite(features[i]!)) {
      throw new MlInputError(
        'NON_FINITE',
        `Row ${Math.floor(i / w) + 1}: value ${(i % w) + 1} is not finite`,
        { row: Math.floor(i / w) + 1 },
      );
    }
  }
  if (params.scale && params.offset) applyScaling(features, w, params.scale, params.offset);
  return { features, numSamples: n };
}
