import { MlInputError } from './errors.ts';
import type { CsvOptions } from './data/csv.ts';
import type { HyperparametersInput } from './hyperparameters.ts';
import type { PreprocessingSpecInput } from './preprocess.ts';
import type { ModelSpec, ProblemType } from './spec.ts';
import { modelSpecFor, translateModel } from './translators/index.ts';

// What a stored training task means to the training core: its model spec (translated from an API style's
// dialect by translators/), its hyperparameters, its preprocessing and how its CSV is read. The trainer runs
// a task with these and the web process checks a training request with the very same functions (no
// TensorFlow.js is loaded here).

/** The parts of a stored task definition this module reads (Task.definition of @trainhub/db). */
export interface TaskDefinitionLike {
  problemType: ProblemType;
  spec: unknown;
  labelColumns?: string[];
  modelName?: string;
}

/** The stored hyperparameters of a task (Task.hyperparameters of @trainhub/db; MLW names). */
export interface TaskHyperparametersLike {
  epochs: number;
  batchSize: number;
  learningRate?: number;
  optimizer?: string;
  loss?: string;
  metrics?: string[];
  stepsPerEpoch?: number;
  testSize?: number;
  shuffle?: boolean;
  seed?: number;
  earlyStopping?: { monitor: string; patience: number };
  classWeights?: boolean;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The model spec a run of this data would build from `spec`, in any API style's dialect or already
 * normalized (translateModel, then modelSpecFor), with the folder of its transfer layers' base models. For
 * checking a request before it is stored; a run reads the normalized definition instead. Throws MlInputError.
 */
export function resolveSpec(
  spec: unknown,
  data: { sampleShape: number[] },
  name?: string,
): { spec: ModelSpec; modelStore?: string } {
  const translated = translateModel(spec, name);
  return {
    spec: modelSpecFor(translated.spec, data),
    ...(translated.modelStore ? { modelStore: translated.modelStore } : {}),
  };
}

/** A task's hyperparameters as the training core takes them. Without a seed, train picks one. */
export function toMlHyperparameters(h: TaskHyperparametersLike): HyperparametersInput {
  return {
    epochs: h.epochs,
    batchSize: h.batchSize,
    ...(h.learningRate !== undefined ? { learningRate: h.learningRate } : {}),
    ...(h.optimizer ? { optimizer: h.optimizer } : {}),
    ...(h.loss ? { loss: h.loss } : {}),
    ...(h.metrics?.length ? { metrics: h.metrics } : {}),
    ...(h.stepsPerEpoch ? { stepsPerEpoch: h.stepsPerEpoch } : {}),
    ...(h.seed !== undefined ? { seed: Math.abs(h.seed) % 2 ** 31 } : {}),
    ...(h.earlyStopping ? { earlyStopping: h.earlyStopping } : {}),
  };
}

/** The preprocessing spec: a code resource's JSON or the inline one, with the task's split settings on top. */
export function toMlPreprocessing(source: unknown, h: TaskHyperparametersLike): PreprocessingSpecInput {
  if (source !== undefined && source !== null && !isRecord(source)) {
    throw new MlInputError('INVALID_PREPROCESSING', 'The preprocessing spec must be a JSON object');
  }
  return {
    ...((source ?? undefined) as PreprocessingSpecInput | undefined),
    ...(h.testSize !== undefined ? { testSize: h.testSize } : {}),
    ...(h.shuffle !== undefined ? { shuffle: h.shuffle } : {}),
    ...(h.classWeights ? { classWeights: 'auto' as const } : {}),
  };
}

/**
 * How a task's CSV is read: the target and feature columns (the preprocessing spec's `target` / `features`,
 * else the definition's labelColumns, else the last column), the label kind from the problem type, and the
 * separator, decimal, missing-value and duplicate-column settings of the preprocessing spec.
 */
export function csvOptionsFor(
  definition: Pick<TaskDefinitionLike, 'problemType' | 'labelColumns'>,
  preprocessing: PreprocessingSpecInput | undefined,
): CsvOptions {
  const p = (preprocessing ?? {}) as Record<string, unknown>;
  const target =
    typeof p.target === 'string' ? [p.target] : Array.isArray(p.target) ? (p.target as string[]) : undefined;
  const labelColumns = target ?? definition.labelColumns;
  return {
    labelKind: definition.problemType === 'regression' ? 'numeric' : 'categorical',
    ...(labelColumns ? { labelColumns } : {}),
    ...(Array.isArray(p.features) ? { featureColumns: p.features as string[] } : {}),
    ...(typeof p.separator === 'string' ? { delimiter: p.separator } : {}),
    ...(p.decimal === '.' || p.decimal === ',' ? { decimal: p.decimal } : {}),
    ...(p.missing === 'drop' || p.missing === 'mean' || p.missing === 'median' ? { missing: p.missing } : {}),
    ...(p.duplicateColumns === 'fail' ? { duplicateColumns: 'fail' as const } : {}),
  };
}

/** Whether a dataset file is JSON data (by name or content type); anything else is read as CSV. */
export function isJsonDataFile(file: { name: string; contentType?: string | null }): boolean {
  return file.name.toLowerCase().endsWith('.json') || !!file.contentType?.includes('json');
}

/** Parses a JSON resource (preprocessing code); names the resource when it is not JSON. */
export function parseJsonResource(bytes: Uint8Array, what: string): unknown {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new MlInputError('INVALID_PREPROCESSING', notJsonMessage(text, what, (error as Error).message), {
      field: 'code',
    });
  }
}

/** A minimal declarative preprocessing spec, shown to users whose code resource is not one. */
export const PREPROCESSING_EXAMPLE =
  '{ "scaling": "standardize", "testSize": 0.2, "missing": "drop", "target": "label" }';

function notJsonMessage(text: string, what: string, reason: string): string {
  const python = /^\s*(import |from \S+ import |def |class |#)/m.test(text);
  return python
    ? `The ${what} is Python code; it must be the declarative preprocessing JSON instead, for example ${PREPROCESSING_EXAMPLE} (see the preprocessing spec in the documentation)`
    : `The ${what} is not valid JSON (${reason}); it must be the declarative preprocessing JSON, for example ${PREPROCESSING_EXAMPLE}`;
}

/**
 * The per-sample input shape a model of this data gets: the data's own, or for a table whose preprocessing
 * selects columns (`columns.include` / `exclude`), the number of columns kept. Unknown names are left for
 * preprocess to refuse.
 */
export function inputShapeFor(
  data: { featureNames: string[]; sampleShape: number[] },
  preprocessing: PreprocessingSpecInput | undefined,
): number[] {
  const columns = (preprocessing as { columns?: { include?: string[]; exclude?: string[] } } | undefined)
    ?.columns;
  if (data.sampleShape.length !== 1 || (!columns?.include && !columns?.exclude)) return data.sampleShape;
  let kept = columns.include
    ? columns.include.filter((n) => data.featureNames.includes(n))
    : data.featureNames;
  if (columns.exclude) kept = kept.filter((n) => !columns.exclude!.includes(n));
  return kept.length ? [kept.length] : data.sampleShape;
}
