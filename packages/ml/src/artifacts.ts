import * as tf from '@tensorflow/tfjs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { inferenceBatchSize } from './data/types.ts';
import { MlInputError } from './errors.ts';
import { applyPreprocessing, type PreprocessingParams } from './preprocess.ts';
import type { ModelSpec, ProblemType } from './spec.ts';

export const ML_PACKAGE_VERSION = '0.1.0';

/** metadata.json, saved next to model.json + weights.bin. */
export interface ModelMetadata {
  format: 'trainhub.model';
  version: 1;
  spec: ModelSpec;
  problem: ProblemType;
  classNames: string[];
  targetColumns: string[];
  preprocessing: PreprocessingParams;
  metrics: Record<string, unknown>;
  hyperparameters: Record<string, unknown>;
  backend: { name: string; provider: string };
  versions: { tfjs: string; trainhubMl: string; node: string };
  createdAt: string;
  /** Rows per split, the seed that drew them, and which split the final metrics were computed on. */
  split?: {
    train: number;
    validation: number;
    test: number;
    seed: number;
    evaluatedOn: 'test' | 'validation' | 'training';
  };
  /** The per-class loss weights the run used (class name -> weight), or null for none. */
  classWeights?: Record<string, number> | null;
  /** Data warnings (renamed duplicate columns, rows dropped for missing values, filled cells). */
  warnings?: string[];
}

/** A saved model: tfjs layers format (model.json + weights.bin) plus our metadata. */
export interface ModelArtifacts {
  /** model.json text (tfjs layers model, weightsManifest -> weights.bin). */
  modelJson: string;
  weights: Uint8Array;
  metadata: ModelMetadata;
}

export const ARTIFACT_FILES = {
  model: 'model.json',
  weights: 'weights.bin',
  metadata: 'metadata.json',
} as const;

export async function exportModel(model: tf.LayersModel, metadata: ModelMetadata): Promise<ModelArtifacts> {
  let saved: tf.io.ModelArtifacts | null = null;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      saved = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  const a = saved as unknown as tf.io.ModelArtifacts;
  const weightData = a.weightData as ArrayBuffer;
  const modelJson = JSON.stringify({
    format: 'layers-model',
    generatedBy: `TensorFlow.js tfjs-layers v${tf.version.tfjs}`,
    convertedBy: `@trainhub/ml ${ML_PACKAGE_VERSION}`,
    modelTopology: a.modelTopology,
    weightsManifest: [{ paths: [ARTIFACT_FILES.weights], weights: a.weightSpecs }],
  });
  return { modelJson, weights: new Uint8Array(weightData.slice(0)), metadata };
}

/** The three files as bytes, keyed by file name (for object stores). */
export function artifactFiles(a: ModelArtifacts): Record<string, Uint8Array> {
  const enc = new TextEncoder();
  return {
    [ARTIFACT_FILES.model]: enc.encode(a.modelJson),
    [ARTIFACT_FILES.weights]: a.weights,
    [ARTIFACT_FILES.metadata]: enc.encode(JSON.stringify(a.metadata, null, 2)),
  };
}

export async function writeModelFiles(dir: string, a: ModelArtifacts): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (const [name, bytes] of Object.entries(artifactFiles(a))) await writeFile(path.join(dir, name), bytes);
}

export function artifactsFromFiles(files: Record<string, Uint8Array | string>): ModelArtifacts {
  const text = (name: string) => {
    const v = files[name];
    if (v === undefined) throw new MlInputError('INVALID_ARTIFACTS', `Model files lack ${name}`);
    return typeof v === 'string' ? v : new TextDecoder().decode(v);
  };
  const w = files[ARTIFACT_FILES.weights];
  if (w === undefined || typeof w === 'string')
    throw new MlInputError('INVALID_ARTIFACTS', `Model files lack ${ARTIFACT_FILES.weights}`);
  return {
    modelJson: text(ARTIFACT_FILES.model),
    weights: w,
    metadata: JSON.parse(text(ARTIFACT_FILES.metadata)),
  };
}

export async function readModelFiles(dir: string): Promise<ModelArtifacts> {
  const files: Record<string, Uint8Array> = {};
  for (const name of Object.values(ARTIFACT_FILES)) {
    try {
      files[name] = await readFile(path.join(dir, name));
    } catch {
      throw new MlInputError('INVALID_ARTIFACTS', `Model folder ${dir} lacks ${name}`);
    }
  }
  return artifactsFromFiles(files);
}

export type Prediction =
  { label: string; index: number; probabilities: Record<string, number> } | { values: number[] };

/** A loaded model that predicts on raw rows with the saved preprocessing. */
export class TrainedModel {
  constructor(
    readonly model: tf.LayersModel,
    readonly metadata: ModelMetadata,
  ) {}

  /** Raw model outputs [n, units] for raw rows (original columns, unscaled). */
  predictRaw(rows: Parameters<typeof applyPreprocessing>[1]): { outputs: Float32Array; units: number } {
    const { features, numSamples } = applyPreprocessing(this.metadata.preprocessing, rows);
    const shape = this.metadata.preprocessing.sampleShape;
    const batchSize = inferenceBatchSize(shape);
    const out = tf.tidy(
      () => this.model.predict(tf.tensor(features, [numSamples, ...shape]), { batchSize }) as tf.Tensor,
    );
    const outputs = out.dataSync() as Float32Array;
    const units = out.shape[1] ?? 1;
    out.dispose();
    return { outputs: Float32Array.from(outputs), units };
  }

  predict(rows: Parameters<typeof applyPreprocessing>[1]): Prediction[] {
    const { outputs, units } = this.predictRaw(rows);
    const n = outputs.length / units;
    const { problem, classNames } = this.metadata;
    const result: Prediction[] = [];
    for (let i = 0; i < n; i++) {
      const row = Array.from(outputs.subarray(i * units, (i + 1) * units));
      if (problem === 'regression') result.push({ values: row });
      else {
        const probs = problem === 'binary' ? [1 - row[0]!, row[0]!] : row;
        let best = 0;
        probs.forEach((p, j) => {
          if (p > probs[best]!) best = j;
        });
        result.push({
          label: classNames[best]!,
          index: best,
          probabilities: Object.fromEntries(classNames.map((c, j) => [c, probs[j]!])),
        });
      }
    }
    return result;
  }

  dispose(): void {
    this.model.dispose();
  }
}

/** Load saved artifacts (from exportModel / readModelFiles) into a TrainedModel. */
export async function loadTrainedModel(a: ModelArtifacts): Promise<TrainedModel> {
  let json: { modelTopology: object; weightsManifest: { weights: tf.io.WeightsManifestEntry[] }[] };
  try {
    json = JSON.parse(a.modelJson);
  } catch {
    throw new MlInputError('INVALID_ARTIFACTS', 'model.json is not valid JSON');
  }
  const weightSpecs = json.weightsManifest.flatMap((g) => g.weights);
  const weightData = a.weights.buffer.slice(
    a.weights.byteOffset,
    a.weights.byteOffset + a.weights.byteLength,
  ) as ArrayBuffer;
  const model = await tf.loadLayersModel(
    tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs, weightData }),
  );
  return new TrainedModel(model, a.metadata);
}
