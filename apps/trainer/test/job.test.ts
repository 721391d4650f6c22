import { describe, expect, it } from 'vitest';
import { parseModelSpec, type Dataset } from '@trainhub/ml';
import { NAMED_ARCHITECTURES, resolveSpec } from '../src/job';

const data = { sampleShape: [4] } as Dataset;
const resolved = (spec: unknown) => parseModelSpec(resolveSpec(spec, data, 'm').spec);

describe('resolving the stored spec of each API style', () => {
  it('takes our own format and fills the input shape from the data', () => {
    expect(resolved({ layers: [{ type: 'dense', units: 8 }] })).toMatchObject({
      input: { shape: [4] },
      layers: [{ type: 'dense', units: 8 }],
    });
    expect(resolved([{ type: 'dense', units: 3 }]).layers).toHaveLength(1);
  });

  it('unwraps an MLW architecture file, ours or Keras JSON', () => {
    expect(
      resolved({ format: 'mlw-architecture', architecture: { layers: [{ type: 'dense', units: 5 }] } })
        .layers,
    ).toEqual([expect.objectContaining({ type: 'dense', units: 5 })]);
    const keras = {
      class_name: 'Sequential',
      config: {
        name: 's',
        layers: [
          { class_name: 'Dense', config: { units: 7, activation: 'relu', batch_input_shape: [null, 4] } },
          // The last Dense is the output head, which packages/ml derives from the problem type.
          { class_name: 'Dense', config: { units: 3, activation: 'softmax' } },
        ],
      },
    };
    expect(resolved({ format: 'mlw-architecture', architecture: keras }).layers[0]).toMatchObject({
      type: 'dense',
      units: 7,
    });
  });

  it('translates Edge Impulse visual layers and explains a Python expert script', () => {
    const spec = resolved({
      format: 'edge-impulse-visual',
      visualLayers: [
        { type: 'dense', neurons: 12 },
        { type: 'dropout', dropoutRate: 0.1 },
      ],
    });
    expect(spec.layers[0]).toMatchObject({ type: 'dense', units: 12 });
    expect(() =>
      resolveSpec(
        { format: 'edge-impulse-expert', script: 'import tensorflow as tf\nmodel = Sequential()' },
        data,
      ),
    ).toThrow(/JSON/);
  });

  it('maps a named architecture, and names the choices for an unknown one', () => {
    expect(resolved({ format: 'training-module', model: 'mlp' }).layers).toHaveLength(
      NAMED_ARCHITECTURES.mlp!.length,
    );
    expect(() => resolveSpec({ format: 'training-module', model: 'gpt-5' }, data)).toThrow(
      /Unknown model "gpt-5"; choose one of: linear/,
    );
  });
});
