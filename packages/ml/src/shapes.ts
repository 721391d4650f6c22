import { MlInputError } from './errors.ts';
import {
  parseModelSpec,
  type LayerSpec,
  type LayerOf,
  type LayerType,
  type ModelSpec,
  type ProblemType,
} from './spec.ts';

// Shape inference of a model spec without TensorFlow.js: what each layer outputs for one sample, and whether
// the spec's final layer already is the output head. The web process checks a training request with it
// before anything is written; layers.ts builds the same model and agrees with it.

/** The output units and activation the data asks of the head. */
export function headFor(
  problem: ProblemType,
  numClasses: number,
  numTargets: number,
): { units: number; activation: 'softmax' | 'sigmoid' | 'linear' } {
  if (problem === 'binary') return { units: 1, activation: 'sigmoid' };
  if (problem === 'classification') return { units: numClasses, activation: 'softmax' };
  return { units: Math.max(1, numTargets), activation: 'linear' };
}

/**
 * Whether the spec's last enabled layer is the output head: a dense layer with the head's units and
 * activation is used as the head (the platform adds none); a dense softmax layer (or a sigmoid unit for a
 * binary problem) that contradicts the data is refused naming the layer; anything else is a hidden layer
 * and the platform adds the head after it. Returns the index of the head layer in `spec.layers`, or -1.
 */
export function specHeadIndex(
  spec: ModelSpec,
  problem: ProblemType,
  numClasses: number,
  numTargets: number,
): number {
  let index = -1;
  for (let i = spec.layers.length - 1; i >= 0; i--) {
    if (spec.layers[i]!.enabled !== false) {
      index = i;
      break;
    }
  }
  if (index < 0) return -1;
  const layer = spec.layers[index]!;
  if (layer.type !== 'dense') return -1;
  const want = headFor(problem, numClasses, numTargets);
  if (layer.units === want.units && layer.activation === want.activation) return index;
  const looksLikeHead =
    layer.activation === 'softmax' || (layer.activation === 'sigmoid' && layer.units === 1);
  if (!looksLikeHead) return -1;
  const what =
    problem === 'regression'
      ? `a regression on ${want.units} target column${want.units === 1 ? '' : 's'} needs a linear output`
      : problem === 'binary'
        ? 'a binary problem needs one sigmoid unit'
        : `the data has ${numClasses} classes, so the output layer needs ${numClasses} softmax units`;
  throw new MlInputError(
    'SHAPE_MISMATCH',
    `Layer ${index + 1} (dense, ${layer.units} ${layer.activation} unit${layer.units === 1 ? '' : 's'}) is an output layer that contradicts the data: ${what}`,
    { layer: index + 1, field: `layers[${index}]` },
  );
}

export interface LayerShape {
  /** 1-based position in spec.layers. */
  layer: number;
  type: LayerSpec['type'] | 'head';
  /** Output shape of one sample; null where it cannot be known without the base model (transfer). */
  shape: number[] | null;
}

function pair(v: number | [number, number]): [number, number] {
  return typeof v === 'number' ? [v, v] : v;
}

function outLen(size: number, kernel: number, stride: number, padding: 'same' | 'valid'): number {
  return padding === 'same' ? Math.ceil(size / stride) : Math.floor((size - kernel) / stride) + 1;
}

/** What a shape rule sees: the layer's index, the shape it gets, and whether it is the head. */
interface ShapeInput {
  index: number;
  shape: number[];
  isHead: boolean;
  /** Throws MlInputError('SHAPE_MISMATCH') naming the layer. */
  fail(message: string): never;
}

/** Output shape of one layer type for one sample (null: unknown without loading a model). */
type ShapeRule<T extends LayerType> = (layer: LayerOf<T>, at: ShapeInput) => number[] | null;

/** The input as `want`-D samples: one missing trailing axis becomes a channel of 1 (as buildModel adds). */
function rank(at: ShapeInput, want: number): number[] {
  const s = at.shape;
  if (s.length === want) return s;
  if (s.length === want - 1) return [...s, 1];
  return at.fail(
    `needs ${want}-D samples but gets shape [${s.join(', ')}]; add a reshape layer with columns`,
  );
}

/** The spatial output sizes of a window (kernel or pool) over the leading axes of `s`; refuses a too-large one. */
function spatial(
  at: ShapeInput,
  s: number[],
  kernel: number[],
  strides: number[],
  padding: 'same' | 'valid',
) {
  const dims = s.slice(0, kernel.length).map((size, i) => outLen(size, kernel[i]!, strides[i]!, padding));
  if (dims.some((d) => d < 1))
    at.fail(`has a window of [${kernel.join(', ')}] larger than its input [${s.join(', ')}]`);
  return dims;
}

const first = (v: number | [number, number]) => (typeof v === 'number' ? v : v[0]);

const conv1dShape: ShapeRule<'conv1d'> = (layer, at) => {
  let s = rank(at, 2);
  for (let i = 0; i < layer.stack; i++)
    s = [...spatial(at, s, [layer.kernelSize], [layer.strides], layer.padding), layer.filters];
  if (layer.pool) {
    const size = layer.pool.size;
    s = [...spatial(at, s, [size], [layer.pool.strides ?? size], layer.pool.padding), s[1]!];
  }
  return s;
};

const conv2dShape: ShapeRule<'conv2d'> = (layer, at) => {
  let s = rank(at, 3);
  for (let i = 0; i < layer.stack; i++)
    s = [...spatial(at, s, pair(layer.kernelSize), pair(layer.strides), layer.padding), layer.filters];
  if (layer.pool) {
    const size = pair(layer.pool.size);
    const st = layer.pool.strides ? pair(layer.pool.strides) : size;
    s = [...spatial(at, s, size, st, layer.pool.padding), s[2]!];
  }
  return s;
};

const pool1dShape: ShapeRule<'maxPool1d' | 'avgPool1d'> = (layer, at) => {
  const s = rank(at, 2);
  const size = first(layer.poolSize);
  const st = layer.strides === undefined ? size : first(layer.strides);
  return [...spatial(at, s, [size], [st], layer.padding), s[1]!];
};

const pool2dShape: ShapeRule<'maxPool2d' | 'avgPool2d'> = (layer, at) => {
  const s = rank(at, 3);
  const size = pair(layer.poolSize);
  return [...spatial(at, s, size, layer.strides ? pair(layer.strides) : size, layer.padding), s[2]!];
};

/**
 * The per-sample shape a reshape layer makes of `shape`: its targetShape (one -1 inferred) or
 * [size / columns, columns]. `fail` is called (and throws) when neither is given, columns do not divide the
 * values, or the target does not hold them. Shape inference and the model builder both use it.
 */
export function reshapeTarget(
  layer: LayerOf<'reshape'>,
  shape: number[],
  fail: (message: string) => never,
): number[] {
  const size: number = shape.reduce((a, b) => a * b, 1);
  let target: number[];
  if (layer.targetShape) target = layer.targetShape;
  else if (layer.columns) {
    if (size % layer.columns !== 0)
      fail(`has columns ${layer.columns}, which does not divide the ${size} values per sample`);
    target = [size / layer.columns, layer.columns];
  } else return fail('needs columns or targetShape');
  const known = target.filter((v) => v !== -1).reduce((a, b) => a * b, 1);
  const fixed: number[] = target.map((v) => (v === -1 ? size / known : v));
  if (fixed.reduce((a, b) => a * b, 1) !== size || fixed.some((v) => !Number.isInteger(v) || v <= 0))
    fail(`cannot reshape [${shape.join(', ')}] to [${target.join(', ')}]`);
  return fixed;
}

const keepShape = (_layer: unknown, at: ShapeInput) => at.shape;

/** One shape rule per layer type, as layers.ts has one builder per type (the two must agree). */
const LAYER_SHAPES: { [T in LayerType]: ShapeRule<T> } = {
  // The head gets flattened input (buildModel flattens before it).
  dense: (layer, at) => (at.isHead ? [layer.units] : [...at.shape.slice(0, -1), layer.units]),
  conv1d: conv1dShape,
  conv2d: conv2dShape,
  depthwiseConv2d: (layer, at) => {
    const s = rank(at, 3);
    const dims = spatial(at, s, pair(layer.kernelSize), pair(layer.strides), layer.padding);
    return [...dims, s[2]! * layer.depthMultiplier];
  },
  maxPool1d: pool1dShape,
  avgPool1d: pool1dShape,
  maxPool2d: pool2dShape,
  avgPool2d: pool2dShape,
  globalAvgPool1d: (_layer, at) => [rank(at, 2)[1]!],
  globalMaxPool1d: (_layer, at) => [rank(at, 2)[1]!],
  globalAvgPool2d: (_layer, at) => [rank(at, 3)[2]!],
  globalMaxPool2d: (_layer, at) => [rank(at, 3)[2]!],
  reshape: (layer, at) => reshapeTarget(layer, at.shape, at.fail),
  flatten: (_layer, at) => [at.shape.reduce((a, b) => a * b, 1)],
  dropout: keepShape,
  batchNormalization: keepShape,
  activation: keepShape,
  // The base model's output is known only once it is loaded (the trainer checks it then).
  transfer: () => null,
};

/**
 * Every layer's output shape for one sample, from the input shape to the head, as `buildModel` builds it.
 * Throws `MlInputError('SHAPE_MISMATCH')` naming the layer that cannot take its input (a reshape whose columns
 * do not divide the values, a kernel larger than its input, a final layer that contradicts the data).
 */
export function inferShapes(
  specInput: unknown,
  options: { problem: ProblemType; numClasses: number; numTargets: number },
): LayerShape[] {
  const spec = parseModelSpec(specInput);
  const head = specHeadIndex(spec, options.problem, options.numClasses, options.numTargets);
  let shape: number[] | null = [...spec.input.shape];
  const out: LayerShape[] = [];
  for (const [index, layer] of spec.layers.entries()) {
    if (layer.enabled === false) continue;
    if (shape !== null) {
      const at: ShapeInput = {
        index,
        shape,
        isHead: index === head,
        fail: (message) => {
          throw new MlInputError('SHAPE_MISMATCH', `Layer ${index + 1} (${layer.type}) ${message}`, {
            layer: index + 1,
            field: `layers[${index}]`,
          });
        },
      };
      shape = (LAYER_SHAPES[layer.type] as ShapeRule<LayerType>)(layer as never, at);
    }
    out.push({ layer: index + 1, type: layer.type, shape: shape ? [...shape] : null });
  }
  if (head < 0) {
    const want = headFor(options.problem, options.numClasses, options.numTargets);
    out.push({ layer: spec.layers.length + 1, type: 'head', shape: [want.units] });
  }
  return out;
}
