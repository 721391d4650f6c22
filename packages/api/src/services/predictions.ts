import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { LRUCache } from 'lru-cache';
import pLimit from 'p-limit';
import Papa from 'papaparse';
import type { ArtifactStore, Db, ModelDeployment, ModelJob, Prisma, Resource } from '@trainhub/db';
import type { ModelSignature, ModelTestReport, RawRow, RowPrediction, TrainedModel } from '@trainhub/ml';
import { projectScope, type Principal } from '../auth/principal';
import { requireProject } from './access';
import { DomainError } from './errors';
import { loadMl, readModelMetadata, registryName, requireModelResource, unzipModel } from './models';

// Using trained models: single-row predictions, batch scoring of a dataset resource into a new dataset
// resource, model testing on a labelled dataset resource, and deployments (the registry's deployed version).
//
// Where it runs: in the web process, never in a trainer, so a prediction never waits behind (or slows) a
// training's epoch, and a training never waits behind scoring. Single-row predictions run synchronously on
// a model kept loaded in a bounded LRU cache (they take well under a millisecond of CPU for an MLP); batch
// scorings and model tests are jobs (ModelJob rows with progress) that run at most PREDICT_JOB_CONCURRENCY at
// a time per web process, stream their input in chunks of CHUNK_ROWS rows and yield the event loop between
// chunks, so API requests keep being answered while they run.

/** What every function here needs: the database and the artifact store. */
export interface PredictionDeps {
  db: Db;
  store: ArtifactStore;
}

/** Most rows one predictRows call takes (bigger batches: scoreDataset). */
export const MAX_PREDICT_ROWS = 1000;
/**
 * Rows read, predicted and written per step of a batch job. A step's forward pass runs synchronously, so this
 * bounds how long a job holds the web process's event loop at once (a few ms to tens of ms for an MLP).
 */
export const CHUNK_ROWS = 512;
/** A QUEUED or RUNNING job whose heartbeat (updatedAt) is older than this is reported FAILED (its process died). */
export const JOB_STALE_MS = 120_000;

function envInt(name: string, fallback: number): number {
  const v = Number(process.env[name]);
  return Number.isSafeInteger(v) && v > 0 ? v : fallback;
}

// ---------------------------------------------------------------- loaded models (bounded LRU)

/** A model loaded for prediction, with what the cache accounts for it. */
export interface LoadedModel {
  resourceId: number;
  model: TrainedModel;
  signature: ModelSignature;
  /** Approximate memory: weights + model.json bytes. */
  bytes: number;
  disposed: boolean;
}

export interface ModelCacheOptions {
  /** Most models kept loaded (default env PREDICT_CACHE_MODELS or 16). */
  maxModels?: number;
  /** Most weight bytes kept loaded (default env PREDICT_CACHE_BYTES or 512 MiB). */
  maxBytes?: number;
}

/**
 * Recently used models, kept loaded (lru-cache): at most `maxModels` models and `maxBytes` of weights; the
 * least recently used is evicted first and its TensorFlow.js model disposed (its tensors freed). Concurrent
 * requests for a model not yet loaded share one load. A model bigger than `maxBytes` is loaded for its call
 * and disposed after it.
 */
export class ModelCache {
  private readonly lru: LRUCache<string, LoadedModel, { load: () => Promise<LoadedModel> }>;
  /** Loads done and models disposed since the cache was made (for tests and the bench). */
  readonly counters = { loads: 0, disposed: 0 };

  constructor(options: ModelCacheOptions = {}) {
    const maxModels = options.maxModels ?? envInt('PREDICT_CACHE_MODELS', 16);
    const maxBytes = options.maxBytes ?? envInt('PREDICT_CACHE_BYTES', 512 * 1024 * 1024);
    this.lru = new LRUCache({
      max: maxModels,
      maxSize: maxBytes,
      sizeCalculation: (m) => Math.max(1, m.bytes),
      fetchMethod: async (_key, _stale, { context }) => {
        const loaded = await context.load();
        this.counters.loads++;
        return loaded;
      },
      // Deferred one turn: a caller that has just been handed this model (and predicts synchronously) is done.
      dispose: (m) => setImmediate(() => this.release(m)),
    });
  }

  private release(m: LoadedModel) {
    if (m.disposed) return;
    m.disposed = true;
    m.model.dispose();
    this.counters.disposed++;
  }

  /** Models now loaded and the bytes they account for. */
  get size() {
    return { models: this.lru.size, bytes: this.lru.calculatedSize };
  }

  /**
   * Runs `use` (synchronously) on the loaded model for `key`, loading it with `load` when it is not cached.
   * `key` must change when the model's bytes change (resource id + content hash).
   */
  async with<T>(key: string, load: () => Promise<LoadedModel>, use: (m: LoadedModel) => T): Promise<T> {
    let m = await this.lru.fetch(key, { context: { load } });
    if (!m || m.disposed) m = await load();
    try {
      return use(m);
    } finally {
      if (!this.lru.has(key) || this.lru.peek(key) !== m) setImmediate(() => this.release(m));
    }
  }

  /** Forgets every model (disposing them). */
  clear() {
    this.lru.clear();
  }
}

/** The web process's model cache. */
export const modelCache = new ModelCache();

let backendReady: Promise<unknown> | undefined;

/**
 * The TensorFlow.js backend predictions run on, chosen once per process: env PREDICT_BACKEND (auto | wasm |
 * cpu | tensorflow), default `auto` (libtensorflow when installed, else wasm, else plain JS).
 */
async function ml() {
  const core = await loadMl();
  backendReady ??= core.initBackend(
    (process.env.PREDICT_BACKEND as Parameters<typeof core.initBackend>[0] | undefined) ?? 'auto',
  );
  await backendReady;
  return core;
}

/** Loads a stored model zip into TensorFlow.js (not cached: see ModelCache). INVALID when it is no model. */
export async function loadModel(deps: PredictionDeps, resource: Resource): Promise<LoadedModel> {
  const core = await ml();
  const files = unzipModel(resource, new Uint8Array(await deps.store.get(resource.storageKey)));
  let model: TrainedModel;
  try {
    const artifacts = core.artifactsFromFiles(files);
    if (artifacts.metadata?.format !== 'trainhub.model' || !artifacts.metadata.preprocessing)
      throw new core.MlInputError('INVALID_ARTIFACTS', 'no Trainhub metadata.json');
    model = await core.loadTrainedModel(artifacts);
  } catch (error) {
    throw new DomainError(
      'INVALID',
      `model ${resource.name} cannot be loaded for prediction: ${(error as Error).message}`,
    );
  }
  const bytes = (files['weights.bin']?.byteLength ?? 0) + (files['model.json']?.byteLength ?? 0);
  return {
    resourceId: resource.id,
    model,
    signature: core.modelSignature(model.metadata),
    bytes,
    disposed: false,
  };
}

/** An MlInputError (bad rows) as a 400 naming the row and feature; anything else unchanged. */
async function asDomainError(error: unknown): Promise<unknown> {
  const core = await loadMl();
  if (core.isMlInputError(error)) return new DomainError('INVALID', error.message);
  return error;
}

// ---------------------------------------------------------------- single rows

/** predictRows' answer. */
export interface PredictionResult {
  modelResourceId: number;
  problem: ModelSignature['problem'];
  /** Feature names in column order (rows given as arrays follow it). */
  features: string[];
  /**
   * One per row, in order: `{ label, index, probabilities: { <class>: p } }` (classification, probabilities
   * sum to 1) or `{ values: { <target>: v } }` (regression).
   */
  predictions: RowPrediction[];
}

/**
 * Predicts rows with a model of the project (viewer role). Rows are objects by feature name (extra names
 * ignored) or arrays in the model's column order (`features`); values are numbers or numeric strings. The
 * model's preprocessing (column selection, scaling) is applied from its metadata.json.
 *
 * Errors (DomainError): NOT_FOUND "model not found" for an unknown, deleted or another team's model (or
 * project); INVALID (400) for a resource that is no Trainhub model, no rows or more than MAX_PREDICT_ROWS, a
 * row of the wrong width, a missing or non-numeric feature: the message names the row (1-based) and the
 * feature, e.g. `Row 2: feature "petal_width" is "abc", not a finite number`.
 */
export async function predictRows(
  deps: PredictionDeps,
  principal: Principal,
  projectId: number,
  modelResourceId: number,
  rows: readonly RawRow[],
  cache: ModelCache = modelCache,
): Promise<PredictionResult> {
  const resource = await requireModelResource(deps.db, principal, projectId, modelResourceId);
  if (!Array.isArray(rows) || rows.length === 0) throw new DomainError('INVALID', 'give at least one row');
  if (rows.length > MAX_PREDICT_ROWS)
    throw new DomainError('INVALID', `at most ${MAX_PREDICT_ROWS} rows per call; score a dataset for more`);
  const core = await ml();
  try {
    return await cache.with(
      `${resource.id}:${resource.contentHash}`,
      () => loadModel(deps, resource),
      (m) => ({
        modelResourceId: resource.id,
        problem: m.signature.problem,
        features: m.signature.features,
        predictions: core.predictRows(m.model, rows),
      }),
    );
  } catch (error) {
    throw await asDomainError(error);
  }
}

/**
 * Loads a model into the cache ahead of its first prediction (the web UI calls it when a version's page
 * opens, so "Try it" does not wait for TensorFlow.js and the weights). Never throws: a model that cannot be
 * loaded is reported by the prediction itself.
 */
export function prefetchModel(
  deps: PredictionDeps,
  principal: Principal,
  projectId: number,
  modelResourceId: number,
  cache: ModelCache = modelCache,
): void {
  void requireModelResource(deps.db, principal, projectId, modelResourceId)
    .then((resource) =>
      cache.with(
        `${resource.id}:${resource.contentHash}`,
        () => loadModel(deps, resource),
        () => undefined,
      ),
    )
    .catch(() => undefined);
}

// ---------------------------------------------------------------- batch jobs (scoring, testing)

/** How a scoring names its output (defaults: `probability_<class>` and `prediction`). */
export interface ScoreOptions {
  /** Name of the result resource (default `predicted_<dataset name>_<epoch ms>.csv`, as MLW names it). */
  resultName?: string;
  /** Column of class `className` (index `index`): default `probability_<className>`. */
  probabilityColumn?: (className: string, index: number) => string;
  /** Column of the predicted label (classification) or, with one target, the predicted value: default `prediction`. */
  predictionColumn?: string;
}

/** How a model test finds the truth (default: the training's label column, else the one non-feature column). */
export interface EvaluateOptions {
  labelColumn?: string;
}

const running = new Map<number, Promise<ModelJob>>();
const jobLimit = pLimit(envInt('PREDICT_JOB_CONCURRENCY', 1));

/** A job as callers see it: a job whose process died (no heartbeat for JOB_STALE_MS) reads FAILED. */
async function settleStale(db: Db, job: ModelJob, now = Date.now()): Promise<ModelJob> {
  if ((job.status === 'QUEUED' || job.status === 'RUNNING') && !running.has(job.id)) {
    if (now - job.updatedAt.getTime() > JOB_STALE_MS) {
      await db.modelJob.updateMany({
        where: { id: job.id, status: job.status },
        data: {
          status: 'FAILED',
          error: 'interrupted: the web process running it stopped',
          finishedAt: new Date(),
        },
      });
      return db.modelJob.findUniqueOrThrow({ where: { id: job.id } });
    }
  }
  return job;
}

/** One job of a project the caller can see (viewer); NOT_FOUND otherwise. */
export async function getModelJob(db: Db, principal: Principal, projectId: number, jobId: number) {
  await requireProject(db, principal, projectId, 'VIEWER');
  const job = Number.isSafeInteger(jobId)
    ? await db.modelJob.findFirst({ where: { id: jobId, projectId } })
    : null;
  if (!job) throw new DomainError('NOT_FOUND', 'job not found');
  return settleStale(db, job);
}

/** Jobs of a project (optionally of one model), newest first, at most `take` (100). */
export async function listModelJobs(
  db: Db,
  principal: Principal,
  projectId: number,
  filter: { modelResourceId?: number; kind?: 'SCORE' | 'EVALUATE'; take?: number } = {},
) {
  await requireProject(db, principal, projectId, 'VIEWER');
  const jobs = await db.modelJob.findMany({
    where: {
      projectId,
      ...(filter.modelResourceId !== undefined ? { modelResourceId: filter.modelResourceId } : {}),
      ...(filter.kind ? { kind: filter.kind } : {}),
    },
    orderBy: { id: 'desc' },
    take: Math.min(filter.take ?? 100, 1000),
  });
  return Promise.all(jobs.map((j) => settleStale(db, j)));
}

async function requireDataset(db: Db, projectId: number, resourceId: number): Promise<Resource> {
  const resource = Number.isSafeInteger(resourceId)
    ? await db.resource.findFirst({ where: { id: resourceId, projectId, deletedAt: null } })
    : null;
  if (!resource) throw new DomainError('NOT_FOUND', 'dataset not found');
  if (resource.kind !== 'DATASET')
    throw new DomainError(
      'INVALID',
      `resource ${resource.name} is a ${resource.kind.toLowerCase()} file, not a dataset`,
    );
  if (/\.json$/i.test(resource.name) || resource.contentType?.includes('json'))
    throw new DomainError(
      'INVALID',
      `dataset ${resource.name} is JSON; scoring and testing take CSV datasets`,
    );
  return resource;
}

/**
 * Starts a batch scoring of a CSV dataset resource with a model (both of the project; editor role) and
 * returns its job at once (status QUEUED/RUNNING, `progress` 0..1 = share of the input read, `rowsDone`).
 * When it completes, `resultResourceId` is a new DATASET resource: the input columns, one probability column
 * per class and the prediction (regression: one `predicted_<target>` column per target). A bad row fails the
 * job with a message naming the row (as numbered in the file, header = 1) and the feature.
 * Errors before starting: NOT_FOUND (model or dataset unknown, deleted, another team's), FORBIDDEN (viewer),
 * INVALID (not a model / not a CSV dataset / no Trainhub model).
 */
export async function startScoring(
  deps: PredictionDeps,
  principal: Principal,
  projectId: number,
  modelResourceId: number,
  datasetResourceId: number,
  options: ScoreOptions = {},
): Promise<ModelJob> {
  return startJob(deps, principal, 'SCORE', projectId, modelResourceId, datasetResourceId, options, {});
}

/**
 * Scores a dataset (see startScoring) and waits for it: the completed job and the result DATASET resource.
 * A failure on the data is a DomainError INVALID naming the row and feature (the job is FAILED too).
 */
export async function scoreDataset(
  deps: PredictionDeps,
  principal: Principal,
  projectId: number,
  modelResourceId: number,
  datasetResourceId: number,
  options: ScoreOptions = {},
): Promise<{ job: ModelJob; resource: Resource }> {
  const job = await startScoring(deps, principal, projectId, modelResourceId, datasetResourceId, options);
  const done = await waitForJob(job.id);
  const resource = await deps.db.resource.findUniqueOrThrow({ where: { id: done.resultResourceId! } });
  return { job: done, resource };
}

/**
 * Starts a model test on a labelled CSV dataset resource (editor role) and returns its job at once. When it
 * completes, `result` is a ModelTestReport: classification `{ accuracy, loss (cross-entropy), confusionMatrix
 * (matrix[true][predicted], classNames order), perClass: [{ className, precision, recall, f1, support }],
 * precision/recall/f1 (macro) }`; regression `{ loss, mse, mae, r2 }`. The test stays with the model
 * (getModelVersion's `tests`). A label the model does not know fails it, naming the row.
 */
export async function startEvaluation(
  deps: PredictionDeps,
  principal: Principal,
  projectId: number,
  modelResourceId: number,
  datasetResourceId: number,
  options: EvaluateOptions = {},
): Promise<ModelJob> {
  return startJob(deps, principal, 'EVALUATE', projectId, modelResourceId, datasetResourceId, {}, options);
}

/** A model test (see startEvaluation), waited for: the completed job and its report. */
export async function evaluate(
  deps: PredictionDeps,
  principal: Principal,
  projectId: number,
  modelResourceId: number,
  datasetResourceId: number,
  options: EvaluateOptions = {},
): Promise<{ job: ModelJob; report: ModelTestReport }> {
  const job = await startEvaluation(deps, principal, projectId, modelResourceId, datasetResourceId, options);
  const done = await waitForJob(job.id);
  return { job: done, report: done.result as unknown as ModelTestReport };
}

/**
 * Two models' tests on the same dataset, side by side (each run now, one after the other): the input of a
 * comparison table. Both models must be of the project.
 */
export async function compareModels(
  deps: PredictionDeps,
  principal: Principal,
  projectId: number,
  modelResourceIds: [number, number],
  datasetResourceId: number,
  options: EvaluateOptions = {},
) {
  const results = [];
  for (const id of modelResourceIds)
    results.push({
      modelResourceId: id,
      ...(await evaluate(deps, principal, projectId, id, datasetResourceId, options)),
    });
  return results;
}

/** Resolves with the finished job; rejects with its DomainError when it failed on its input. */
async function waitForJob(jobId: number): Promise<ModelJob> {
  const p = running.get(jobId);
  if (!p) throw new Error(`job ${jobId} is not running in this process`);
  const job = await p;
  if (job.status !== 'COMPLETED') throw new DomainError('INVALID', job.error ?? 'the job failed');
  return job;
}

async function startJob(
  deps: PredictionDeps,
  principal: Principal,
  kind: 'SCORE' | 'EVALUATE',
  projectId: number,
  modelResourceId: number,
  datasetResourceId: number,
  score: ScoreOptions,
  test: EvaluateOptions,
): Promise<ModelJob> {
  const model = await requireModelResource(deps.db, principal, projectId, modelResourceId, 'EDITOR');
  const dataset = await requireDataset(deps.db, projectId, datasetResourceId);
  await readModelMetadata(deps.store, model);
  const job = await deps.db.modelJob.create({
    data: { projectId, kind, modelResourceId, datasetResourceId, createdById: principal.userId },
  });
  const promise = jobLimit(() => runJob(deps, job, model, dataset, principal.userId, score, test)).finally(
    () => running.delete(job.id),
  );
  running.set(job.id, promise);
  promise.catch(() => undefined);
  return job;
}

async function runJob(
  deps: PredictionDeps,
  job: ModelJob,
  modelResource: Resource,
  dataset: Resource,
  userId: string | null,
  score: ScoreOptions,
  test: EvaluateOptions,
): Promise<ModelJob> {
  const { db } = deps;
  await db.modelJob.update({ where: { id: job.id }, data: { status: 'RUNNING', startedAt: new Date() } });
  let loaded: LoadedModel | null = null;
  let outputKey: string | null = null;
  try {
    loaded = await loadModel(deps, modelResource);
    const progress = new ProgressWriter(db, job.id, dataset.size);
    let data: Prisma.ModelJobUpdateInput;
    if (job.kind === 'SCORE') {
      outputKey = `projects/${job.projectId}/resources/${randomUUID()}`;
      const { stored, columns } = await scoreStream(deps, loaded, dataset, outputKey, score, progress);
      const resource = await db.resource.create({
        data: {
          projectId: job.projectId,
          kind: 'DATASET',
          name: score.resultName ?? `predicted_${dataset.name.replace(/\.csv$/i, '')}_${Date.now()}.csv`,
          contentType: 'text/csv',
          size: stored.size,
          contentHash: stored.contentHash,
          storageKey: stored.key,
          metadata: {
            scoredBy: { modelResourceId: modelResource.id, datasetResourceId: dataset.id, jobId: job.id },
          },
          createdById: userId,
        },
      });
      outputKey = null;
      data = { resultResourceId: resource.id, result: { columns, rows: progress.rows } };
    } else {
      const labelColumn = test.labelColumn ?? (await trainingLabelColumn(db, modelResource.id));
      const report = await evaluateStream(deps, loaded, dataset, labelColumn, progress);
      data = { result: report as unknown as Prisma.InputJsonValue };
    }
    return await db.modelJob.update({
      where: { id: job.id },
      data: { ...data, status: 'COMPLETED', progress: 1, rowsDone: progress.rows, finishedAt: new Date() },
    });
  } catch (error) {
    if (outputKey) await deps.store.delete(outputKey).catch(() => undefined);
    const mapped = await asDomainError(error);
    const message =
      mapped instanceof DomainError
        ? mapped.message
        : `internal error: ${(error as Error)?.message ?? String(error)}`;
    return db.modelJob.update({
      where: { id: job.id },
      data: { status: 'FAILED', error: message.slice(0, 2000), finishedAt: new Date() },
    });
  } finally {
    loaded?.model.dispose();
  }
}

/** The label column the model's training used (its task's labelColumns), when known. */
async function trainingLabelColumn(db: Db, modelResourceId: number): Promise<string | undefined> {
  const run = await db.execution.findUnique({ where: { modelResourceId }, include: { task: true } });
  const def = run?.task.definition as { labelColumns?: unknown } | undefined;
  return Array.isArray(def?.labelColumns) && typeof def.labelColumns[0] === 'string'
    ? def.labelColumns[0]
    : undefined;
}

/** Writes a job's progress at most every 500 ms (its heartbeat too). */
class ProgressWriter {
  rows = 0;
  bytes = 0;
  private last = 0;
  constructor(
    private readonly db: Db,
    private readonly jobId: number,
    private readonly total: number,
  ) {}
  async update(rows: number, bytes: number) {
    this.rows = rows;
    this.bytes = bytes;
    const now = Date.now();
    if (now - this.last < 500) return;
    this.last = now;
    await this.db.modelJob.update({
      where: { id: this.jobId },
      data: { rowsDone: rows, progress: this.total > 0 ? Math.min(0.99, bytes / this.total) : 0 },
    });
  }
}

/**
 * The records of a stored CSV file in chunks: the header, then up to CHUNK_ROWS records at a time with the
 * file row number of the first (header = row 1) and the bytes read so far. Streams: memory stays one chunk.
 */
async function* csvChunks(
  store: ArtifactStore,
  resource: Resource,
): AsyncGenerator<{ header: string[]; records: string[][]; firstRow: number; bytesRead: number }> {
  const input = await store.stream(resource.storageKey);
  let bytesRead = 0;
  input.on('data', (chunk: Buffer | string) => {
    bytesRead += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
  });
  const parser = input.setEncoding('utf8').pipe(Papa.parse(Papa.NODE_STREAM_INPUT, { skipEmptyLines: true }));
  let header: string[] | null = null;
  let records: string[][] = [];
  let row = 1;
  let firstRow = 2;
  for await (const record of parser as AsyncIterable<string[]>) {
    if (!header) {
      header = record.map((h, i) => (i === 0 ? h.replace(/^\uFEFF/, '') : h).trim());
      continue;
    }
    row++;
    if (record.length !== header.length) {
      throw new DomainError(
        'INVALID',
        `Row ${row} of ${resource.name} has ${record.length} cells but the header has ${header.length} columns`,
      );
    }
    records.push(record);
    if (records.length === CHUNK_ROWS) {
      yield { header, records, firstRow, bytesRead };
      records = [];
      firstRow = row + 1;
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
  if (!header) throw new DomainError('INVALID', `dataset ${resource.name} is empty`);
  yield { header, records, firstRow, bytesRead };
}

/** Where each model feature is in the file's header; INVALID naming a feature the file lacks. */
function featureIndex(signature: ModelSignature, header: string[], resource: Resource): number[] {
  const used = new Set(signature.usedFeatures);
  return signature.features.map((name) => {
    const i = header.indexOf(name);
    if (i < 0 && used.has(name))
      throw new DomainError(
        'INVALID',
        `dataset ${resource.name} has no column "${name}", a feature of the model`,
      );
    return i;
  });
}

function chunkRows(records: string[][], index: number[]): RawRow[] {
  // A file whose columns are exactly the model's features (in order) is passed as read: no copy per row.
  if (records[0]?.length === index.length && index.every((c, i) => c === i)) return records;
  return records.map((r) => index.map((i) => (i < 0 ? '0' : r[i]!)));
}

/** A CSV field: quoted (RFC 4180) only when it holds a delimiter, a quote or a line break. */
function csvCell(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** A float32 value in the fewest digits that read back as the same float32 (at most 9 significant). */
function float32Text(value: number): string {
  return String(Number(value.toPrecision(9)));
}

async function scoreStream(
  deps: PredictionDeps,
  loaded: LoadedModel,
  dataset: Resource,
  key: string,
  options: ScoreOptions,
  progress: ProgressWriter,
) {
  const core = await ml();
  const { signature } = loaded;
  const columns: string[] = [];
  async function* lines(): AsyncGenerator<string> {
    let rows = 0;
    for await (const { header, records, firstRow, bytesRead } of csvChunks(deps.store, dataset)) {
      const index = featureIndex(signature, header, dataset);
      if (columns.length === 0) {
        const extra =
          signature.problem === 'regression'
            ? signature.targetColumns.length <= 1 && options.predictionColumn
              ? [options.predictionColumn] // one target: the predicted value under the caller's name
              : (signature.targetColumns.length ? signature.targetColumns : ['value']).map(
                  (t) => `predicted_${t}`,
                )
            : [
                ...signature.classNames.map(
                  (c, i) => options.probabilityColumn?.(c, i) ?? `probability_${c}`,
                ),
                options.predictionColumn ?? 'prediction',
              ];
        columns.push(...header, ...extra);
        yield Papa.unparse([columns], { newline: '\n' }) + '\n';
      }
      if (records.length === 0) continue;
      const raw = core.rowsToMatrix(signature, chunkRows(records, index), firstRow);
      const { width, values, predicted } = core.predictMatrix(loaded.model, raw);
      let text = '';
      for (let i = 0; i < records.length; i++) {
        const cells = records[i]!.map(csvCell);
        for (let j = 0; j < width; j++) cells.push(float32Text(values[i * width + j]!));
        if (predicted) cells.push(csvCell(signature.classNames[predicted[i]!] ?? String(predicted[i])));
        text += cells.join(',') + '\n';
      }
      rows += records.length;
      yield text;
      await progress.update(rows, bytesRead);
    }
  }
  const stored = await deps.store.put(key, Readable.from(lines()));
  return { stored, columns };
}

async function evaluateStream(
  deps: PredictionDeps,
  loaded: LoadedModel,
  dataset: Resource,
  labelColumn: string | undefined,
  progress: ProgressWriter,
): Promise<ModelTestReport> {
  const core = await ml();
  const { signature } = loaded;
  const acc = new core.ModelTestAccumulator(signature);
  const classIndex = new Map(signature.classNames.map((c, i) => [c, i]));
  let rows = 0;
  let labelIdx: number[] | null = null;
  for await (const { header, records, firstRow, bytesRead } of csvChunks(deps.store, dataset)) {
    const index = featureIndex(signature, header, dataset);
    if (!labelIdx) labelIdx = labelColumns(signature, header, labelColumn, dataset);
    if (records.length === 0) continue;
    const raw = core.rowsToMatrix(signature, chunkRows(records, index), firstRow);
    const { values, predicted } = core.predictMatrix(loaded.model, raw);
    if (predicted) {
      const col = labelIdx[0]!;
      const truth = records.map((r, i) => {
        const label = r[col]!.trim();
        const c = classIndex.get(label);
        if (c === undefined)
          throw new DomainError(
            'INVALID',
            `Row ${firstRow + i}: label "${label.slice(0, 40)}" (column "${header[col]}") is not a class of the model (${signature.classNames.join(', ')})`,
          );
        return c;
      });
      acc.addClassification(values, predicted, truth);
    } else {
      const truth = new Float32Array(records.length * labelIdx.length);
      records.forEach((r, i) =>
        labelIdx!.forEach((col, j) => {
          const v = Number(r[col]!.trim());
          if (r[col]!.trim() === '' || !Number.isFinite(v))
            throw new DomainError('INVALID', `Row ${firstRow + i}: target "${header[col]}" is not a number`);
          truth[i * labelIdx!.length + j] = v;
        }),
      );
      acc.addRegression(values, truth);
    }
    rows += records.length;
    await progress.update(rows, bytesRead);
  }
  if (rows === 0) throw new DomainError('INVALID', `dataset ${dataset.name} has a header but no rows`);
  return acc.report();
}

function labelColumns(
  signature: ModelSignature,
  header: string[],
  wanted: string | undefined,
  dataset: Resource,
): number[] {
  const find = (name: string) => {
    const i = header.indexOf(name);
    if (i < 0) throw new DomainError('INVALID', `dataset ${dataset.name} has no label column "${name}"`);
    return i;
  };
  if (signature.problem === 'regression') {
    return signature.targetColumns.length
      ? signature.targetColumns.map(find)
      : [find(wanted ?? header[header.length - 1]!)];
  }
  if (wanted) return [find(wanted)];
  const features = new Set(signature.features);
  const others = header.map((h, i) => ({ h, i })).filter(({ h }) => !features.has(h));
  if (others.length === 0)
    throw new DomainError(
      'INVALID',
      `dataset ${dataset.name} has no label column (every column is a feature)`,
    );
  return [others[others.length - 1]!.i];
}

// ---------------------------------------------------------------- deployments

/** A deployed model: the registry name (MLW's `mleID`) and the version deployed under it. */
export interface DeployedModel {
  projectId: number;
  /** Registry name, unique per project. */
  name: string;
  modelResourceId: number;
  /** File name of the model resource. */
  fileName: string;
  deployedAt: Date;
  deployedById: string | null;
}

/**
 * Marks a model version as the deployed one of its name (editor role). With `replace` (default) another
 * deployed version of the same name is replaced; without it that is a CONFLICT "A model with the name 'X'
 * already exists." (MLW's answer). Deploying the deployed version again changes nothing.
 * Errors: NOT_FOUND "model not found" (unknown, deleted, another team's), INVALID (not a Trainhub model).
 */
export async function deploy(
  deps: PredictionDeps,
  principal: Principal,
  projectId: number,
  modelResourceId: number,
  options: { replace?: boolean } = {},
): Promise<DeployedModel> {
  const resource = await requireModelResource(deps.db, principal, projectId, modelResourceId, 'EDITOR');
  await readModelMetadata(deps.store, resource);
  const run = await deps.db.execution.findUnique({ where: { modelResourceId }, include: { task: true } });
  const name = registryName(resource, run?.task ?? null);
  const existing = await deps.db.modelDeployment.findUnique({
    where: { projectId_name: { projectId, name } },
  });
  if (existing && existing.modelResourceId !== resource.id && options.replace === false) {
    throw new DomainError('CONFLICT', `A model with the name '${name}' already exists.`);
  }
  const row = await deps.db.modelDeployment.upsert({
    where: { projectId_name: { projectId, name } },
    create: { projectId, name, modelResourceId: resource.id, deployedById: principal.userId },
    update:
      existing?.modelResourceId === resource.id
        ? {}
        : { modelResourceId: resource.id, deployedById: principal.userId },
  });
  return toDeployed(row, resource);
}

/**
 * Ends the deployment of a model version (admin role). NOT_FOUND "Model 'X' not found." when that version is
 * not deployed; "model not found" when the model itself is unknown.
 */
export async function undeploy(
  deps: PredictionDeps,
  principal: Principal,
  projectId: number,
  modelResourceId: number,
): Promise<{ name: string; modelResourceId: number }> {
  const resource = await requireModelResource(deps.db, principal, projectId, modelResourceId, 'ADMIN');
  const row = await deps.db.modelDeployment.findFirst({ where: { projectId, modelResourceId } });
  if (!row) throw new DomainError('NOT_FOUND', `Model '${resource.name.replace(/\.zip$/i, '')}' not found.`);
  await deps.db.modelDeployment.deleteMany({ where: { id: row.id, modelResourceId } });
  return { name: row.name, modelResourceId };
}

/**
 * Deployed models the caller can see: of one project, or (no projectId) of every project visible to it
 * (MLW's `GET /resources/deploy`). A deployed model whose resource was deleted is left out.
 */
export async function listDeployed(
  db: Db,
  principal: Principal,
  projectId?: number,
): Promise<DeployedModel[]> {
  if (projectId !== undefined) await requireProject(db, principal, projectId, 'VIEWER');
  const rows = await db.modelDeployment.findMany({
    where: projectId !== undefined ? { projectId } : { project: projectScope(principal) },
    orderBy: { id: 'asc' },
    take: 1000,
  });
  const resources = await db.resource.findMany({
    where: { id: { in: rows.map((r) => r.modelResourceId) }, deletedAt: null, kind: 'MODEL' },
  });
  const byId = new Map(resources.map((r) => [r.id, r]));
  return rows
    .filter((r) => byId.has(r.modelResourceId))
    .map((r) => toDeployed(r, byId.get(r.modelResourceId)!));
}

/** The deployed model named `name` (MLW's predict `{modelID}`), in a project or any visible one; NOT_FOUND. */
export async function findDeployed(
  db: Db,
  principal: Principal,
  name: string,
  projectId?: number,
): Promise<DeployedModel> {
  const found = (await listDeployed(db, principal, projectId)).find((d) => d.name === name);
  if (!found) throw new DomainError('NOT_FOUND', `Model '${name}' not found.`);
  return found;
}

function toDeployed(row: ModelDeployment, resource: Resource): DeployedModel {
  return {
    projectId: row.projectId,
    name: row.name,
    modelResourceId: row.modelResourceId,
    fileName: resource.name,
    deployedAt: row.updatedAt,
    deployedById: row.deployedById,
  };
}
