import { describe, expect, it } from 'vitest';
import { parseModelSpec } from '@trainhub/ml/spec';
import {
  LAYER_TYPES,
  analyze,
  defaultLayer,
  layersOfSpec,
  toSpec,
  type EditorLayer,
} from '../src/lib/architecture';

describe('architecture editor shapes and parameter counts', () => {
  it('matches Keras counts for a dense network with batch normalization and a softmax head', () => {
    const layers = [
      { type: 'dense', units: 16 },
      { type: 'dropout', rate: 0.25 },
      { type: 'batchNormalization' },
      { type: 'dense', units: 8 },
    ];
    const result = analyze([4], layers, { problemType: 'classification', outputs: 3 });
    expect(result.layers.map((l) => l.shape)).toEqual([[16], [16], [16], [8]]);
    expect(result.layers.map((l) => l.params)).toEqual([80, 0, 64, 136]);
    expect(result.head).toEqual({ shape: [3], params: 27 });
    expect(result.total).toBe(307);
    expect(result.valid).toBe(true);
  });

  it('follows Edge Impulse style conv1d after a reshape, with pooling and flatten', () => {
    const layers = [
      { type: 'reshape', columns: 13 },
      { ...defaultLayer('conv1d'), filters: 8, kernelSize: 3 },
      { type: 'flatten' },
    ];
    const result = analyze([650], layers, { problemType: 'binary', outputs: 2 });
    expect(result.layers[0]!.shape).toEqual([50, 13]);
    // 3 * 13 * 8 + 8 weights; same padding keeps 50 steps, max pool 2 halves them.
    expect(result.layers[1]).toEqual({ shape: [25, 8], params: 320 });
    expect(result.layers[2]!.shape).toEqual([200]);
    expect(result.head).toEqual({ shape: [1], params: 201 });
  });

  it('skips disabled layers and flags impossible ones', () => {
    const result = analyze(
      [10],
      [
        { type: 'dense', units: 4, enabled: false },
        { type: 'reshape', columns: 3 },
      ],
      { problemType: 'regression', outputs: 1 },
    );
    expect(result.layers[0]!.params).toBe(0);
    expect(result.layers[1]!.error).toMatch(/do not split/);
    expect(result.valid).toBe(false);
  });

  it('round-trips through the saved spec format', () => {
    const spec = toSpec('net', [4], [{ type: 'dense', units: 2, activation: undefined }]);
    expect(spec).toMatchObject({ format: 'trainhub.architecture', version: 1, input: { shape: [4] } });
    expect(spec.layers[0]).toEqual({ type: 'dense', units: 2 });
    expect(layersOfSpec(JSON.parse(JSON.stringify(spec)))).toEqual({
      input: [4],
      layers: [{ type: 'dense', units: 2 }],
    });
    expect(layersOfSpec([{ type: 'flatten' }])).toEqual({ input: [], layers: [{ type: 'flatten' }] });
    expect(layersOfSpec('nope')).toBeNull();
  });

  it('saves specs the training core accepts, with every layer type the editor offers at its defaults', () => {
    const layers = LAYER_TYPES.map((type) => defaultLayer(type));
    const spec = parseModelSpec(toSpec('all layers', [8, 8, 1], layers));
    expect(spec.layers.map((l) => l.type)).toEqual([...LAYER_TYPES]);
  });

  it('counts what the training core builds, for every layer type the editor offers', async () => {
    const { buildModel } = await import('@trainhub/ml');
    const networks: { input: number[]; layers: EditorLayer[] }[] = [
      {
        input: [8, 8, 3],
        layers: [
          { ...defaultLayer('conv2d'), filters: 4, stack: 2 },
          { ...defaultLayer('depthwiseConv2d'), depthMultiplier: 2 },
          defaultLayer('batchNormalization'),
          defaultLayer('avgPool2d'),
          defaultLayer('maxPool2d'),
          defaultLayer('globalMaxPool2d'),
          { ...defaultLayer('dense'), units: 5 },
        ],
      },
      {
        input: [8, 8],
        layers: [defaultLayer('depthwiseConv2d'), defaultLayer('globalAvgPool2d')],
      },
      {
        input: [24],
        layers: [
          { ...defaultLayer('reshape'), columns: 3 },
          { ...defaultLayer('conv1d'), filters: 6, pool: null },
          defaultLayer('maxPool1d'),
          defaultLayer('avgPool1d'),
          defaultLayer('globalAvgPool1d'),
          defaultLayer('dropout'),
          defaultLayer('activation'),
        ],
      },
      {
        input: [12],
        layers: [{ ...defaultLayer('reshape'), columns: 4 }, defaultLayer('globalMaxPool1d')],
      },
      { input: [4, 4], layers: [defaultLayer('flatten'), { ...defaultLayer('dense'), units: 7 }] },
    ];
    // Every type the editor offers is exercised here.
    expect(new Set(networks.flatMap((n) => n.layers.map((l) => l.type)))).toEqual(new Set(LAYER_TYPES));
    for (const { input, layers } of networks) {
      const analysis = analyze(input, layers, { problemType: 'classification', outputs: 3 });
      expect(analysis.valid, JSON.stringify(layers)).toBe(true);
      const { model } = await buildModel(toSpec('check', input, layers), {
        problem: 'classification',
        numClasses: 3,
      });
      expect(analysis.total, JSON.stringify(layers)).toBe(model.countParams());
      model.dispose();
    }
  });
});
