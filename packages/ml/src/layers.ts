import * as tf from '@tensorflow/tfjs';
import { MlInputError } from './errors.ts';
import { loadBaseModel } from './model-store.ts';
import { Rng } from './random.ts';
import { denseForward, fusedDenseAvailable } from './wasm-kernels/fused-dense.ts';
import { headFor, reshapeTarget, specHeadIndex } from './shapes.ts';
import {
  parseModelSpec,
  type Activation,
  type LayerOf,
  type LayerSpec,
  type LayerType,
  type ModelSpec,
  type ProblemType,
} from './spec.ts';

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

type DenseArgs = Parameters<typeof tf.layers.dense>[0];
/** The fields of tfjs-layers' Dense that its call reads (private in its typings). */
interface DenseFields {
  kernel: tf.LayerVariable;
  bias: tf.LayerVariable | null;
  activation: { getClassName(): string; apply(x: tf.Tensor): tf.Tensor };
  invokeCallHook(inputs: tf.Tensor | tf.Tensor[], kwargs: object): void;
}
// tfjs-layers' Dense class (tf.layers exports only its factory); read from the serialization registry so
// that no layer is constructed (and no layer name counter moves) to find it.
const StockDense = tf.serialization.SerializationMap.getMap().classNameMap.Dense![0] as unknown as new (
  args: DenseArgs,
) => tf.layers.Layer;

/**
 * tfjs-layers' Dense whose rank-2 float32 forward runs as one fused product with a lazily taken gradient
 * on wasm (wasm-kernels/fused-dense.ts); relu and linear are fused, other activations follow the product.
 * Elsewhere (other backends, other ranks) it is the stock layer. It serializes as a stock `Dense` (same
 * class name and config), so saved models load anywhere.
 */
export class TrainingDense extends StockDense {
  static className = 'Dense';

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: tf.serialization.ConfigDict): tf.Tensor {
    const input = Array.isArray(inputs) ? inputs[0]! : inputs;
    if (!fusedDenseAvailable() || input.rank !== 2 || input.dtype !== 'float32')
      return super.call(inputs, kwargs) as tf.Tensor;
    const self = this as unknown as DenseFields;
    return tf.tidy(() => {
      self.invokeCallHook(inputs, kwargs);
      const activation = self.activation.getClassName();
      const fused = activation === 'relu' ? 'relu' : 'linear';
      const bias = self.bias ? (self.bias.read() as tf.Tensor1D) : null;
      const out = denseForward(input as tf.Tensor2D, self.kernel.read() as tf.Tensor2D, bias, fused);
      return activation === 'relu' || activation === 'linear' ? out : self.activation.apply(out);
    });
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

const sameShape = (a: readonly (number | null)[], b: readonly (number | null)[]) =>
  a.length === b.length && a.every((v, i) => v === b[i]);

/**
 * The model under construction: the symbolic tensor so far, the seeded initializers and the dropout layers
 * the trainer seeds. Layer builders extend it one spec layer at a time.
 */
export class ModelBuilder {
  readonly input: tf.SymbolicTensor;
  readonly dropouts: SeededDropout[] = [];
  /** Index of the spec layer being built (for error messages). */
  index = 0;
  private x: tf.SymbolicTensor;
  private readonly rng: Rng;

  constructor(
    inputShape: number[],
    seed: number,
    readonly modelStore?: string,
  ) {
    this.rng = new Rng(seed);
    this.input = tf.input({ shape: inputShape });
    this.x = this.input;
  }

  /** The per-sample shape of the current output. */
  shape(): number[] {
    return this.x.shape.slice(1) as number[];
  }

  /** The current output (after the last layer applied). */
  get output(): tf.SymbolicTensor {
    return this.x;
  }

  /** Apply a layer (or a whole base model) to the current output. */
  apply(layer: tf.layers.Layer | tf.LayersModel): void {
    this.x = layer.apply(this.x) as tf.SymbolicTensor;
  }

  /** A glorot-uniform initializer with the next seed: same seed, same order -> same initial weights. */
  init(): ReturnType<typeof tf.initializers.glorotUniform> {
    return tf.initializers.glorotUniform({ seed: this.rng.seed() });
  }

  /** Apply a seeded dropout of `rate` (registered so the trainer can seed its masks). */
  dropout(rate: number): void {
    const d = new SeededDropout({ rate });
    this.dropouts.push(d);
    this.apply(d);
  }

  /** Apply `activation` as a layer after one that took `linear` (tfjs layers have no leakyRelu by name). */
  extraActivation(extra: Activation | null): void {
    if (extra) this.apply(activationLayer(extra));
  }

  /**
   * Make the current output rank `rank` (per sample): one missing trailing axis is added as a channel of 1;
   * otherwise throws MlInputError('SHAPE_MISMATCH') asking for a reshape layer.
   */
  needRank(rank: number, what: string): void {
    const s = this.shape();
    if (s.length === rank) return;
    if (s.length === rank - 1) {
      this.apply(tf.layers.reshape({ targetShape: [...s, 1] }));
      return;
    }
    throw new MlInputError(
      'SHAPE_MISMATCH',
      `Layer ${this.index + 1} (${what}) needs ${rank}-D samples but gets shape [${s.join(', ')}]; add a reshape layer with columns`,
      { layer: this.index + 1, shape: s },
    );
  }

  /** A max or average pooling over 1 or 2 axes; strides default to the pool size. */
  pool(rank: 1 | 2, type: 'max' | 'avg', size: Kernel, strides: Kernel | undefined, padding: Padding): void {
    if (rank === 1) {
      const s = typeof size === 'number' ? size : size[0];
      const st = strides === undefined ? s : typeof strides === 'number' ? strides : strides[0];
      const args = { poolSize: s, strides: st, padding };
      this.apply(type === 'max' ? tf.layers.maxPooling1d(args) : tf.layers.averagePooling1d(args));
    } else {
      const s = pair(size);
      const args = { poolSize: s, strides: strides === undefined ? s : pair(strides), padding };
      this.apply(type === 'max' ? tf.layers.maxPooling2d(args) : tf.layers.averagePooling2d(args));
    }
  }
}

type Kernel = number | [number, number];
type Padding = 'same' | 'valid';

/** Builds one spec layer of type T onto the model (one or more tfjs layers). */
export type LayerBuilder<T extends LayerType> = (
  layer: LayerOf<T>,
  model: ModelBuilder,
) => void | Promise<void>;

function buildDense(layer: LayerOf<'dense'>, m: ModelBuilder): void {
  const { activation, extra } = inlineActivation(layer.activation);
  m.apply(
    new TrainingDense({
      units: layer.units,
      activation: activation as never,
      kernelInitializer: m.init(),
      name: layer.name,
    }),
  );
  m.extraActivation(extra);
}

function buildConv1d(layer: LayerOf<'conv1d'>, m: ModelBuilder): void {
  m.needRank(2, 'conv1d');
  const { activation, extra } = inlineActivation(layer.activation);
  for (let i = 0; i < layer.stack; i++) {
    m.apply(
      tf.layers.conv1d({
        filters: layer.filters,
        kernelSize: layer.kernelSize,
        strides: layer.strides,
        padding: layer.padding,
        activation: activation as never,
        kernelInitializer: m.init(),
      }),
    );
    m.extraActivation(extra);
  }
  if (layer.pool) m.pool(1, layer.pool.type, layer.pool.size, layer.pool.strides, layer.pool.padding);
}

function buildConv2d(layer: LayerOf<'conv2d'>, m: ModelBuilder): void {
  m.needRank(3, 'conv2d');
  const { activation, extra } = inlineActivation(layer.activation);
  for (let i = 0; i < layer.stack; i++) {
    m.apply(
      tf.layers.conv2d({
        filters: layer.filters,
        kernelSize: pair(layer.kernelSize),
        strides: pair(layer.strides),
        padding: layer.padding,
        activation: activation as never,
        kernelInitializer: m.init(),
      }),
    );
    m.extraActivation(extra);
  }
  if (layer.pool) m.pool(2, layer.pool.type, layer.pool.size, layer.pool.strides, layer.pool.padding);
}

function buildDepthwiseConv2d(layer: LayerOf<'depthwiseConv2d'>, m: ModelBuilder): void {
  m.needRank(3, 'depthwiseConv2d');
  const { activation, extra } = inlineActivation(layer.activation);
  m.apply(
    tf.layers.depthwiseConv2d({
      kernelSize: pair(layer.kernelSize),
      depthMultiplier: layer.depthMultiplier,
      strides: pair(layer.strides),
      padding: layer.padding,
      activation: activation as never,
      depthwiseInitializer: m.init(),
    }),
  );
  m.extraActivation(extra);
}

/** maxPool1d, avgPool1d, maxPool2d, avgPool2d. */
function buildPool(
  layer: LayerOf<'maxPool1d' | 'avgPool1d' | 'maxPool2d' | 'avgPool2d'>,
  m: ModelBuilder,
): void {
  const rank = layer.type.endsWith('1d') ? 1 : 2;
  m.needRank(rank + 1, layer.type);
  m.pool(rank, layer.type.startsWith('max') ? 'max' : 'avg', layer.poolSize, layer.strides, layer.padding);
}

const GLOBAL_POOLS = {
  globalAvgPool1d: [2, () => tf.layers.globalAveragePooling1d({})],
  globalMaxPool1d: [2, () => tf.layers.globalMaxPooling1d({})],
  globalAvgPool2d: [3, () => tf.layers.globalAveragePooling2d({})],
  globalMaxPool2d: [3, () => tf.layers.globalMaxPooling2d({})],
} as const;

function buildGlobalPool(layer: LayerOf<keyof typeof GLOBAL_POOLS>, m: ModelBuilder): void {
  const [rank, make] = GLOBAL_POOLS[layer.type];
  m.needRank(rank, layer.type);
  m.apply(make());
}

/** A reshape layer to the target shape inference computes (the same SHAPE_MISMATCH errors). */
function buildReshape(layer: LayerOf<'reshape'>, m: ModelBuilder): void {
  const fixed = reshapeTarget(layer, m.shape(), (message) => {
    throw new MlInputError('SHAPE_MISMATCH', `Layer ${m.index + 1} (reshape) ${message}`, {
      layer: m.index + 1,
    });
  });
  m.apply(tf.layers.reshape({ targetShape: fixed }));
}

/** A base model from the model store, frozen unless the layer says trainable; its input must fit. */
async function buildTransfer(layer: LayerOf<'transfer'>, m: ModelBuilder): Promise<void> {
  const baseModel = await loadBaseModel(layer.model, m.modelStore);
  const want = baseModel.inputs[0]!.shape.slice(1);
  if (!sameShape(want, m.shape())) {
    throw new MlInputError(
      'SHAPE_MISMATCH',
      `Base model "${layer.model}" expects input [${want.join(', ')}] but gets [${m.shape().join(', ')}]`,
      { layer: m.index + 1 },
    );
  }
  baseModel.trainable = layer.trainable;
  m.apply(baseModel);
}

/**
 * One builder per layer type of the spec (as tfjs-layers gives each layer its class and config). A new layer
 * type is a schema entry in spec.ts and a builder here; the type system insists on both.
 */
export const LAYER_BUILDERS: { [T in LayerType]: LayerBuilder<T> } = {
  dense: buildDense,
  conv1d: buildConv1d,
  conv2d: buildConv2d,
  depthwiseConv2d: buildDepthwiseConv2d,
  maxPool1d: buildPool,
  avgPool1d: buildPool,
  maxPool2d: buildPool,
  avgPool2d: buildPool,
  globalAvgPool1d: buildGlobalPool,
  globalMaxPool1d: buildGlobalPool,
  globalAvgPool2d: buildGlobalPool,
  globalMaxPool2d: buildGlobalPool,
  reshape: buildReshape,
  flatten: (_layer, m) => {
    if (m.shape().length > 1) m.apply(tf.layers.flatten());
  },
  dropout: (layer, m) => m.dropout(layer.rate),
  batchNormalization: (layer, m) => m.apply(tf.layers.batchNormalization({ momentum: layer.momentum })),
  activation: (layer, m) => m.apply(activationLayer(layer.activation, layer.name)),
  transfer: buildTransfer,
};

/** Build spec layer `layer` with its registered builder; tfjs errors become MlInputError('SHAPE_MISMATCH'). */
async function buildLayer(layer: LayerSpec, m: ModelBuilder): Promise<void> {
  try {
    await (LAYER_BUILDERS[layer.type] as LayerBuilder<LayerType>)(layer as never, m);
  } catch (error) {
    if (error instanceof MlInputError) throw error;
    throw new MlInputError(
      'SHAPE_MISMATCH',
      `Layer ${m.index + 1} (${layer.type}) cannot be built on input [${m.shape().join(', ')}]: ${(error as Error).message}`,
      { layer: m.index + 1 },
    );
  }
}

/** Flatten to one axis and apply the spec's output dropout: what comes before the head. */
function beforeHead(spec: ModelSpec, m: ModelBuilder): void {
  if (m.shape().length > 1) m.apply(tf.layers.flatten());
  if (spec.output.dropout > 0) m.dropout(spec.output.dropout);
}

/**
 * Build a tfjs model from a spec: each enabled layer by its builder in LAYER_BUILDERS, then the head derived
 * from the problem type. A final dense layer that already is a correct head is the head; one that contradicts
 * the data is refused (MlInputError). Seeded initializers make the initial weights depend only on `seed`.
 */
export async function buildModel(
  specInput: ModelSpec | unknown,
  options: BuildModelOptions,
): Promise<BuiltModel> {
  const spec = parseModelSpec(specInput);
  const m = new ModelBuilder(spec.input.shape, options.seed ?? 1, options.modelStore);
  const units = outputUnits(options.problem, options.numClasses, options.numTargets);
  const headIndex = specHeadIndex(spec, options.problem, options.numClasses ?? 0, options.numTargets ?? 0);
  for (const [index, layer] of spec.layers.entries()) {
    if (layer.enabled === false) continue;
    options.onLayer?.(index, layer);
    if (index === headIndex) beforeHead(spec, m);
    m.index = index;
    await buildLayer(layer, m);
  }
  if (headIndex < 0) {
    beforeHead(spec, m);
    const headActivation = headFor(options.problem, options.numClasses ?? 0, units).activation;
    m.apply(new TrainingDense({ units, activation: headActivation, kernelInitializer: m.init() }));
  }
  const model = tf.model({ inputs: m.input, outputs: m.output });
  return { model, dropouts: m.dropouts };
}
