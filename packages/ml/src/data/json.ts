import { MlInputError } from '../errors.ts';
import { sampleSize, type Dataset } from './types.ts';

export interface JsonDataOptions {
  /** 'categorical' (labels are class names) or 'numeric' (regression targets). Default categorical. */
  labelKind?: 'categorical' | 'numeric';
  /** Reshape each (flat) sample to this shape. Default: the nesting of the first sample. */
  sampleShape?: number[];
}

type Json = unknown;

function shapeOf(value: Json): number[] {
  const shape: number[] = [];
  let v = value;
  while (Array.isArray(v)) {
    shape.push(v.length);
    v = v[0];
  }
  return shape;
}

/** The JSON document of `input` (parsed when it is text); MlInputError when empty or not JSON. */
function parseDocument(input: string | Json): Json {
  if (typeof input !== 'string') return input;
  if (input.trim() === '') throw new MlInputError('EMPTY_DATA', 'The JSON data is empty');
  try {
    return JSON.parse(input);
  } catch (error) {
    throw new MlInputError('INVALID_DATA', `The data is not valid JSON: ${(error as Error).message}`);
  }
}

/** Samples and labels of either form (`{x, y}` arrays or `[{x, y}]` objects); MlInputError otherwise. */
function samplesAndLabels(doc: Json): { xs: Json[]; ys: Json[] } {
  if (Array.isArray(doc)) {
    const xs: Json[] = [];
    const ys: Json[] = [];
    doc.forEach((item, i) => {
      if (typeof item !== 'object' || item === null) {
        throw new MlInputError('INVALID_DATA', `Sample ${i + 1} is not an object with x and y`, { row: i + 1 });
      }
      const o = item as Record<string, Json>;
      xs.push(o.x ?? o.features);
      ys.push(o.y ?? o.label ?? o.labels);
    });
    return { xs, ys };
  }
  if (typeof doc !== 'object' || doc === null) throw new MlInputError('INVALID_DATA', 'JSON data must be an object or an array');
  const o = doc as Record<string, Json>;
  const x = o.x ?? o.features;
  const y = o.y ?? o.labels;
  if (!Array.isArray(x) || !Array.isArray(y)) {
    throw new MlInputError('INVALID_DATA', 'JSON data needs "x" (samples) and "y" (labels) arrays');
  }
  if (x.length !== y.length) {
    throw new MlInputError('SHAPE_MISMATCH', `JSON data has ${x.length} samples but ${y.length} labels`);
  }
  return { xs: x, ys: y };
}

/**
 * Every sample's values, row-major, each sample of the first one's nesting (`shape`); MlInputError naming the
 * sample and position of a ragged sample or a value that is not a finite number.
 */
function readSamples(xs: Json[], shape: number[]): Float32Array {
  const size = sampleSize(shape);
  const features = new Float32Array(xs.length * size);
  const rank = shape.length;
  const at = new Array<number>(rank).fill(0); // current position, for error messages
  xs.forEach((sample, i) => {
    let offset = i * size;
    const where = (depth: number) => at.slice(0, depth).join(', ');
    const walk = (v: Json, depth: number) => {
      if (!Array.isArray(v) || v.length !== shape[depth]) {
        throw new MlInputError(
          'RAGGED_ROW',
          `Sample ${i + 1} does not have the shape [${shape.join(', ')}] of sample 1 (at [${where(depth)}])`,
          { row: i + 1 },
        );
      }
      if (depth < rank - 1) {
        for (let j = 0; j < v.length; j++) {
          at[depth] = j;
          walk(v[j], depth + 1);
        }
        return;
      }
      for (let j = 0; j < v.length; j++) {
        const x = v[j];
        if (typeof x !== 'number' || !Number.isFinite(x)) {
          at[depth] = j;
          const pos = where(depth + 1);
          throw new MlInputError(
            typeof x === 'number' ? 'NON_FINITE' : 'NON_NUMERIC',
            `Sample ${i + 1}, position [${pos}]: ${typeof x === 'number' ? 'not finite' : 'not a number'}`,
            { row: i + 1, column: pos },
          );
        }
        features[offset++] = x;
      }
    };
    walk(sample, 0);
  });
  return features;
}

/** Numeric targets (a number or an array of numbers per sample, all of one width); MlInputError otherwise. */
function numericLabels(ys: Json[]): Dataset['labels'] {
  const width = Array.isArray(ys[0]) ? (ys[0] as Json[]).length : 1;
  const values = new Float32Array(ys.length * width);
  ys.forEach((y, i) => {
    const arr = Array.isArray(y) ? y : [y];
    if (arr.length !== width) throw new MlInputError('RAGGED_ROW', `Label ${i + 1} has ${arr.length} targets, expected ${width}`, { row: i + 1 });
    arr.forEach((v, j) => {
      if (typeof v !== 'number') throw new MlInputError('NON_NUMERIC', `Label ${i + 1}: target ${j + 1} is not a number`, { row: i + 1, column: j + 1 });
      if (!Number.isFinite(v)) throw new MlInputError('NON_FINITE', `Label ${i + 1}: target ${j + 1} is not finite`, { row: i + 1, column: j + 1 });
      values[i * width + j] = v;
    });
  });
  return { kind: 'numeric', columns: Array.from({ length: width }, (_, j) => `y${j}`), values };
}

/** Class labels (strings or numbers), numbered in order of first appearance; MlInputError for other values. */
function classLabels(ys: Json[]): Dataset['labels'] {
  const classIndex = new Map<string, number>();
  const classNames: string[] = [];
  const indices = new Int32Array(ys.length);
  ys.forEach((y, i) => {
    if (typeof y !== 'string' && typeof y !== 'number') {
      throw new MlInputError('INVALID_DATA', `Label ${i + 1} must be a string or a number`, { row: i + 1 });
    }
    const key = String(y);
    let idx = classIndex.get(key);
    if (idx === undefined) {
      idx = classNames.length;
      classIndex.set(key, idx);
      classNames.push(key);
    }
    indices[i] = idx;
  });
  return { kind: 'categorical', column: 'y', classNames, indices };
}

/**
 * JSON data in either form:
 * - `{ "x": [sample, ...], "y": [label, ...] }` (also `features`/`labels`), or
 * - `[{ "x": sample, "y": label }, ...]` (also `features`/`label`).
 * A sample is a flat feature vector or a nested array (a shaped tensor such as 28x28x1). Labels are class
 * names (string or number) or, with labelKind 'numeric', a number or an array of numbers.
 */
export function parseJsonData(input: string | Json, options: JsonDataOptions = {}): Dataset {
  const { xs, ys } = samplesAndLabels(parseDocument(input));
  if (xs.length === 0) throw new MlInputError('EMPTY_DATA', 'The JSON data has no samples');
  const naturalShape = shapeOf(xs[0]);
  if (naturalShape.length === 0) throw new MlInputError('INVALID_DATA', 'Sample 1 is not an array of numbers', { row: 1 });
  const size = sampleSize(naturalShape);
  const sampleShape = options.sampleShape ?? naturalShape;
  if (sampleSize(sampleShape) !== size) {
    throw new MlInputError(
      'SHAPE_MISMATCH',
      `Samples have ${size} values, which does not fit the shape [${sampleShape.join(', ')}]`,
    );
  }
  const features = readSamples(xs, naturalShape);
  return {
    numSamples: xs.length,
    sampleShape,
    featureNames: Array.from({ length: size }, (_, i) => `f${i}`),
    features,
    labels: options.labelKind === 'numeric' ? numericLabels(ys) : classLabels(ys),
  };
}
