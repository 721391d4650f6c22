import { describe, expect, it } from 'vitest';
import { fromEdgeImpulse, fromKerasJson, MlInputError, parseModelSpec } from '../src/index.ts';

describe('model spec', () => {
  it('fills defaults and keeps disabled layers', () => {
    const spec = parseModelSpec({
      input: { shape: [28, 28, 1] },
      layers: [
        { type: 'conv2d', filters: 8, stack: 2 },
        { type: 'dropout', rate: 0.1, enabled: false },
        { type: 'flatten' },
      ],
    });
    expect(spec.format).toBe('trainhub.architecture');
    expect(spec.version).toBe(1);
    expect(spec.layers[0]).toMatchObject({
      type: 'conv2d',
      kernelSize: 3,
      stack: 2,
      padding: 'same',
      pool: { type: 'max', size: 2 },
    });
    expect(spec.layers[1]).toMatchObject({ enabled: false });
  });

  it('rejects bad specs with an MlInputError naming the field', () => {
    const bad = () => parseModelSpec({ input: { shape: [4] }, layers: [{ type: 'dense', units: -1 }] });
    expect(bad).toThrow(MlInputError);
    expect(bad).toThrow(/layers\.0\.units/);
    expect(() => parseModelSpec({ input: { shape: [4] }, layers: [{ type: 'lstm' }] })).toThrow(
      /INVALID|Invalid model spec/,
    );
    expect(() => parseModelSpec('{not json')).toThrow(/not valid JSON/);
  });
});

describe('Edge Impulse translator', () => {
  it('maps every visual layer type', () => {
    const spec = fromEdgeImpulse(
      {
        visualLayers: [
          { type: 'reshape', columns: 13 },
          { type: 'conv1d', neurons: 8, kernelSize: 3, stack: 2 },
          { type: 'dropout', dropoutRate: 0.25 },
          { type: 'conv2d', neurons: 4, kernelSize: 3, enabled: false },
          { type: 'batchNormalization' },
          { type: 'flatten' },
          { type: 'dense', neurons: 20 },
        ],
      },
      { inputShape: [650] },
    );
    expect(spec.layers.map((l) => l.type)).toEqual([
      'reshape',
      'conv1d',
      'dropout',
      'conv2d',
      'batchNormalization',
      'flatten',
      'dense',
    ]);
    expect(spec.layers[1]).toMatchObject({ filters: 8, stack: 2, pool: { type: 'max', size: 2 } });
    expect(spec.layers[3]).toMatchObject({ enabled: false });
    const t = fromEdgeImpulse([{ type: 'transfer_mobilenetv2_a35', neurons: 16, dropoutRate: 0.1 }], {
      inputShape: [96, 96, 3],
    });
    expect(t.layers[0]).toMatchObject({
      type: 'transfer',
      model: 'transfer_mobilenetv2_a35',
      trainable: false,
    });
    expect(() => fromEdgeImpulse([{ type: 'lstm' }], { inputShape: [3] })).toThrow(/unsupported type "lstm"/);
  });
});

describe('Keras JSON translator', () => {
  const keras2 = {
    class_name: 'Sequential',
    config: {
      name: 'sequential',
      layers: [
        { class_name: 'InputLayer', config: { batch_input_shape: [null, 28, 28, 1], name: 'in' } },
        {
          class_name: 'Conv2D',
          config: { filters: 8, kernel_size: [3, 3], strides: [1, 1], padding: 'same', activation: 'relu' },
        },
        { class_name: 'MaxPooling2D', config: { pool_size: [2, 2], strides: [2, 2], padding: 'valid' } },
        { class_name: 'BatchNormalization', config: { momentum: 0.9 } },
        { class_name: 'Flatten', config: {} },
        { class_name: 'Dropout', config: { rate: 0.5 } },
        { class_name: 'Dense', config: { units: 32, activation: 'relu' } },
        { class_name: 'Dense', config: { units: 10, activation: 'softmax' } },
      ],
    },
    keras_version: '2.15.0',
    backend: 'tensorflow',
  };

  it('maps a Keras 2 Sequential model and drops its head', () => {
    const spec = fromKerasJson(JSON.stringify(keras2));
    expect(spec.input.shape).toEqual([28, 28, 1]);
    expect(spec.layers.map((l) => l.type)).toEqual([
      'conv2d',
      'maxPool2d',
      'batchNormalization',
      'flatten',
      'dropout',
      'dense',
    ]);
    expect(spec.layers[0]).toMatchObject({ filters: 8, kernelSize: [3, 3], pool: null });
  });

  it('maps Keras 3 JSON (batch_shape, module fields)', () => {
    const k3 = {
      module: 'keras',
      class_name: 'Sequential',
      config: {
        name: 's',
        layers: [
          {
            module: 'keras.layers',
            class_name: 'InputLayer',
            config: { batch_shape: [null, 12] },
            registered_name: null,
          },
          {
            module: 'keras.layers',
            class_name: 'Dense',
            config: { units: 6, activation: 'leaky_relu' },
            registered_name: null,
          },
          {
            module: 'keras.layers',
            class_name: 'Dense',
            config: { units: 1, activation: 'linear' },
            registered_name: null,
          },
        ],
      },
    };
    const spec = fromKerasJson(k3);
    expect(spec.input.shape).toEqual([12]);
    expect(spec.layers).toHaveLength(1);
    expect(spec.layers[0]).toMatchObject({ type: 'dense', units: 6, activation: 'leakyRelu' });
  });

  it('explains the JSON form when given an expert-mode Python script', () => {
    const script = 'import tensorflow as tf\nmodel = Sequential()\nmodel.add(Dense(10))\n';
    try {
      fromKerasJson(script);
      expect.fail('should throw');
    } catch (error) {
      expect(error).toBeInstanceOf(MlInputError);
      expect((error as MlInputError).code).toBe('EXPERT_MODE_PYTHON');
      expect((error as Error).message).toMatch(/model\.to_json\(\)/);
    }
  });

  it('names unsupported Keras layers', () => {
    const doc = {
      class_name: 'Sequential',
      config: { layers: [{ class_name: 'LSTM', config: { batch_input_shape: [null, 3, 4] } }] },
    };
    expect(() => fromKerasJson(doc)).toThrow(/LSTM \(layer 1\)/);
  });
});
