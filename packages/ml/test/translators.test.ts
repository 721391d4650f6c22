import { describe, expect, it } from 'vitest';
import {
  modelSpecFor,
  NAMED_ARCHITECTURES,
  normalizeDefinition,
  resolveSpec,
  translateModel,
} from '../src/validate.ts';

// Issue 15, part 3: every API style's model dialect is translated into our architecture when a training is
// requested; the run only fills the input shape from its data.

const data = { sampleShape: [4] };
const keras = {
  class_name: 'Sequential',
  config: {
    name: 'keras-net',
    layers: [
      { class_name: 'Dense', config: { units: 7, activation: 'relu', batch_input_shape: [null, 9] } },
      // The last Dense is the output head, which packages/ml derives from the problem type.
      { class_name: 'Dense', config: { units: 3, activation: 'softmax' } },
    ],
  },
};

describe('translateModel: each dialect -> our architecture without an input', () => {
  it('keeps our own format as given and fills the input from the data only at run time', () => {
    const { spec } = translateModel({ layers: [{ type: 'dense', units: 8 }] }, 'ignored');
    expect(spec).toMatchObject({ format: 'trainhub.architecture', layers: [{ type: 'dense', units: 8 }] });
    expect(spec.input).toBeUndefined();
    expect(spec.name).toBeUndefined();
    expect(modelSpecFor(spec, data).input.shape).toEqual([4]);
    // An input of its own is kept (and checked against the data by checkTraining, not replaced).
    const own = translateModel({ input: { shape: [3] }, layers: [] }).spec;
    expect(modelSpecFor(own, data).input.shape).toEqual([3]);
  });

  it('takes a bare list of layers and an MLW architecture file in any of its forms, named by the model name', () => {
    expect(translateModel([{ type: 'dense', units: 3 }], 'm').spec).toMatchObject({
      name: 'm',
      layers: [{ type: 'dense', units: 3, activation: 'relu' }],
    });
    const mlw = translateModel({ format: 'mlw-architecture', architecture: keras }, 'm').spec;
    expect(mlw).toMatchObject({ name: 'm', layers: [{ type: 'dense', units: 7 }] });
    expect(mlw.layers).toHaveLength(1);
    // The Keras model's own input shape [9] is dropped: the data's is used.
    expect(mlw.input).toBeUndefined();
    expect(modelSpecFor(mlw, data).input.shape).toEqual([4]);
    expect(translateModel({ format: 'keras-json', model: keras }).spec.name).toBe('keras-net');
  });

  it('translates Edge Impulse visual layers with their base-model folder, and expert Keras JSON', () => {
    const visual = translateModel({
      format: 'edge-impulse-visual',
      visualLayers: [
        { type: 'dense', neurons: 12 },
        { type: 'dropout', dropoutRate: 0.1 },
      ],
      pretrained: { transfer_x: '/models/transfer_x' },
    });
    expect(visual.spec.layers).toEqual([
      { type: 'dense', units: 12, activation: 'relu' },
      { type: 'dropout', rate: 0.1 },
    ]);
    expect(visual.modelStore).toBe('/models');
    const expert = translateModel({ format: 'edge-impulse-expert', script: JSON.stringify(keras) }, 'ei');
    expect(expert.spec).toMatchObject({ name: 'ei', layers: [{ type: 'dense', units: 7 }] });
    expect(() =>
      translateModel({
        format: 'edge-impulse-expert',
        script: 'import tensorflow as tf\nmodel = Sequential()',
      }),
    ).toThrow(/JSON/);
  });

  it('maps a session-style model name, and names the choices for an unknown one', () => {
    expect(translateModel({ format: 'training-module', model: 'mlp' }).spec.layers).toHaveLength(
      NAMED_ARCHITECTURES.mlp!.length,
    );
    expect(() => translateModel({ format: 'training-module', model: 'gpt-5' })).toThrow(
      /Unknown model "gpt-5"; choose one of: linear, mlp-small, mlp, mlp-large/,
    );
    // Only its own names: not Object.prototype's.
    expect(() => translateModel({ format: 'training-module', model: 'constructor' })).toThrow(
      /Unknown model/,
    );
  });

  it('finds a bad spec when translating, with the run-time parser message', () => {
    expect(() => translateModel([{ type: 'dense', units: -1 }])).toThrow(
      /Invalid model spec at layers\.0\.units/,
    );
    expect(() => translateModel('not a model')).toThrow(/no model architecture/);
    expect(() => translateModel({ format: 'edge-impulse-visual', visualLayers: [{ type: 'lstm' }] })).toThrow(
      /unsupported type "lstm"/,
    );
  });
});

describe('normalizeDefinition', () => {
  const request = {
    version: 1 as const,
    problemType: 'classification' as const,
    spec: { format: 'training-module', model: 'mlp-small' },
    datasetResourceId: 3,
    labelColumns: ['y'],
    modelName: 'small',
  };

  it('turns a style request (or an old row) into version 2, keeping every other field', () => {
    const normalized = normalizeDefinition(request);
    expect(normalized).toEqual({
      version: 2,
      problemType: 'classification',
      datasetResourceId: 3,
      labelColumns: ['y'],
      modelName: 'small',
      spec: {
        format: 'trainhub.architecture',
        version: 1,
        name: 'small',
        layers: [{ type: 'dense', units: 16, activation: 'relu' }],
        output: { dropout: 0 },
      },
    });
    // A normalized definition is read as it is (JSON round trip, as from the database).
    const stored = JSON.parse(JSON.stringify(normalized));
    expect(normalizeDefinition(stored)).toEqual(normalized);
  });

  it('builds the same model from the request at check time as the run does from the stored form', () => {
    const checked = resolveSpec(request.spec, data, request.modelName).spec;
    expect(modelSpecFor(normalizeDefinition(request).spec, data)).toEqual(checked);
  });
});
