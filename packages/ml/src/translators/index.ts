import { MlInputError } from '../errors.ts';
import { storeOfPretrained } from '../model-store.ts';
import { parseModelSpec, SPEC_FORMAT, SPEC_VERSION, type LayerSpec, type ModelSpec } from '../spec.ts';
import { edgeImpulseLayers } from './edge-impulse.ts';
import { kerasArchitecture } from './keras.ts';
import { namedLayers } from './named.ts';

// The boundary between the API styles and the training core. Each style asks for a model in its own dialect;
// `translateModel` turns any of them into our architecture when the training is requested, and the trainer
// runs that without knowing which style asked. Rows stored before this existed hold a dialect: the trainer
// passes them through `normalizeDefinition`, which translates them the same way.

/**
 * Our architecture (@trainhub/ml's model spec, defaults filled) with an optional input: without one, the
 * per-sample shape comes from the data at run time (`modelSpecFor`).
 */
export type ArchitectureSpec = Omit<ModelSpec, 'input'> & { input?: ModelSpec['input'] };

/** A style's model translated: our architecture and, for transfer layers, the folder of their base models. */
export interface TranslatedModel {
  spec: ArchitectureSpec;
  modelStore?: string;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Checks a spec in our format with @trainhub/ml's one spec parser (same errors as at run time). A spec
 * without an input is checked with a stand-in one (parsing does not relate layers to the input; shape
 * inference does, once the data is known) and returned without it.
 */
function architecture(value: Record<string, unknown>): ArchitectureSpec {
  if (value.input !== undefined) return parseModelSpec(value);
  const { input: _standIn, ...spec } = parseModelSpec({ ...value, input: { shape: [1] } });
  return spec;
}

const layersOnly = (layers: LayerSpec[], name: string | undefined): ArchitectureSpec =>
  architecture({ format: SPEC_FORMAT, version: SPEC_VERSION, ...(name ? { name } : {}), layers });

/**
 * A model in any API style's dialect -> our architecture. The dialects (`spec.format`):
 * - `mlw-architecture` (MLW trainNN): `architecture` is the uploaded file, itself in one of the forms below;
 * - `keras-json` (`model`) and `edge-impulse-expert` (`script`): a Keras `model.to_json()` document;
 * - `edge-impulse-visual`: Edge Impulse `visualLayers`, with `pretrained` (base model -> folder) for
 *   transfer layers, whose folder's parent becomes `modelStore`;
 * - `training-module` (the session style): `model` names one of NAMED_ARCHITECTURES;
 * - a bare list of layers, a Keras document, or our own spec (`trainhub.architecture`, kept as given).
 * `name` (the training's model name) names a translated model. A Keras model's own input shape is dropped:
 * the data's is used, as for every translated form. Throws MlInputError (INVALID_SPEC, UNSUPPORTED_LAYER,
 * INVALID_KERAS_JSON, EXPERT_MODE_PYTHON) naming the layer or field.
 */
export function translateModel(spec: unknown, name?: string): TranslatedModel {
  if (Array.isArray(spec)) return { spec: layersOnly(spec as LayerSpec[], name) };
  if (!isRecord(spec)) throw new MlInputError('INVALID_SPEC', 'The task has no model architecture');
  switch (spec.format) {
    case 'edge-impulse-visual': {
      const modelStore = storeOfPretrained(spec.pretrained); // model-store.ts knows the layout
      return {
        spec: layersOnly(edgeImpulseLayers(spec.visualLayers as never), name),
        ...(modelStore ? { modelStore } : {}),
      };
    }
    case 'edge-impulse-expert':
      return { spec: keras(String(spec.script ?? ''), name) };
    case 'keras-json':
      return { spec: keras(spec.model as object, name) };
    case 'mlw-architecture':
      return translateModel(spec.architecture, name);
    case 'training-module': {
      // import_model's base (`pretrained`: name -> folder) goes first, frozen, under the named layers.
      const modelStore = storeOfPretrained(spec.pretrained);
      const bases = modelStore ? Object.keys(spec.pretrained as object) : [];
      const transfer = bases.map((model): LayerSpec => ({ type: 'transfer', model, trainable: false }));
      return {
        spec: layersOnly([...transfer, ...namedLayers(String(spec.model ?? ''))], name),
        ...(modelStore ? { modelStore } : {}),
      };
    }
  }
  if (typeof spec.class_name === 'string' && 'config' in spec) return { spec: keras(spec, name) };
  return { spec: architecture(spec) };
}

function keras(doc: string | object, name: string | undefined): ArchitectureSpec {
  const model = kerasArchitecture(doc);
  return layersOnly(model.layers, name ?? model.name);
}

/**
 * The model spec a run builds: the architecture with its own input shape, or the data's per-sample shape
 * (`inputShapeFor`) when it has none. Throws MlInputError('INVALID_SPEC') for a spec that does not parse.
 */
export function modelSpecFor(spec: ArchitectureSpec, data: { sampleShape: number[] }): ModelSpec {
  return parseModelSpec(spec.input ? spec : { ...spec, input: { shape: data.sampleShape } });
}

/** The parts of a Task.definition (@trainhub/db) normalization reads: its form and its model. */
export interface DefinitionLike {
  version: number;
  spec: unknown;
  modelName?: string;
  modelStore?: string;
}

/** A definition with its model in our architecture: Task.definition version 2. */
export type Normalized<D extends DefinitionLike> = Omit<D, 'version' | 'spec' | 'modelStore'> & {
  version: 2;
  spec: ArchitectureSpec;
  modelStore?: string;
};

/**
 * A Task.definition in its normalized form (version 2): a style's request (version 1, a new one or a row
 * stored before version 2 existed) gets its model translated (translateModel, named by `modelName`); a
 * version 2 definition is returned as it is. Throws what translateModel throws.
 */
export function normalizeDefinition<D extends DefinitionLike>(definition: D): Normalized<D> {
  if (definition.version === 2) return definition as unknown as Normalized<D>;
  const { version: _version, spec, modelStore: _store, ...rest } = definition;
  const translated = translateModel(spec, definition.modelName);
  return {
    ...rest,
    version: 2,
    spec: translated.spec,
    ...(translated.modelStore ? { modelStore: translated.modelStore } : {}),
  };
}
export { NAMED_ARCHITECTURES } from './named.ts';
