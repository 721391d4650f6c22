import {
  checkTraining,
  csvOptionsFor,
  dataFacts,
  isMlInputError,
  parseJsonResource,
  summarizeData,
  type DataFacts,
  type DataSummary,
  type TrainingCheck,
} from '@trainhub/ml/validate';
import {
  MODEL_FILE,
  baseModelFile,
  hasBaseModel,
  isBaseModelName,
  resolveBaseModel,
} from '@trainhub/ml/model-store';
import type {
  ArtifactStore,
  Db,
  Hyperparameters,
  NormalizedTrainingDefinition,
  Prisma,
  Resource,
  TrainingDefinition,
} from '@trainhub/db';
import { DomainError } from './errors';

// The one check every style runs when a training is requested (MLW trainNN, Edge Impulse train, the session
// style's train, tRPC, the web UI): through createTraining, before anything is written. It reads what the run
// would read (hyperparameters, the preprocessing resource, the dataset and the architecture) with the training
// core's own rules (@trainhub/ml/validate, no TensorFlow.js), so only infrastructure failures are left for the
// trainer. Datasets are checked from the summary kept in the resource's metadata at upload; a resource
// uploaded before summaries existed is summarized once from the artifact store (when the caller has one).

/** Where a refused training request is wrong, for styles that can show it. */
export interface RefusalDetails {
  /** The request field to blame (optimizer, loss, metrics, codeID, layers[1], input.shape, ...). */
  field?: string;
  /** 1-based row (header = row 1) and column name of the first bad cell. */
  row?: number;
  column?: string | number;
  /** 1-based layer of the architecture. */
  layer?: number;
  /** The bad cells (first 20) of a dataset, and how many more there are. */
  problems?: { row: number; column?: string; found: string }[];
  more?: number;
}

/** A training request the run would fail on: INVALID (400 in every style) with where it is wrong. */
export class TrainingRefusedError extends DomainError {
  constructor(
    message: string,
    readonly details: RefusalDetails = {},
  ) {
    super('INVALID', message);
  }
}

/** The metadata key of a dataset's summary (computed on upload). */
export const SUMMARY_KEY = 'dataSummary';
/** The metadata key of a code resource's parsed preprocessing JSON, or of why it is not one. */
export const PREPROCESSING_KEY = 'preprocessing';
export const CODE_ERROR_KEY = 'codeError';

/** Rethrows an MlInputError as a TrainingRefusedError (its message, prefixed, and where it is wrong). */
export function refusal(error: unknown, prefix = ''): never {
  if (isMlInputError(error)) {
    const d = error.details;
    throw new TrainingRefusedError(`${prefix}${error.message}`, {
      ...(typeof d.field === 'string' ? { field: d.field } : {}),
      ...(typeof d.row === 'number' ? { row: d.row } : {}),
      ...(d.column !== undefined ? { column: d.column } : {}),
      ...(typeof d.layer === 'number' ? { layer: d.layer } : {}),
      ...(Array.isArray(d.problems) ? { problems: d.problems as RefusalDetails['problems'] } : {}),
      ...(typeof d.more === 'number' ? { more: d.more } : {}),
    });
  }
  throw error;
}

const metadataOf = (resource: Resource) => (resource.metadata ?? {}) as Record<string, unknown>;

/**
 * The preprocessing JSON of a code resource: kept in its metadata at upload; read from the store for a file
 * uploaded before that. Python code (the usual MLW preprocessing script) is refused with an example of the
 * declarative JSON it must be instead.
 */
export async function codeResourcePreprocessing(
  resource: Resource,
  store: ArtifactStore | undefined,
): Promise<unknown> {
  const meta = metadataOf(resource);
  if (typeof meta[CODE_ERROR_KEY] === 'string')
    throw new TrainingRefusedError(`code resource ${resource.name}: ${meta[CODE_ERROR_KEY]}`, {
      field: 'codeID',
    });
  if (PREPROCESSING_KEY in meta) return meta[PREPROCESSING_KEY];
  if (!store) return undefined;
  let bytes: Buffer;
  try {
    bytes = await store.get(resource.storageKey);
  } catch {
    return undefined; // infrastructure: left for the run
  }
  try {
    return parseJsonResource(bytes, `code resource ${resource.name}`);
  } catch (error) {
    refusal(error);
  }
}

/**
 * A dataset's summary (rows, columns with types, missing cells, classes): the one kept from its upload, or
 * computed now from the store (and kept) for a file uploaded before summaries existed, or for a separator
 * the preprocessing spec sets. Undefined when neither is possible (no store at hand).
 */
export async function datasetSummary(
  db: Db,
  resource: Resource,
  store: ArtifactStore | undefined,
  options: { delimiter?: string; decimal?: '.' | ',' | 'auto' } = {},
): Promise<DataSummary | undefined> {
  const meta = metadataOf(resource);
  const kept = meta[SUMMARY_KEY] as DataSummary | undefined;
  const fits =
    kept?.version === 1 &&
    (options.delimiter === undefined || options.delimiter === kept.delimiter) &&
    (options.decimal === undefined ||
      options.decimal === 'auto' ||
      (options.decimal === ',') === kept.decimalComma);
  if (kept && fits) return kept;
  if (!store) return undefined;
  let summary: DataSummary;
  try {
    summary = await summarizeData(await store.stream(resource.storageKey), resource, options);
  } catch (error) {
    // The store failing is infrastructure, not the request: the data is left for the run to read.
    if (!isMlInputError(error)) return undefined;
    refusal(error, `dataset ${resource.name}: `);
  }
  if (!kept && options.delimiter === undefined && options.decimal === undefined) {
    await db.resource.update({
      where: { id: resource.id },
      data: { metadata: { ...meta, [SUMMARY_KEY]: summary } as unknown as Prisma.InputJsonValue },
    });
  }
  return summary;
}

/**
 * Checks the datasets of a training before it is requested (the session style's preprocess step): each is
 * readable, has a header and data rows, the target column, at least two classes for classification and no
 * bad cells (all listed at once), and the test set has the training set's feature columns. Throws
 * TrainingRefusedError naming the file, row and column.
 */
export async function checkTrainingData(
  db: Db,
  store: ArtifactStore | undefined,
  input: {
    projectId: number;
    problemType: TrainingDefinition['problemType'];
    datasetResourceId: number;
    testDatasetResourceId?: number;
  },
): Promise<void> {
  await validateTraining(db, store, {
    projectId: input.projectId,
    definition: {
      version: 1,
      problemType: input.problemType,
      spec: [],
      datasetResourceId: input.datasetResourceId,
      ...(input.testDatasetResourceId ? { testDatasetResourceId: input.testDatasetResourceId } : {}),
    },
    hyperparameters: { epochs: 1, batchSize: 1 },
  });
}

export interface TrainingRequest {
  projectId: number;
  /** The request's resources when the caller has read them already (saves a query). */
  resources?: Resource[];
  definition: TrainingDefinition;
  hyperparameters: Hyperparameters;
  codeResourceId?: number | null;
}

/**
 * Checks a training request as the run would and throws TrainingRefusedError (INVALID: 400 in each style's
 * error format) naming the field, layer, row and column: unknown optimizer, loss or metric and ones that do
 * not fit the problem type, a code resource that is Python or not a preprocessing spec, a dataset that is
 * empty, has only a header, lacks the target column, has one class or bad cells (all listed at once, up to
 * 20 with the count of the rest), an architecture whose input width, reshape or final layer does not fit the
 * data. Resources must already be known to exist in the project (createTraining checks that first).
 */
export async function validateTraining(
  db: Db,
  store: ArtifactStore | undefined,
  request: TrainingRequest,
): Promise<TrainingCheck | null> {
  const { definition } = request;
  const ids = [definition.datasetResourceId, definition.testDatasetResourceId, request.codeResourceId].filter(
    (id): id is number => typeof id === 'number',
  );
  const resources =
    request.resources ??
    (await db.resource.findMany({
      where: { id: { in: ids }, projectId: request.projectId, deletedAt: null },
    }));
  const byId = (id: number) => resources.find((r) => r.id === id);

  let preprocessing: unknown = definition.preprocessing;
  if (request.codeResourceId != null) {
    const code = byId(request.codeResourceId);
    if (code) preprocessing = await codeResourcePreprocessing(code, store);
  }
  const csvOptions = (() => {
    try {
      return csvOptionsFor(definition, preprocessing as never);
    } catch (error) {
      return refusal(error);
    }
  })();

  const factsOf = async (id: number | undefined, what: string): Promise<DataFacts | undefined> => {
    const resource = id === undefined ? undefined : byId(id);
    if (!resource) return undefined;
    if (resource.kind !== 'DATASET')
      throw new TrainingRefusedError(
        `${what} ${resource.name} is a ${resource.kind.toLowerCase()} file, not a dataset`,
        {
          field: 'dataID',
        },
      );
    const summary = await datasetSummary(db, resource, store, {
      ...(csvOptions.delimiter ? { delimiter: csvOptions.delimiter } : {}),
      ...(csvOptions.decimal ? { decimal: csvOptions.decimal } : {}),
    });
    if (!summary) return undefined;
    try {
      return dataFacts(summary, csvOptions);
    } catch (error) {
      return refusal(error, `${what} ${resource.name}: `);
    }
  };
  const data = await factsOf(definition.datasetResourceId, 'dataset');
  const test = await factsOf(definition.testDatasetResourceId, 'test dataset');
  if (data && test && data.featureNames.join('\u0000') !== test.featureNames.join('\u0000'))
    throw new TrainingRefusedError(
      `the test dataset has the feature columns ${test.featureNames.map((n) => `"${n}"`).join(', ')} but the training dataset has ${data.featureNames.map((n) => `"${n}"`).join(', ')}`,
      { field: 'test_file' },
    );
  // Without data facts (a legacy file and no store) the data-independent parts are still checked.
  const facts: DataFacts = data ?? {
    featureNames: ['x'],
    sampleShape: [1],
    labels:
      definition.problemType === 'regression'
        ? { kind: 'numeric', columns: ['target'] }
        : { kind: 'categorical', column: 'label', classNames: ['a', 'b'], classCount: 2 },
    warnings: [],
  };
  if (data && test && data.labels.kind === 'categorical' && test.labels.kind === 'categorical') {
    const classes = new Set([...data.labels.classNames, ...test.labels.classNames]);
    facts.labels = {
      ...data.labels,
      classNames: [...classes],
      classCount: data.labels.classCount === null ? null : Math.max(classes.size, data.labels.classCount),
    };
  }
  try {
    const check = checkTraining({
      definition,
      hyperparameters: request.hyperparameters,
      preprocessing,
      data: facts,
    });
    return data ? check : null;
  } catch (error) {
    // Without the data, a shape check would be against made-up facts: only refuse what does not depend on them.
    if (
      !data &&
      isMlInputError(error) &&
      ['SHAPE_MISMATCH', 'SINGLE_CLASS', 'MISSING_COLUMN', 'INVALID_DATA'].includes(error.code)
    )
      return null;
    return refusal(error);
  }
}

/**
 * The folder of base model `name` in the pretrained-model store `store` (PRETRAINED_MODELS_DIR; the layout is
 * @trainhub/ml/model-store's, `<store>/<name>/model.json`). The one check of a transfer layer's base at the
 * request, for every style: the Edge Impulse skin calls it per `transfer_*` visual layer (`what` = "the layer
 * transfer_mobilenetv2_a35"), createTraining through `withBaseModels` for every `transfer` layer of the
 * translated spec. Throws TrainingRefusedError (INVALID: the style's own 400) `"<what> needs pretrained
 * weights, which cannot be downloaded here: <store>/<name>/model.json is missing"`, or "... set
 * PRETRAINED_MODELS_DIR ..." when no store is configured, or naming an invalid name (`..`, absolute paths).
 */
export function requireBaseModel(
  store: string | null | undefined,
  name: string,
  what: string,
  details: RefusalDetails = {},
): string {
  if (!isBaseModelName(name))
    throw new TrainingRefusedError(
      `${what} names the base model "${name}", which is not a model store name (letters, digits, _ . - and /)`,
      details,
    );
  if (!store || !hasBaseModel(store, name))
    throw new TrainingRefusedError(
      `${what} needs pretrained weights, which cannot be downloaded here: ` +
        (store
          ? `${baseModelFile(store, name)} is missing`
          : `set PRETRAINED_MODELS_DIR to a folder holding ${name}/${MODEL_FILE}`),
      details,
    );
  return resolveBaseModel(store, name);
}

/**
 * A translated definition whose `transfer` layers (`{ type: 'transfer', model }`, from any style: an MLW or
 * tRPC architecture file, Edge Impulse `transfer_*` layers, the session style's import_model) each have their
 * base in the model store, with that store recorded as `modelStore` so the trainer loads the base from where
 * it was checked (a trainer's MODEL_STORE_DIR still overrides it). The store is the one the style already
 * recorded (Edge Impulse, session style) or else `store`, the configured PRETRAINED_MODELS_DIR. A definition
 * without transfer layers comes back unchanged. Throws requireBaseModel's TrainingRefusedError naming the
 * layer (`Layer 2 (transfer tiny) needs pretrained weights ...`, details.layer 1-based).
 */
export function withBaseModels(
  definition: NormalizedTrainingDefinition,
  store: string | null | undefined,
): NormalizedTrainingDefinition {
  const modelStore = definition.modelStore ?? store ?? undefined;
  let transfers = 0;
  definition.spec.layers.forEach((layer, index) => {
    if (layer.type !== 'transfer') return;
    transfers++;
    const name = String((layer as { model?: unknown }).model ?? '');
    requireBaseModel(modelStore, name, `Layer ${index + 1} (transfer ${name})`, { layer: index + 1 });
  });
  return transfers && modelStore ? { ...definition, modelStore } : definition;
}
