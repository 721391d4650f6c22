import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildModel, LAYER_BUILDERS, layerSchema } from '../src/index.ts';
import { inferShapes } from '../src/shapes.ts';

// Issue 15 (5): one builder per layer type (layers.ts) and one shape rule per type (shapes.ts, the checks
// without TensorFlow.js). The two must agree: the shape inference says what the built model computes.

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** Specs whose last layer's output shape is compared (input shape, layers). */
const CASES: [string, number[], unknown[]][] = [
  [
    'reshape columns + conv1d + pool',
    [12],
    [
      { type: 'reshape', columns: 3 },
      { type: 'conv1d', filters: 5 },
    ],
  ],
  [
    'conv2d stack, valid padding, valid pool',
    [9, 9, 1],
    [{ type: 'conv2d', filters: 4, padding: 'valid', stack: 2, pool: { size: 2, padding: 'valid' } }],
  ],
  ['depthwise strides 2', [8, 8, 2], [{ type: 'depthwiseConv2d', strides: 2, depthMultiplier: 2 }]],
  ['pool1d strides', [10, 3], [{ type: 'maxPool1d', poolSize: 3, strides: 2 }, { type: 'avgPool1d' }]],
  ['avgPool2d [2, 3] same', [9, 9, 3], [{ type: 'avgPool2d', poolSize: [2, 3], padding: 'same' }]],
  ['channel added for a conv', [10], [{ type: 'conv1d', filters: 2, kernelSize: 3, pool: null }]],
  ['global pools', [10, 3], [{ type: 'globalMaxPool1d' }]],
  ['global pool 2d', [6, 6, 2], [{ type: 'globalAvgPool2d' }]],
  [
    'reshape -1 then conv2d',
    [12],
    [
      { type: 'reshape', targetShape: [-1, 2, 2] },
      { type: 'conv2d', filters: 3 },
    ],
  ],
  [
    'dense, norm, activation, dropout',
    [6],
    [
      { type: 'dense', units: 5, activation: 'leakyRelu' },
      { type: 'batchNormalization' },
      { type: 'activation', activation: 'tanh' },
      { type: 'dropout', rate: 0.1 },
    ],
  ],
];

describe('layer registry', () => {
  it('has a builder for every layer type of the spec schema', () => {
    const types = layerSchema.options.flatMap((o) => {
      const t = o.shape.type;
      return 'options' in t ? [...(t.options as string[])] : [t.value as string];
    });
    expect(types.length).toBeGreaterThanOrEqual(18);
    expect(Object.keys(LAYER_BUILDERS).sort()).toEqual([...new Set(types)].sort());
  });

  it.each(CASES)('%s: the built model computes the inferred shape', async (_name, shape, layers) => {
    const spec = { input: { shape }, layers };
    const options = { problem: 'regression' as const, numClasses: 0, numTargets: 1 };
    const inferred = inferShapes(spec, options);
    const expected = inferred.at(-2)!.shape!;
    const { model } = await buildModel(spec, { ...options, seed: 1 });
    // The head (a dense layer) follows the last spec layer, through a Flatten when that output is not flat.
    const head = model.layers.at(-1)!;
    const before = model.layers.at(-2)!;
    const into = (expected.length > 1 && before.getClassName() === 'Flatten' ? before : head)
      .input as tf.SymbolicTensor;
    expect(into.shape.slice(1)).toEqual(expected);
    expect(inferred.at(-1)).toMatchObject({ type: 'head', shape: [1] });
    model.dispose();
  });

  it('refuses a reshape the same way in the check and in the builder', async () => {
    const spec = { input: { shape: [4] }, layers: [{ type: 'reshape', columns: 3 }] };
    const options = { problem: 'regression' as const, numClasses: 0, numTargets: 1 };
    const message = 'Layer 1 (reshape) has columns 3, which does not divide the 4 values per sample';
    expect(() => inferShapes(spec, options)).toThrow(message);
    await expect(buildModel(spec, options)).rejects.toThrow(message);
  });
});
