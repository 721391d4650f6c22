import { MlInputError } from '../errors.ts';
import { edgeImpulseBaseName } from '../model-store.ts';
import { parseModelSpec, SPEC_FORMAT, SPEC_VERSION, type LayerSpec, type ModelSpec } from '../spec.ts';

/** One Edge Impulse visual-mode layer (the `visualLayers` of a Keras learn block). */
export interface EdgeImpulseVisualLayer {
  type: string;
  neurons?: number;
  kernelSize?: number;
  dropoutRate?: number;
  columns?: number;
  stack?: number;
  enabled?: boolean;
  organizationModelId?: number;
}

/**
 * Edge Impulse `visualLayers` -> our layers. Conv layers become `stack` convolutions (relu, same padding)
 * followed by a 2x max pooling, as Edge Impulse builds them. `transfer_*` layers become `transfer` layers
 * that load the base model of that name from the model store. Throws MlInputError: INVALID_SPEC for a
 * missing array or a layer without its size, UNSUPPORTED_LAYER naming the layer.
 */
export function edgeImpulseLayers(
  input: EdgeImpulseVisualLayer[] | { visualLayers: EdgeImpulseVisualLayer[] },
): LayerSpec[] {
  const visual = Array.isArray(input) ? input : input?.visualLayers;
  if (!Array.isArray(visual))
    throw new MlInputError('INVALID_SPEC', 'Edge Impulse input needs a visualLayers array');
  const layers: LayerSpec[] = [];
  visual.forEach((l, i) => {
    const enabled = l.enabled === false ? { enabled: false } : {};
    const need = (v: number | undefined, what: string) => {
      if (typeof v !== 'number' || !(v > 0)) {
        throw new MlInputError('INVALID_SPEC', `Edge Impulse layer ${i + 1} (${l.type}) needs ${what}`, {
          layer: i + 1,
        });
      }
      return v;
    };
    switch (l.type) {
      case 'dense':
        layers.push({ type: 'dense', units: need(l.neurons, 'neurons'), activation: 'relu', ...enabled });
        break;
      case 'conv1d':
      case 'conv2d':
        layers.push({
          type: l.type,
          filters: need(l.neurons, 'neurons'),
          kernelSize: l.kernelSize ?? 3,
          strides: 1,
          padding: 'same',
          activation: 'relu',
          stack: l.stack ?? 1,
          pool: { type: 'max', size: 2, strides: 2, padding: 'same' },
          ...enabled,
        } as LayerSpec);
        break;
      case 'reshape':
        layers.push({ type: 'reshape', columns: need(l.columns, 'columns'), ...enabled });
        break;
      case 'flatten':
        layers.push({ type: 'flatten', ...enabled });
        break;
      case 'dropout':
        layers.push({ type: 'dropout', rate: l.dropoutRate ?? 0.25, ...enabled });
        break;
      case 'batchNormalization':
        layers.push({ type: 'batchNormalization', momentum: 0.99, ...enabled });
        break;
      default:
        if (l.type.startsWith('transfer_')) {
          if (l.type === 'transfer_organization') need(l.organizationModelId, 'organizationModelId');
          const model = edgeImpulseBaseName(l); // the model store's name for it (model-store.ts)
          layers.push({ type: 'transfer', model, trainable: false, ...enabled });
          if (l.neurons) layers.push({ type: 'dense', units: l.neurons, activation: 'relu' });
          if (l.dropoutRate) layers.push({ type: 'dropout', rate: l.dropoutRate });
          break;
        }
        throw new MlInputError(
          'UNSUPPORTED_LAYER',
          `Edge Impulse layer ${i + 1} has unsupported type "${l.type}"`,
          { layer: i + 1 },
        );
    }
  });
  return layers;
}

/** Edge Impulse `visualLayers` -> our spec with the given input shape (see edgeImpulseLayers). */
export function fromEdgeImpulse(
  input: EdgeImpulseVisualLayer[] | { visualLayers: EdgeImpulseVisualLayer[] },
  options: { inputShape: number[]; name?: string },
): ModelSpec {
  return parseModelSpec({
    format: SPEC_FORMAT,
    version: SPEC_VERSION,
    name: options.name,
    input: { shape: options.inputShape },
    layers: edgeImpulseLayers(input),
  });
}
