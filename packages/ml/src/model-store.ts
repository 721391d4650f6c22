import { existsSync, readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { MlInputError } from './errors.ts';

// The pretrained-model store: a local folder of TensorFlow.js layers models, one folder per base model,
// `<store>/<name>/model.json` plus the weight files it lists. This module is the only code that knows that
// layout: the Edge Impulse check (the name is the visual layer's type, `transfer_mobilenetv2_a35/`, as the
// README tells operators), the session style's import_model (its model_name) and the `transfer` layer builder
// all go through it. Nothing here loads TensorFlow.js until `loadBaseModel` is called, so the web process
// can check names without it.

/** The file of a base model's folder that holds its topology and weights manifest. */
export const MODEL_FILE = 'model.json';

/** The environment variable read when no store is passed (trainer runs and tests). */
export const MODEL_STORE_ENV = 'TRAINHUB_MODEL_STORE';

/** Not a literal: a bundler does not follow it (see loadBaseModel). */
const TFJS = '@tensorflow/tfjs';

/** One path segment of a base-model name: letters, digits, `_`, `.`, `-`; never `.` or `..`. */
const SEGMENT = /^[\w.-]+$/;

/** Whether `name` can name a folder inside the store (segments joined by `/`, nothing leading outside it). */
export function isBaseModelName(name: string): boolean {
  const segments = name.split('/');
  return segments.every((s) => SEGMENT.test(s) && s !== '.' && s !== '..');
}

/**
 * The folder of base model `name` in `store`: `<store>/<name>`. Throws MlInputError('INVALID_SPEC') for a
 * name that could leave the store (absolute, `..`, characters other than `[\w.-]` and `/`).
 */
export function resolveBaseModel(store: string, name: string): string {
  if (!isBaseModelName(name)) {
    throw new MlInputError('INVALID_SPEC', `Invalid base model name "${name}"`, { model: name });
  }
  return path.join(store, name);
}

/** The model.json of base model `name` in `store` (same rules as `resolveBaseModel`). */
export function baseModelFile(store: string, name: string): string {
  return path.join(resolveBaseModel(store, name), MODEL_FILE);
}

/** Whether `store` is set and holds `<name>/model.json`; false (never a throw) for an invalid name. */
export function hasBaseModel(store: string | null | undefined, name: string): boolean {
  return !!store && isBaseModelName(name) && existsSync(baseModelFile(store, name));
}

/** The names of the base models directly in `store` (folders holding a model.json), sorted; [] without one. */
export function listBaseModels(store: string | null | undefined): string[] {
  if (!store || !existsSync(store)) return [];
  return readdirSync(store, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && hasBaseModel(store, entry.name))
    .map((entry) => entry.name)
    .sort();
}

/**
 * The base-model name an Edge Impulse visual layer of type `transfer_*` loads: the layer type itself
 * (`transfer_mobilenetv2_a35`), and for `transfer_organization` the organization model it names
 * (`transfer_organization-<organizationModelId>`). Both the API check and the translator use this.
 */
export function edgeImpulseBaseName(layer: { type: string; organizationModelId?: number }): string {
  return layer.type === 'transfer_organization'
    ? `${layer.type}-${layer.organizationModelId ?? ''}`
    : layer.type;
}

/**
 * The store a stored task's `pretrained` map (name -> folder, as the Edge Impulse skin and the session style
 * record it) points into: its first folder less that name's segments; undefined when the map is empty or absent.
 */
export function storeOfPretrained(pretrained: unknown): string | undefined {
  if (typeof pretrained !== 'object' || pretrained === null) return undefined;
  const [name, folder] = Object.entries(pretrained as Record<string, unknown>)[0] ?? [];
  if (name === undefined || typeof folder !== 'string') return undefined;
  // One level up per segment of the name: `<store>/org/model` for `org/model` is in `<store>`.
  return path.join(folder, ...name.split('/').map(() => '..'));
}

interface ModelJson {
  modelTopology: object;
  weightsManifest?: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
}

/**
 * Load base model `name` from `store` (default env TRAINHUB_MODEL_STORE): its model.json and the weight files
 * its manifest lists, concatenated in order. Throws MlInputError('MISSING_BASE_MODEL') naming the model and
 * what to set or where it was looked for, and MlInputError('INVALID_SPEC') for an invalid name.
 */
export async function loadBaseModel(name: string, store?: string): Promise<tf.LayersModel> {
  const dir = store ?? process.env[MODEL_STORE_ENV];
  if (!dir) {
    throw new MlInputError(
      'MISSING_BASE_MODEL',
      `Transfer-learning base model "${name}" is not available: no model store is configured (set ${MODEL_STORE_ENV} to a folder holding ${name}/${MODEL_FILE})`,
      { model: name },
    );
  }
  const modelDir = resolveBaseModel(dir, name);
  let modelJson: ModelJson;
  try {
    modelJson = JSON.parse(await readFile(path.join(modelDir, MODEL_FILE), 'utf8')) as ModelJson;
  } catch {
    throw new MlInputError(
      'MISSING_BASE_MODEL',
      `Transfer-learning base model "${name}" was not found in the model store (${path.join(modelDir, MODEL_FILE)})`,
      { model: name, store: dir },
    );
  }
  const weightSpecs: tf.io.WeightsManifestEntry[] = [];
  const buffers: Buffer[] = [];
  for (const group of modelJson.weightsManifest ?? []) {
    weightSpecs.push(...group.weights);
    for (const p of group.paths) buffers.push(await readFile(path.join(modelDir, p)));
  }
  const all = Buffer.concat(buffers);
  const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength) as ArrayBuffer;
  // Loaded here, not at the top: the web process imports this module for the checks above only, and its
  // bundler is told to leave TensorFlow.js out (as services/models.ts does for @trainhub/ml).
  const tfjs = (await import(/* webpackIgnore: true */ /* turbopackIgnore: true */ TFJS)) as typeof tf;
  return tfjs.loadLayersModel(
    tfjs.io.fromMemory({ modelTopology: modelJson.modelTopology, weightSpecs, weightData }),
  );
}
