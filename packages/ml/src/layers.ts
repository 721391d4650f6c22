import * as tf from '@tensorflow/tfjs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { MlInputError } from './errors.ts';
import { Rng } from './random.ts';
import { headFor, specHeadIndex } from './shapes.ts';
import { parseModelSpec, type Activation, type LayerSpec, type ModelSpec, type ProblemType } from './spec.ts';

/** Where the trainer gets the seeds for dropout masks (one per dropout call while training). */
export interface SeedSource {
  seed(): number;
}

/**
 * Dropout whose masks come from our seeded generator, so a run is reproducible and resumable. It serializes
 * as a stock Keras/tfjs `Dropout` (same class name and config), so saved models load anywhere.
 */
export class SeededDropout extends tf.layers.Layer {
  static className = 'Dropout';
  readonly rate: number;
  seeds: SeedSource | null = null;

  constructor(args: { rate: number; name?: string }) {
    super({ name: args.name });
    this.rate = args.rate;
    this.supportsMasking = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: { training?: boolean }): tf.Tensor {
    const input = Array.isArray(inputs) ? inputs[0]! : inputs;
    if (!kwargs.training || this.rate <= 0) return input;
    const seed = this.seeds ? this.seeds.seed() : Math.floor(Math.random() * 2147483647);
    return tf.tidy(() => tf.dropout(input, this.rate, undefined, seed));
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), rate: this.rate, noiseShape: null, seed: null };
  }
}

export interface BuildModelOptions {
  problem: ProblemType;
  /** Classes (classification); binary uses one sigmoid unit. */
  numClasses?: number;
  /** Target columns (regression). */
  numTargets?: number;
  /** Seed for weight initializers (same seed -> same initial weights). */
  seed?: number;
  /** Folder holding base models for `transfer` layers; default env TRAINHUB_MODEL_STORE. */
  modelStore?: string;
  onLayer?: (index: number, layer: LayerSpec) => void;
}

export interface BuiltModel {
  model: tf.LayersModel;
  dropouts: SeededDropout[];
}

function activationLayer(activation: Activation, name?: string): tf.layers.Layer {
  if (activation === 'leakyRelu') return tf.layers.leakyReLU({ name });
  return tf.layers.activation({ activation: activation as never, name });
}

/** Split "leakyRelu" (a layer in tfjs) from activations tfjs layers accept by name. */
function inlineActivation(a: Activation): { activation: string; extra: Activation | null } {
  return a === 'leakyRelu' ? { activation: 'linear', extra: 'leakyRelu' } : { activation: a, extra: null };
}

function pair(v: number | [number, number]): [number, number] {
  return typeof v === 'number' ? [v, v] : v;
}

export function outputUnits(problem: ProblemType, numClasses?: number, numTargets?: number): number {
  if (problem === 'binary') return 1;
  if (problem === 'classification') {
    if (!numClasses || numClasses < 2)
      throw new MlInputError('SINGLE_CLASS', 'Classification needs at least 2 classes');
    return numClasses;
  }
  if (!numTargets || numTargets < 1)
    throw new MlInputError('INVALID_DATA', 'Regression needs at least one target');
  return numTargets;
}

/** Load a tfjs layers model from `<store>/<name>/model.json` (+ its weight files). */
export async function loadBaseModel(name: string, store?: string): Promise<tf.LayersModel> {
  const dir = store ?? process.env.TRAINHUB_MODEL_STORE;
  if (!dir) {
    throw new MlInputError(
      'MISSING_BASE_MODEL',
      `Transfer-learning base model "${name}" is not available: no model store is configured (set TRAINHUB_MODEL_STORE to a folder holding ${name}/model.json)`,
      { model: name },
    );
  }
  if (name.includes('..') || path.isAbsolute(name)) {
    throw new MlInputError('INVALID_SPEC', `Invalid base model name "${name}"`, { model: name });
  }
  const modelDir = path.join(dir, name);
  let modelJson: {
    modelTopology: object;
    weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
  };
  try {
    modelJson = JSON.parse(await readFile(path.join(modelDir, 'model.json'), 'utf8'));
  } catch {
    throw new MlInputError(
      'MISSING_BASE_MODEL',
      `Transfer-learning base model "${name}" was not found in the model store (${path.join(modelDir, 'model.json')})`,
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
  return tf.loadLayersModel(
    tf.io.fromMemory({ modelTopology: modelJson.modelTopology, weightSpecs, weightData }),
  );
}

const sameShape = (a: readonly (number | null)[], b: readonly (number | null)[]) =>
  a.length === b.length && a.every((v, i) => v === b[i]);

/**
 * Build a tfjs model from a spec. The head is derived from the problem type. Seeded initializers make the
 * initial weights depend only on `seed`.
 */
export async function buildModel(
  specInput: ModelSpec | unknown,
  options: BuildModelOptions,
): Promise<BuiltModel> {
  const spec = parseModelSpec(specInput);
  const rng = new Rng(options.seed ?? 1);
  const init = () => tf.initializers.glorotUniform({ seed: rng.seed() });
  const dropouts: SeededDropout[] = [];
  const input = tf.input({ shape: spec.input.shape });
  let x: tf.SymbolicTensor = input;
  const shapeOf = () => x.shape.slice(1) as number[];
  const apply = (layer: tf.layers.Layer) => {
    x = layer.apply(x) as tf.SymbolicTensor;
  };
  const needRank = (rank: number, what: string, index: number) => {
    const s = shapeOf();
    if (s.length === rank) return;
    if (s.length === rank - 1) {
      apply(tf.layers.reshape({ targetShape: [...s, 1] }));
      return;
    }
    throw new MlInputError(
      'SHAPE_MISMATCH',
      `Layer ${index + 1} (${what}) needs ${rank}-D samples but gets shape [${s.join(', ')}]; add a reshape layer with columns`,
      { layer: index + 1, shape: s },
    );
  };
  const pool = (
    index: number,
    rank: 1 | 2,
    type: 'max' | 'avg',
    size: number | [number, number],
    strides: number | [number, number] | undefined,
    padding: 'same' | 'valid',
  ) => {
    if (rank === 1) {
      const s = typeof size === 'number' ? size : size[0];
      const st = strides === undefined ? s : typeof strides === 'number' ? strides : strides[0];
      apply(
        type === 'max'
          ? tf.layers.maxPooling1d({ poolSize: s, strides: st, padding })
          : tf.layers.averagePooling1d({ poolSize: s, strides: st, padding }),
      );
    } else {
      const s = pair(size);
      const st = strides === undefined ? s : pair(strides);
      apply(
        type === 'max'
          ? tf.layers.maxPooling2d({ poolSize: s, strides: st, padding })
          : tf.layers.averagePooling2d({ poolSize: s, strides: st, padding }),
      );
    }
    void index;
  };

  const units = outputUnits(options.problem, options.numClasses, options.numTargets);
  // A final dense layer that already is a correct head is the head; one that contradicts the data is refused.
  const headIndex = specHeadIndex(spec, options.problem, options.numClasses ?? 0, options.numTargets ?? 0);
  const beforeHead = () => {
    if (shapeOf().length > 1) apply(tf.layers.flatten());
    if (spec.output.dropout > 0) {
      const d = new SeededDropout({ rate: spec.output.dropout });
      dropouts.push(d);
      apply(d);
    }
  };
  for (const [index, layer] of spec.layers.entries()) {
    if (layer.enabled === false) continue;
    options.onLayer?.(index, layer);
    if (index === headIndex) beforeHead();
    try {
      switch (layer.type) {
        case 'dense': {
          const { activation, extra } = inlineActivation(layer.activation);
          apply(
            tf.layers.dense({
              units: layer.units,
              activation: activation as never,
              kernelInitializer: init(),
              name: layer.name,
            }),
          );
          if (extra) apply(activationLayer(extra));
          break;
        }
        case 'conv1d': {
          needRank(2, 'conv1d', index);
          const { activation, extra } = inlineActivation(layer.activation);
          for (let i = 0; i < layer.stack; i++) {
            apply(
              tf.layers.conv1d({
                filters: layer.filters,
                kernelSize: layer.kernelSize,
                strides: layer.strides,
                padding: layer.padding,
                activation: activation as never,
                kernelInitializer: init(),
              }),
            );
            if (extra) apply(activationLayer(extra));
          }
          if (layer.pool)
            pool(index, 1, layer.pool.type, layer.pool.size, layer.pool.strides, layer.pool.padding);
          break;
        }
        case 'conv2d': {
          needRank(3, 'conv2d', index);
          const { activation, extra } = inlineActivation(layer.activation);
          for (let i = 0; i < layer.stack; i++) {
            apply(
              tf.layers.conv2d({
                filters: layer.filters,
                kernelSize: pair(layer.kernelSize),
                strides: pair(layer.strides),
                padding: layer.padding,
                activation: activation as never,
                kernelInitializer: init(),
              }),
            );
            if (extra) apply(activationLayer(extra));
          }
          if (layer.pool)
            pool(index, 2, layer.pool.type, layer.pool.size, layer.pool.strides, layer.pool.padding);
          break;
        }
        case 'depthwiseConv2d': {
          needRank(3, 'depthwiseConv2d', index);
          const { activation, extra } = inlineActivation(layer.activation);
          apply(
            tf.layers.depthwiseConv2d({
              kernelSize: pair(layer.kernelSize),
              depthMultiplier: layer.depthMultiplier,
              strides: pair(layer.strides),
              padding: layer.padding,
              activation: activation as never,
              depthwiseInitializer: init(),
            }),
          );
          if (extra) apply(activationLayer(extra));
          break;
        }
        case 'maxPool1d':
        case 'avgPool1d':
          needRank(2, layer.type, index);
          pool(
            index,
            1,
            layer.type === 'maxPool1d' ? 'max' : 'avg',
            layer.poolSize,
            layer.strides,
            layer.padding,
          );
          break;
        case 'maxPool2d':
        case 'avgPool2d':
          needRank(3, layer.type, index);
          pool(
            index,
            2,
            layer.type === 'maxPool2d' ? 'max' : 'avg',
            layer.poolSize,
            layer.strides,
            layer.padding,
          );
          break;
        case 'globalAvgPool1d':
          needRank(2, layer.type, index);
          apply(tf.layers.globalAveragePooling1d({}));
          break;
        case 'globalMaxPool1d':
          needRank(2, layer.type, index);
          apply(tf.layers.globalMaxPooling1d({}));
          break;
        case 'globalAvgPool2d':
          needRank(3, layer.type, index);
          apply(tf.layers.globalAveragePooling2d({}));
          break;
        case 'globalMaxPool2d':
          needRank(3, layer.type, index);
          apply(tf.layers.globalMaxPooling2d({}));
          break;
        case 'reshape': {
          const size = shapeOf().reduce((a, b) => a * b, 1);
          let target: number[];
          if (layer.targetShape) target = layer.targetShape;
          else if (layer.columns) {
            if (size % layer.columns !== 0) {
              throw new MlInputError(
                'SHAPE_MISMATCH',
                `Layer ${index + 1} (reshape): ${size} values per sample do not divide into ${layer.columns} columns`,
                { layer: index + 1 },
              );
            }
            target = [size / layer.columns, layer.columns];
          } else
            throw new MlInputError(
              'INVALID_SPEC',
              `Layer ${index + 1} (reshape) needs columns or targetShape`,
              { layer: index + 1 },
            );
          const known = target.filter((v) => v !== -1).reduce((a, b) => a * b, 1);
          const fixed = target.map((v) => (v === -1 ? size / known : v));
          if (
            fixed.reduce((a, b) => a * b, 1) !== size ||
            fixed.some((v) => !Number.isInteger(v) || v <= 0)
          ) {
            throw new MlInputError(
              'SHAPE_MISMATCH',
              `Layer ${index + 1} (reshape): cannot reshape [${shapeOf().join(', ')}] to [${target.join(', ')}]`,
              { layer: index + 1 },
            );
          }
          apply(tf.layers.reshape({ targetShape: fixed }));
          break;
        }
        case 'flatten':
          if (shapeOf().length > 1) apply(tf.layers.flatten());
          break;
        case 'dropout': {
          const d = new SeededDropout({ rate: layer.rate });
          dropouts.push(d);
          apply(d);
          break;
        }
        case 'batchNormalization':
          apply(tf.layers.batchNormalization({ momentum: layer.momentum }));
          break;
        case 'activation':
          apply(activationLayer(layer.activation, layer.name));
          break;
        case 'transfer': {
          const baseModel = await loadBaseModel(layer.model, options.modelStore);
          const want = baseModel.inputs[0]!.shape.slice(1);
          if (!sameShape(want, shapeOf())) {
            throw new MlInputError(
              'SHAPE_MISMATCH',
              `Base model "${layer.model}" expects input [${want.join(', ')}] but gets [${shapeOf().join(', ')}]`,
              { layer: index + 1 },
            );
          }
          baseModel.trainable = layer.trainable;
          x = baseModel.apply(x) as tf.SymbolicTensor;
          break;
        }
      }
    } catch (error) {
      if (error instanceof MlInputError) throw error;
      throw new MlInputError(
        'SHAPE_MISMATCH',
        `Layer ${index + 1} (${layer.type}) cannot be built on input [${shapeOf().join(', ')}]: ${(error as Error).message}`,
        { layer: index + 1 },
      );
    }
  }
  if (headIndex < 0) {
    beforeHead();
    const headActivation = headFor(options.problem, options.numClasses ?? 0, units).activation;
    apply(tf.layers.dense({ units, activation: headActivation, kernelInitializer: init() }));
  }
  const model = tf.model({ inputs: input, outputs: x });
  return { model, dropouts };
}
