import { MlInputError } from '../errors.ts';
import type { LayerSpec } from '../spec.ts';

/**
 * Named architectures for clients that pick a model by name (the session style's `model` parameter): the
 * hidden layers only; the output head is added from the problem type.
 */
export const NAMED_ARCHITECTURES: Record<string, LayerSpec[]> = {
  linear: [],
  'mlp-small': [{ type: 'dense', units: 16, activation: 'relu' }],
  mlp: [
    { type: 'dense', units: 64, activation: 'relu' },
    { type: 'dense', units: 32, activation: 'relu' },
  ],
  'mlp-large': [
    { type: 'dense', units: 256, activation: 'relu' },
    { type: 'dropout', rate: 0.2 },
    { type: 'dense', units: 128, activation: 'relu' },
  ],
};

/**
 * The hidden layers of the named architecture `model` (a fresh copy). Throws MlInputError('INVALID_SPEC',
 * details.field 'model') naming the choices for an unknown name.
 */
export function namedLayers(model: string): LayerSpec[] {
  const layers = Object.hasOwn(NAMED_ARCHITECTURES, model) ? NAMED_ARCHITECTURES[model] : undefined;
  if (!layers) {
    throw new MlInputError(
      'INVALID_SPEC',
      `Unknown model "${model}"; choose one of: ${Object.keys(NAMED_ARCHITECTURES).join(', ')}`,
      { field: 'model' },
    );
  }
  return layers.map((layer) => ({ ...layer }));
}
