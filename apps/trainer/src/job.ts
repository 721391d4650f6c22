import {
  fromEdgeImpulse,
  fromKerasJson,
  MlInputError,
  parseCsv,
  parseJsonData,
  type Dataset,
  type HyperparametersInput,
  type PreprocessingSpecInput,
} from '@trainhub/ml';
import type { Hyperparameters, TrainingDefinition } from '@trainhub/db';

// Turns a task's stored definition into the inputs of @trainhub/ml: parsed data, a model spec, hyperparameters
// and preprocessing. Everything here fails with MlInputError on bad input, which the runner treats as final.

/** Parses a dataset file: `.json` (or a JSON content type) as feature arrays, anything else as CSV. */
export async function parseDataset(
  bytes: Buffer,
  file: { name: string; contentType: string | null },
  definition: TrainingDefinition,
): Promise<Dataset> {
  const labelKind = definition.problemType === 'regression' ? 'numeric' : 'categorical';
  const isJson = file.name.toLowerCase().endsWith('.json') || file.contentType?.includes('json');
  if (isJson) return parseJsonData(bytes.toString('utf8'), { labelKind });
  return parseCsv(bytes, {
    labelKind,
    ...(definition.labelColumns ? { labelColumns: definition.labelColumns } : {}),
  });
}

/**
 * The model spec: ours as stored, or translated from what a style stored (Edge Impulse visual layers, or a
 * Keras `model.to_json()` document). The input shape comes from the data.
 */
export function resolveSpec(spec: unknown, data: Dataset, name?: string): unknown {
  const inputShape = data.sampleShape;
  if (isRecord(spec) && spec.format === 'edge-impulse-visual') {
    return fromEdgeImpulse(spec.visualLayers as never, { inputShape, ...(name ? { name } : {}) });
  }
  if (isRecord(spec) && spec.format === 'keras-json') {
    return fromKerasJson(spec.model as object, { inputShape, ...(name ? { name } : {}) });
  }
  if (isRecord(spec) && typeof spec.class_name === 'string' && 'config' in spec) {
    return fromKerasJson(spec, { inputShape, ...(name ? { name } : {}) });
  }
  if (isRecord(spec) && spec.input === undefined) return { ...spec, input: { shape: inputShape } };
  return spec;
}

export function toMlHyperparameters(h: Hyperparameters): HyperparametersInput {
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
export function toMlPreprocessing(source: unknown, h: Hyperparameters): PreprocessingSpecInput {
  if (source !== undefined && !isRecord(source)) {
    throw new MlInputError('INVALID_PREPROCESSING', 'The preprocessing spec must be a JSON object');
  }
  return {
    ...(source as PreprocessingSpecInput | undefined),
    ...(h.testSize !== undefined ? { testSize: h.testSize } : {}),
    ...(h.shuffle !== undefined ? { shuffle: h.shuffle } : {}),
    ...(h.classWeights ? { classWeights: 'auto' as const } : {}),
  };
}

export function parseJsonResource(bytes: Buffer, what: string): unknown {
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    throw new MlInputError(
      'INVALID_PREPROCESSING',
      `The ${what} is not valid JSON: ${(error as Error).message}`,
    );
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
