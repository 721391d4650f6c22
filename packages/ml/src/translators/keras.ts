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

/**
 * Keras model JSON (what `model.to_json()` writes, Keras 2 or 3; Sequential or a linear Functional model)
 * -> our spec. The last Dense layer (and a trailing softmax/sigmoid Activation) is the output head and is
 * replaced by the head derived from the data. Layers without a spec equivalent are named in the error.
 */
export function fromKerasJson(
  input: string | object,
  options: { inputShape?: number[]; name?: string } = {},
): ModelSpec {
  const doc = parseKerasJson(input as string);
  const model =
    (doc.modelTopology as Record<string, unknown> | undefined)?.model_config ?? doc.model_config ?? doc;
  const m = model as { class_name?: string; config?: unknown };
  if (!m.class_name || !m.config)
    throw new MlInputError('INVALID_KERAS_JSON', 'Not a Keras model JSON (no class_name/config)');
  const config = m.config as { layers?: KerasLayer[]; name?: string } | KerasLayer[];
  const klayers: KerasLayer[] = Array.isArray(config) ? config : (config.layers ?? []);
  if (!['Sequential', 'Functional', 'Model'].includes(m.class_name)) {
    throw new MlInputError('INVALID_KERAS_JSON', `Unsupported Keras model class ${m.class_name}`);
  }
  let inputShape = options.inputShape;
  const layers: LayerSpec[] = [];
  const unsupported: string[] = [];
  klayers.forEach((kl, i) => {
    const c = kl.config ?? {};
    const n = i + 1;
    const batchShape = (c.batch_input_shape ?? c.batch_shape) as (number | null)[] | undefined;
    if (batchShape && !inputShape) inputShape = batchShape.slice(1) as number[];
    switch (kl.class_name) {
      case 'InputLayer':
        break;
      case 'Dense':
        layers.push({ type: 'dense', units: c.units as number, activation: activation(c.activation, n) });
        break;
      case 'Conv1D':
        layers.push({
          type: 'conv1d',
          filters: c.filters as number,
          kernelSize: first(c.kernel_size),
          strides: first(c.strides ?? 1),
          padding: (c.padding as 'same' | 'valid') ?? 'valid',
          activation: activation(c.activation, n),
          stack: 1,
          pool: null,
        });
        break;
      case 'Conv2D':
        layers.push({
          type: 'conv2d',
          filters: c.filters as number,
          kernelSize: num(c.kernel_size),
          strides: num(c.strides ?? 1),
          padding: (c.padding as 'same' | 'valid') ?? 'valid',
          activation: activation(c.activation, n),
          stack: 1,
          pool: null,
        });
        break;
      case 'DepthwiseConv2D':
        layers.push({
          type: 'depthwiseConv2d',
          kernelSize: num(c.kernel_size),
          depthMultiplier: (c.depth_multiplier as number) ?? 1,
          strides: num(c.strides ?? 1),
          padding: (c.padding as 'same' | 'valid') ?? 'valid',
          activation: activation(c.activation, n),
        });
        break;
      case 'MaxPooling1D':
      case 'AveragePooling1D':
      case 'MaxPool1D':
      case 'AvgPool1D':
        layers.push({
          type: kl.class_name.startsWith('Max') ? 'maxPool1d' : 'avgPool1d',
          poolSize: first(c.pool_size ?? 2),
          strides: c.strides == null ? undefined : first(c.strides),
          padding: (c.padding as 'same' | 'valid') ?? 'valid',
        });
        break;
      case 'MaxPooling2D':
      case 'AveragePooling2D':
      case 'MaxPool2D':
      case 'AvgPool2D':
        layers.push({
          type: kl.class_name.startsWith('Max') ? 'maxPool2d' : 'avgPool2d',
          poolSize: num(c.pool_size ?? 2),
          strides: c.strides == null ? undefined : num(c.strides),
          padding: (c.padding as 'same' | 'valid') ?? 'valid',
        });
        break;
      case 'GlobalAveragePooling1D':
        layers.push({ type: 'globalAvgPool1d' });
        break;
      case 'GlobalMaxPooling1D':
        layers.push({ type: 'globalMaxPool1d' });
        break;
      case 'GlobalAveragePooling2D':
        layers.push({ type: 'globalAvgPool2d' });
        break;
      case 'GlobalMaxPooling2D':
        layers.push({ type: 'globalMaxPool2d' });
        break;
      case 'Flatten':
        layers.push({ type: 'flatten' });
        break;
      case 'Dropout':
        layers.push({ type: 'dropout', rate: c.rate as number });
        break;
      case 'BatchNormalization':
        layers.push({ type: 'batchNormalization', momentum: (c.momentum as number) ?? 0.99 });
        break;
      case 'Activation':
        layers.push({ type: 'activation', activation: activation(c.activation, n) });
        break;
      case 'ReLU':
        layers.push({ type: 'activation', activation: 'relu' });
        break;
      case 'LeakyReLU':
        layers.push({ type: 'activation', activation: 'leakyRelu' });
        break;
      case 'Softmax':
        layers.push({ type: 'activation', activation: 'softmax' });
        break;
      case 'Reshape':
        layers.push({ type: 'reshape', targetShape: c.target_shape as number[] });
        break;
      default:
        unsupported.push(`${kl.class_name} (layer ${n})`);
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
  if (!inputShape)
    throw new MlInputError('INVALID_KERAS_JSON', 'The Keras JSON has no input shape; pass inputShape');
  return parseModelSpec({
    format: SPEC_FORMAT,
    version: SPEC_VERSION,
    name: options.name ?? (config as { name?: string }).name,
    input: { shape: inputShape },
    layers,
  });
}
