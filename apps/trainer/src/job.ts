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
import { dirname } from 'node:path';
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
 * Named architectures for clients that pick a model by name (the session style's `model` parameter).
 * The output head is added by packages/ml from the problem type.
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

/**
 * The model spec: ours as stored, or translated from what a style stored: an MLW architecture file (our
 * format, or a Keras `model.to_json()` document), Edge Impulse visual layers or expert-mode Keras JSON, or a
 * named architecture. The input shape comes from the data.
 */
export function resolveSpec(
  spec: unknown,
  data: Dataset,
  name?: string,
): { spec: unknown; modelStore?: string } {
  const inputShape = data.sampleShape;
  const named = name ? { name } : {};
  // A bare list of layers (an MLW architecture file may be just that).
  if (Array.isArray(spec)) return { spec: { input: { shape: inputShape }, layers: spec, ...named } };
  if (!isRecord(spec)) throw new MlInputError('INVALID_SPEC', 'The task has no model architecture');
  switch (spec.format) {
    case 'edge-impulse-visual': {
      const pretrained = isRecord(spec.pretrained) ? Object.values(spec.pretrained).map(String) : [];
      return {
        spec: fromEdgeImpulse(spec.visualLayers as never, { inputShape, ...named }),
        // Each pretrained base lives in <store>/<layer type>/model.json.
        ...(pretrained[0] ? { modelStore: dirname(pretrained[0]) } : {}),
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
        );
      }
      return { spec: { input: { shape: inputShape }, layers, ...named } };
    }
  }
  if (typeof spec.class_name === 'string' && 'config' in spec) {
    return { spec: fromKerasJson(spec, { inputShape, ...named }) };
  }
  return { spec: spec.input === undefined ? { ...spec, input: { shape: inputShape } } : spec };
}

/** Without a task seed, packages/ml picks one and records it in checkpoints, so resumes match. */
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
