import { MlInputError } from './errors.ts';
import { storeOfPretrained } from './model-store.ts';
import type { CsvOptions } from './data/csv.ts';
import type { HyperparametersInput } from './hyperparameters.ts';
import type { PreprocessingSpecInput } from './preprocess.ts';
import type { ProblemType } from './spec.ts';
import { fromEdgeImpulse } from './translators/edge-impulse.ts';
import { fromKerasJson } from './translators/keras.ts';

// What a stored training task means to the training core: its model spec (in any API style's form), its
// hyperparameters, its preprocessing and how its CSV is read. The trainer runs a task with these and the web
// process checks a training request with the very same functions (no TensorFlow.js is loaded here).

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

/**
 * Named architectures for clients that pick a model by name (the session style's `model` parameter).
 * The output head is added from the problem type.
 */
export const NAMED_ARCHITECTURES: Record<string, unknown[]> = {
  linear: [],
  'mlp-small': [{ type: 'dense', units: 16 }],
  mlp: [
    { type: 'dense', units: 64 },
    { type: 'dense', units: 32 },
  ],
  'mlp-large': [
    { type: 'dense', units: 256 },
    { type: 'dropout', rate: 0.2 },
    { type: 'dense', units: 128 },
  ],
};

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The model spec: ours as stored, or translated from what a style stored: an MLW architecture file (our
 * format, or a Keras `model.to_json()` document), Edge Impulse visual layers or expert-mode Keras JSON, or a
 * named architecture. The input shape comes from the data. Throws MlInputError('INVALID_SPEC') otherwise.
 */
export function resolveSpec(
  spec: unknown,
  data: { sampleShape: number[] },
  name?: string,
): { spec: unknown; modelStore?: string } {
  const inputShape = data.sampleShape;
  const named = name ? { name } : {};
  // A bare list of layers (an MLW architecture file may be just that).
  if (Array.isArray(spec)) return { spec: { input: { shape: inputShape }, layers: spec, ...named } };
  if (!isRecord(spec)) throw new MlInputError('INVALID_SPEC', 'The task has no model architecture');
  switch (spec.format) {
    case 'edge-impulse-visual': {
      const modelStore = storeOfPretrained(spec.pretrained); // model-store.ts knows the layout
      return {
        spec: fromEdgeImpulse(spec.visualLayers as never, { inputShape, ...named }),
        ...(modelStore ? { modelStore } : {}),
      };
    }
    case 'edge-impulse-expert':
      return { spec: fromKerasJson(String(spec.script ?? ''), { inputShape, ...named }) };
    case 'keras-json':
      return { spec: fromKerasJson(spec.model as object, { inputShape, ...named }) };
    case 'mlw-architecture':
      return resolveSpec(spec.architecture, data, name);
    case 'training-module': {
      const model = String(spec.model ?? '');
      const layers = NAMED_ARCHITECTURES[model];
      if (!layers) {
        throw new MlInputError(
          'INVALID_SPEC',
          `Unknown model "${model}"; choose one of: ${Object.keys(NAMED_ARCHITECTURES).join(', ')}`,
          { field: 'model' },
        );
      }
      // import_model's base (`pretrained`: name -> folder) goes first, frozen, under the named layers.
      const modelStore = storeOfPretrained(spec.pretrained);
      const bases = modelStore ? Object.keys(spec.pretrained as object) : [];
      const transfer = bases.map((model) => ({ type: 'transfer', model, trainable: false }));
      return {
        spec: { input: { shape: inputShape }, layers: [...transfer, ...layers], ...named },
        ...(modelStore ? { modelStore } : {}),
      };
    }
  }
  if (typeof spec.class_name === 'string' && 'config' in spec) {
    return { spec: fromKerasJson(spec, { inputShape, ...named }) };
  }
  return { spec: spec.input === undefined ? { ...spec, input: { shape: inputShape } } : spec };
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
