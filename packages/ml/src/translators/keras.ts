import { MlInputError } from '../errors.ts';
import {
  parseModelSpec,
  SPEC_FORMAT,
  SPEC_VERSION,
  type Activation,
  type LayerSpec,
  type ModelSpec,
} from '../spec.ts';

type KerasLayer = { class_name: string; config: Record<string, unknown>; inbound_nodes?: unknown };

const ACTIVATIONS: Record<string, Activation> = {
  relu: 'relu',
  relu6: 'relu6',
  elu: 'elu',
  selu: 'selu',
  leaky_relu: 'leakyRelu',
  sigmoid: 'sigmoid',
  tanh: 'tanh',
  softmax: 'softmax',
  softplus: 'softplus',
  softsign: 'softsign',
  swish: 'swish',
  silu: 'swish',
  gelu: 'gelu',
  linear: 'linear',
};

const PYTHON_HINT =
  'Expert-mode Python scripts cannot run here. Build the model in Python and upload its JSON instead: ' +
  '`print(model.to_json())` (Keras model JSON), or the architecture in our spec format.';

/** Parse Keras `model.to_json()` text, recognizing a Python script and explaining the JSON form instead. */
export function parseKerasJson(text: string | object): Record<string, unknown> {
  if (typeof text !== 'string') return text as Record<string, unknown>;
  try {
    return JSON.parse(text);
  } catch {
    if (/^\s*(import |from \S+ import |def |class |#|model\s*=)|\bmodel\.add\(|\bkeras\b/m.test(text)) {
      throw new MlInputError('EXPERT_MODE_PYTHON', PYTHON_HINT);
    }
    throw new MlInputError(
      'INVALID_KERAS_JSON',
      'The Keras model is not valid JSON (expected the output of model.to_json())',
    );
  }
}

function activation(name: unknown, layer: number): Activation {
  const key =
    typeof name === 'string'
      ? name
      : ((name as { config?: { name?: string } } | null)?.config?.name ?? 'linear');
  const a = ACTIVATIONS[key];
  if (!a)
    throw new MlInputError(
      'UNSUPPORTED_LAYER',
      `Keras layer ${layer}: activation "${key}" is not supported`,
      { layer },
    );
  return a;
}

const num = (v: unknown): number | [number, number] =>
  Array.isArray(v) ? (v.length === 1 ? (v[0] as number) : [v[0] as number, v[1] as number]) : (v as number);
const first = (v: unknown): number => (Array.isArray(v) ? (v[0] as number) : (v as number));

type KerasConfig = Record<string, unknown>;
const padding = (c: KerasConfig) => (c.padding as 'same' | 'valid') ?? 'valid';

function conv(type: 'conv1d' | 'conv2d', size: (v: unknown) => number | [number, number]) {
  return (c: KerasConfig, n: number): LayerSpec =>
    ({
      type,
      filters: c.filters as number,
      kernelSize: size(c.kernel_size),
      strides: size(c.strides ?? 1),
      padding: padding(c),
      activation: activation(c.activation, n),
      stack: 1,
      pool: null,
    }) as LayerSpec;
}

function pool(dims: 1 | 2) {
  const size = dims === 1 ? first : num;
  return (c: KerasConfig, _n: number, className: string): LayerSpec =>
    ({
      type: `${className.startsWith('Max') ? 'max' : 'avg'}Pool${dims}d`,
      poolSize: size(c.pool_size ?? 2),
      strides: c.strides == null ? undefined : size(c.strides),
      padding: padding(c),
    }) as LayerSpec;
}

const fixed = (layer: LayerSpec) => (): LayerSpec => ({ ...layer });

/**
 * Each supported Keras layer class -> our layer (null for one with no layer of its own, InputLayer). A class
 * missing here has no spec equivalent.
 */
const KERAS_LAYERS: Record<string, (c: KerasConfig, n: number, className: string) => LayerSpec | null> = {
  InputLayer: () => null,
  Dense: (c, n) => ({ type: 'dense', units: c.units as number, activation: activation(c.activation, n) }),
  Conv1D: conv('conv1d', first),
  Conv2D: conv('conv2d', num),
  DepthwiseConv2D: (c, n) => ({
    type: 'depthwiseConv2d',
    kernelSize: num(c.kernel_size),
    depthMultiplier: (c.depth_multiplier as number) ?? 1,
    strides: num(c.strides ?? 1),
    padding: padding(c),
    activation: activation(c.activation, n),
  }),
  MaxPooling1D: pool(1),
  AveragePooling1D: pool(1),
  MaxPool1D: pool(1),
  AvgPool1D: pool(1),
  MaxPooling2D: pool(2),
  AveragePooling2D: pool(2),
  MaxPool2D: pool(2),
  AvgPool2D: pool(2),
  GlobalAveragePooling1D: fixed({ type: 'globalAvgPool1d' }),
  GlobalMaxPooling1D: fixed({ type: 'globalMaxPool1d' }),
  GlobalAveragePooling2D: fixed({ type: 'globalAvgPool2d' }),
  GlobalMaxPooling2D: fixed({ type: 'globalMaxPool2d' }),
  Flatten: fixed({ type: 'flatten' }),
  Dropout: (c) => ({ type: 'dropout', rate: c.rate as number }),
  BatchNormalization: (c) => ({ type: 'batchNormalization', momentum: (c.momentum as number) ?? 0.99 }),
  Activation: (c, n) => ({ type: 'activation', activation: activation(c.activation, n) }),
  ReLU: fixed({ type: 'activation', activation: 'relu' }),
  LeakyReLU: fixed({ type: 'activation', activation: 'leakyRelu' }),
  Softmax: fixed({ type: 'activation', activation: 'softmax' }),
  Reshape: (c) => ({ type: 'reshape', targetShape: c.target_shape as number[] }),
};

/** A Keras model's layers, model name and input shape (from its first batch shape), before our checks. */
export interface KerasArchitecture {
  name?: string;
  inputShape?: number[];
  layers: LayerSpec[];
}

/** The Keras model config inside a `model.to_json()` document (or a tfjs model.json's topology). */
function kerasModelConfig(input: string | object): { klayers: KerasLayer[]; name?: string } {
  const doc = parseKerasJson(input as string);
  const model =
    (doc.modelTopology as Record<string, unknown> | undefined)?.model_config ?? doc.model_config ?? doc;
  const m = model as { class_name?: string; config?: unknown };
  if (!m.class_name || !m.config)
    throw new MlInputError('INVALID_KERAS_JSON', 'Not a Keras model JSON (no class_name/config)');
  const config = m.config as { layers?: KerasLayer[]; name?: string } | KerasLayer[];
  if (!['Sequential', 'Functional', 'Model'].includes(m.class_name)) {
    throw new MlInputError('INVALID_KERAS_JSON', `Unsupported Keras model class ${m.class_name}`);
  }
  return {
    klayers: Array.isArray(config) ? config : (config.layers ?? []),
    ...(Array.isArray(config) || config.name === undefined ? {} : { name: config.name }),
  };
}

/**
 * Keras model JSON (what `model.to_json()` writes, Keras 2 or 3; Sequential or a linear Functional model)
 * -> our layers, without the output head: the last Dense layer (and a trailing softmax/sigmoid Activation)
 * is replaced by the head derived from the data. Throws MlInputError: INVALID_KERAS_JSON for a document that
 * is not a Keras model, EXPERT_MODE_PYTHON for a Python script, UNSUPPORTED_LAYER naming every layer without
 * a spec equivalent.
 */
export function kerasArchitecture(input: string | object): KerasArchitecture {
  const { klayers, name } = kerasModelConfig(input);
  let inputShape: number[] | undefined;
  const layers: LayerSpec[] = [];
  const unsupported: string[] = [];
  klayers.forEach((kl, i) => {
    const c = kl.config ?? {};
    const batchShape = (c.batch_input_shape ?? c.batch_shape) as (number | null)[] | undefined;
    if (batchShape && !inputShape) inputShape = batchShape.slice(1) as number[];
    // Own keys only: a class named like an Object.prototype member is unsupported, not a function.
    const convert = Object.hasOwn(KERAS_LAYERS, kl.class_name) ? KERAS_LAYERS[kl.class_name] : undefined;
    if (!convert) unsupported.push(`${kl.class_name} (layer ${i + 1})`);
    else {
      const layer = convert(c, i + 1, kl.class_name);
      if (layer) layers.push(layer);
    }
  });
  if (unsupported.length) {
    throw new MlInputError(
      'UNSUPPORTED_LAYER',
      `Keras layers without a spec equivalent: ${unsupported.join(', ')}`,
      { layers: unsupported },
    );
  }
  // Drop the output head: trailing activation layers and the last Dense.
  while (layers.length && layers[layers.length - 1]!.type === 'activation') layers.pop();
  if (layers.length && layers[layers.length - 1]!.type === 'dense') layers.pop();
  return { ...(name !== undefined ? { name } : {}), ...(inputShape ? { inputShape } : {}), layers };
}

/**
 * Keras model JSON -> our spec (see kerasArchitecture). The input shape is `options.inputShape`, else the
 * model's own batch shape; MlInputError('INVALID_KERAS_JSON') when neither is there.
 */
export function fromKerasJson(
  input: string | object,
  options: { inputShape?: number[]; name?: string } = {},
): ModelSpec {
  const keras = kerasArchitecture(input);
  const inputShape = options.inputShape ?? keras.inputShape;
  if (!inputShape)
    throw new MlInputError('INVALID_KERAS_JSON', 'The Keras JSON has no input shape; pass inputShape');
  return parseModelSpec({
    format: SPEC_FORMAT,
    version: SPEC_VERSION,
    name: options.name ?? keras.name,
    input: { shape: inputShape },
    layers: keras.layers,
  });
}
