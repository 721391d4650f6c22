// The architecture editor's model: layers of the `trainhub.architecture` spec (packages/ml's format) with
// each layer's output shape and parameter count, computed here without TensorFlow.js so it runs in the
// browser (`@trainhub/ml/spec` is the spec alone, without TensorFlow.js). packages/ml validates again when
// the model is built.
import { activationSchema, SPEC_FORMAT, SPEC_VERSION, type LayerType } from '@trainhub/ml/spec';

/**
 * The layer types the editor offers: those of the spec, less transfer learning (a base model from the model
 * store, set through the Edge Impulse style's Keras-like layers).
 */
export const LAYER_TYPES = [
  'dense',
  'conv1d',
  'conv2d',
  'depthwiseConv2d',
  'reshape',
  'flatten',
  'dropout',
  'batchNormalization',
  'maxPool1d',
  'avgPool1d',
  'maxPool2d',
  'avgPool2d',
  'globalAvgPool1d',
  'globalMaxPool1d',
  'globalAvgPool2d',
  'globalMaxPool2d',
  'activation',
] as const satisfies readonly LayerType[];
export type EditorLayerType = (typeof LAYER_TYPES)[number];

export const ACTIVATIONS = activationSchema.options;

export interface EditorLayer {
  type: string;
  enabled?: boolean;
  units?: number;
  filters?: number;
  kernelSize?: number;
  depthMultiplier?: number;
  strides?: number;
  padding?: 'same' | 'valid';
  activation?: string;
  stack?: number;
  pool?: { type: 'max' | 'avg'; size: number } | null;
  poolSize?: number;
  columns?: number;
  rate?: number;
  momentum?: number;
  [key: string]: unknown;
}

export function defaultLayer(type: EditorLayerType): EditorLayer {
  switch (type) {
    case 'dense':
      return { type, units: 16, activation: 'relu' };
    case 'conv1d':
    case 'conv2d':
      return {
        type,
        filters: 8,
        kernelSize: 3,
        activation: 'relu',
        stack: 1,
        pool: { type: 'max', size: 2 },
      };
    case 'depthwiseConv2d':
      return { type, kernelSize: 3, depthMultiplier: 1, activation: 'relu' };
    case 'reshape':
      return { type, columns: 1 };
    case 'dropout':
      return { type, rate: 0.25 };
    case 'batchNormalization':
      return { type, momentum: 0.99 };
    case 'maxPool1d':
    case 'avgPool1d':
    case 'maxPool2d':
    case 'avgPool2d':
      return { type, poolSize: 2 };
    case 'activation':
      return { type, activation: 'relu' };
    default:
      return { type };
  }
}

export interface LayerInfo {
  shape: number[] | null;
  params: number;
  error?: string;
}

const prod = (s: number[]) => s.reduce((a, b) => a * b, 1);
const out = (size: number, k: number, s: number, padding: string) =>
  padding === 'valid' ? Math.floor((size - k) / s) + 1 : Math.ceil(size / s);

/** Output shape and parameter count of each layer, and of the derived head. */
export function analyze(
  input: number[],
  layers: EditorLayer[],
  head: { problemType: string; outputs: number },
): { layers: LayerInfo[]; head: LayerInfo; total: number; valid: boolean } {
  let shape: number[] | null = input.length ? [...input] : null;
  const infos: LayerInfo[] = [];
  let total = 0;
  let valid = shape !== null;
  for (const layer of layers) {
    if (layer.enabled === false || !shape) {
      infos.push({ shape, params: 0, ...(shape ? {} : { error: 'no input shape' }) });
      continue;
    }
    const info = step(shape, layer);
    if (info.error || !info.shape || info.shape.some((d) => !Number.isFinite(d) || d < 1)) {
      valid = false;
      infos.push({ shape: null, params: 0, error: info.error ?? 'the output would be empty' });
      shape = null;
      continue;
    }
    total += info.params;
    shape = info.shape;
    infos.push(info);
  }
  let headInfo: LayerInfo = { shape: null, params: 0 };
  if (shape) {
    const units = head.problemType === 'binary' ? 1 : Math.max(1, head.outputs);
    const inputs = prod(shape);
    headInfo = { shape: [units], params: inputs * units + units };
    total += headInfo.params;
  }
  return { layers: infos, head: headInfo, total, valid };
}

function step(shape: number[], layer: EditorLayer): LayerInfo {
  const num = (v: unknown, d: number) => (typeof v === 'number' && Number.isFinite(v) ? v : d);
  switch (layer.type) {
    case 'dense': {
      const units = num(layer.units, 0);
      if (units < 1) return { shape: null, params: 0, error: 'units must be at least 1' };
      const last = shape[shape.length - 1]!;
      return { shape: [...shape.slice(0, -1), units], params: last * units + units };
    }
    case 'conv1d':
    case 'conv2d': {
      const rank = layer.type === 'conv1d' ? 1 : 2;
      let s = shape.length === rank ? [...shape, 1] : [...shape];
      if (s.length !== rank + 1)
        return {
          shape: null,
          params: 0,
          error: `${layer.type} needs ${rank === 1 ? '[steps, channels]' : '[height, width, channels]'} input; add a reshape`,
        };
      const filters = num(layer.filters, 0);
      const k = num(layer.kernelSize, 3);
      const stride = num(layer.strides, 1);
      const padding = layer.padding ?? 'same';
      let params = 0;
      for (let i = 0; i < num(layer.stack, 1); i++) {
        const channels = s[s.length - 1]!;
        params += k ** rank * channels * filters + filters;
        s = [...s.slice(0, rank).map((d) => out(d, k, stride, padding)), filters];
      }
      if (layer.pool) {
        const size = num(layer.pool.size, 2);
        s = [...s.slice(0, rank).map((d) => out(d, size, size, 'same')), filters];
      }
      return { shape: s, params };
    }
    case 'depthwiseConv2d': {
      const s = shape.length === 2 ? [...shape, 1] : shape;
      if (s.length !== 3)
        return {
          shape: null,
          params: 0,
          error: 'depthwiseConv2d needs [height, width, channels] input; add a reshape',
        };
      const k = num(layer.kernelSize, 3);
      const stride = num(layer.strides, 1);
      const channels = s[2]! * num(layer.depthMultiplier, 1);
      // One k x k filter per input channel and multiplier, plus a bias per output channel (as Keras counts).
      return {
        shape: [...s.slice(0, 2).map((d) => out(d, k, stride, layer.padding ?? 'same')), channels],
        params: k * k * channels + channels,
      };
    }
    case 'maxPool1d':
    case 'avgPool1d':
    case 'maxPool2d':
    case 'avgPool2d': {
      const rank = layer.type.endsWith('1d') ? 1 : 2;
      const s = shape.length === rank ? [...shape, 1] : shape;
      if (s.length !== rank + 1)
        return { shape: null, params: 0, error: `${layer.type} needs a rank-${rank + 1} input` };
      const size = num(layer.poolSize, 2);
      return {
        shape: [...s.slice(0, rank).map((d) => out(d, size, size, layer.padding ?? 'valid')), s[rank]!],
        params: 0,
      };
    }
    case 'globalAvgPool1d':
    case 'globalMaxPool1d':
    case 'globalAvgPool2d':
    case 'globalMaxPool2d':
      if (shape.length < 2) return { shape: null, params: 0, error: 'global pooling needs channels' };
      return { shape: [shape[shape.length - 1]!], params: 0 };
    case 'reshape': {
      const columns = num(layer.columns, 0);
      const size = prod(shape);
      if (columns < 1 || size % columns !== 0)
        return { shape: null, params: 0, error: `${size} values do not split into rows of ${columns}` };
      return { shape: [size / columns, columns], params: 0 };
    }
    case 'flatten':
      return { shape: [prod(shape)], params: 0 };
    case 'dropout': {
      const rate = num(layer.rate, 0);
      if (rate < 0 || rate >= 1) return { shape: null, params: 0, error: 'the rate is a fraction below 1' };
      return { shape, params: 0 };
    }
    case 'batchNormalization':
      return { shape, params: 4 * shape[shape.length - 1]! };
    case 'activation':
      return { shape, params: 0 };
    default:
      return { shape: null, params: 0, error: `the editor does not know ${layer.type} layers` };
  }
}

/** The spec saved as an `.architecture` resource. */
export function toSpec(name: string, input: number[], layers: EditorLayer[]) {
  return {
    format: SPEC_FORMAT,
    version: SPEC_VERSION,
    name,
    input: { shape: input },
    layers: layers.map((l) => Object.fromEntries(Object.entries(l).filter(([, v]) => v !== undefined))),
    output: { dropout: 0 },
  };
}

/** The layers of a stored spec (our format, or a bare list), or null when it is not one. */
export function layersOfSpec(value: unknown): { input: number[]; layers: EditorLayer[] } | null {
  if (Array.isArray(value)) return { input: [], layers: value as EditorLayer[] };
  if (!value || typeof value !== 'object') return null;
  const spec = value as { input?: { shape?: unknown }; layers?: unknown };
  if (!Array.isArray(spec.layers)) return null;
  const shape = Array.isArray(spec.input?.shape) ? (spec.input.shape as number[]) : [];
  return { input: shape, layers: spec.layers as EditorLayer[] };
}

export function shapeText(shape: number[] | null): string {
  return shape ? `(${shape.join(', ')})` : '—';
}

/**
 * The Train form's simple mode, "16, 8 tanh" (units per dense layer, an optional activation; relu when
 * absent), as dense layers. A part that is not a number of units keeps NaN, for the input schema to name.
 */
export function parseDenseLayers(text: string) {
  return text
    .split(/[,\n]/)
    .map((part) => part.trim())
    .filter(Boolean)
    .map((part) => {
      const [units = '', activation = 'relu'] = part.split(/\s+/);
      return { type: 'dense' as const, units: /^\d+$/.test(units) ? Number(units) : Number.NaN, activation };
    });
}
