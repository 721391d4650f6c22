import { MlInputError } from './errors.ts';
import { parseModelSpec, type LayerSpec, type ModelSpec, type ProblemType } from './spec.ts';

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
  const fail = (index: number, message: string): never => {
    throw new MlInputError('SHAPE_MISMATCH', `Layer ${index + 1} (${spec.layers[index]!.type}) ${message}`, {
      layer: index + 1,
      field: `layers[${index}]`,
    });
  };
  const rank = (index: number, want: number) => {
    const s = shape!;
    if (s.length === want) return s;
    if (s.length === want - 1) return [...s, 1];
    return fail(
      index,
      `needs ${want}-D samples but gets shape [${s.join(', ')}]; add a reshape layer with columns`,
    );
  };
  const spatial = (
    index: number,
    s: number[],
    kernel: number[],
    strides: number[],
    padding: 'same' | 'valid',
  ) => {
    const dims = s.slice(0, kernel.length).map((size, i) => outLen(size, kernel[i]!, strides[i]!, padding));
    if (dims.some((d) => d < 1))
      fail(index, `has a window of [${kernel.join(', ')}] larger than its input [${s.join(', ')}]`);
    return dims;
  };
  for (const [index, layer] of spec.layers.entries()) {
    if (layer.enabled === false) continue;
    if (shape === null) {
      out.push({ layer: index + 1, type: layer.type, shape: null });
      continue;
    }
    switch (layer.type) {
      case 'dense':
        // The head gets flattened input (buildModel flattens before it).
        shape = index === head ? [layer.units] : [...shape.slice(0, -1), layer.units];
        break;
      case 'conv1d': {
        let s = rank(index, 2);
        for (let i = 0; i < layer.stack; i++)
          s = [...spatial(index, s, [layer.kernelSize], [layer.strides], layer.padding), layer.filters];
        if (layer.pool) {
          const size = layer.pool.size;
          s = [...spatial(index, s, [size], [layer.pool.strides ?? size], layer.pool.padding), s[1]!];
        }
        shape = s;
        break;
      }
      case 'conv2d': {
        let s = rank(index, 3);
        for (let i = 0; i < layer.stack; i++)
          s = [
            ...spatial(index, s, pair(layer.kernelSize), pair(layer.strides), layer.padding),
            layer.filters,
          ];
        if (layer.pool) {
          const size = pair(layer.pool.size);
          const st = layer.pool.strides ? pair(layer.pool.strides) : size;
          s = [...spatial(index, s, size, st, layer.pool.padding), s[2]!];
        }
        shape = s;
        break;
      }
      case 'depthwiseConv2d': {
        const s = rank(index, 3);
        shape = [
          ...spatial(index, s, pair(layer.kernelSize), pair(layer.strides), layer.padding),
          s[2]! * layer.depthMultiplier,
        ];
        break;
      }
      case 'maxPool1d':
      case 'avgPool1d': {
        const s = rank(index, 2);
        const size = typeof layer.poolSize === 'number' ? layer.poolSize : layer.poolSize[0];
        const st =
          layer.strides === undefined
            ? size
            : typeof layer.strides === 'number'
              ? layer.strides
              : layer.strides[0];
        shape = [...spatial(index, s, [size], [st], layer.padding), s[1]!];
        break;
      }
      case 'maxPool2d':
      case 'avgPool2d': {
        const s = rank(index, 3);
        const size = pair(layer.poolSize);
        shape = [
          ...spatial(index, s, size, layer.strides ? pair(layer.strides) : size, layer.padding),
          s[2]!,
        ];
        break;
      }
      case 'globalAvgPool1d':
      case 'globalMaxPool1d':
        shape = [rank(index, 2)[1]!];
        break;
      case 'globalAvgPool2d':
      case 'globalMaxPool2d':
        shape = [rank(index, 3)[2]!];
        break;
      case 'reshape': {
        const size: number = shape.reduce((a, b) => a * b, 1);
        let target: number[];
        if (layer.targetShape) target = layer.targetShape;
        else if (layer.columns) {
          if (size % layer.columns !== 0)
            fail(index, `has columns ${layer.columns}, which does not divide the ${size} values per sample`);
          target = [size / layer.columns, layer.columns];
        } else return fail(index, 'needs columns or targetShape');
        const known = target.filter((v) => v !== -1).reduce((a, b) => a * b, 1);
        const fixed: number[] = target.map((v) => (v === -1 ? size / known : v));
        if (fixed.reduce((a, b) => a * b, 1) !== size || fixed.some((v) => !Number.isInteger(v) || v <= 0))
          fail(index, `cannot reshape [${shape.join(', ')}] to [${target.join(', ')}]`);
        shape = fixed;
        break;
      }
      case 'flatten':
        shape = [shape.reduce((a, b) => a * b, 1)];
        break;
      case 'transfer':
        shape = null;
        break;
      default:
        break; // dropout, batchNormalization, activation keep the shape
    }
    out.push({ layer: index + 1, type: layer.type, shape: shape ? [...shape] : null });
  }
  if (head < 0) {
    const want = headFor(options.problem, options.numClasses, options.numTargets);
    out.push({ layer: spec.layers.length + 1, type: 'head', shape: [want.units] });
  }
  return out;
}
