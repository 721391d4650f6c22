import * as tf from '@tensorflow/tfjs';
import { createHash } from 'node:crypto';
import { exportModel, ML_PACKAGE_VERSION, TrainedModel, type ModelArtifacts } from './artifacts.ts';
import { initBackend, type BackendInfo, type BackendPreference } from './backend.ts';
import { decodeCheckpoint, encodeCheckpoint, type CheckpointState, type NamedArray } from './checkpoint.ts';
import type { Dataset } from './data/types.ts';
import { concatDatasets, inferenceBatchSize, sampleSize } from './data/types.ts';
import { MlInputError } from './errors.ts';
import { parseHyperparameters, type Hyperparameters, type HyperparametersInput } from './hyperparameters.ts';
import { buildModel, type BuiltModel } from './layers.ts';
import { checkLoss, defaultLoss, perSampleLoss, type LossName } from './losses.ts';
import {
  classificationReport,
  confusionMatrix,
  regressionReport,
  type ClassificationReport,
  type MetricName,
  type RegressionReport,
} from './metrics.ts';
import {
  createOptimizer,
  DEFAULT_LEARNING_RATE,
  materializeOptimizer,
  optimizerState,
} from './optimizers.ts';
import { preprocess, type PreparedData, type PreprocessingSpecInput } from './preprocess.ts';
import { Rng } from './random.ts';
import { parseModelSpec, type ModelSpec, type ProblemType } from './spec.ts';

/** The MLW training stages, reported in this order. */
export type Stage =
  'ARCH_READ' | 'ARCH_CREATE_LAYER' | 'DATA_INIT' | 'DATA_PROCESS' | 'COMPILE' | 'TRAIN' | 'SAVE';

export interface EpochLog {
  /** 1-based. */
  epoch: number;
  loss: number;
  /** Training metrics by name (accuracy, f1, mse ...) and validation ones as val_<name>, plus val_loss. */
  metrics: Record<string, number>;
  learningRate: number;
  samplesPerSecond: number;
  durationMs: number;
}

export type StopSignal = 'stop' | 'cancel' | null | undefined;

/** Training yields to the event loop (and reports progress) at most this often, in ms. */
const YIELD_MS = 200;

export interface TrainCallbacks {
  onStage?(stage: Stage): void;
  /** Within an epoch, at most every 200 ms (when training yields to the event loop). */
  onProgress?(info: { epoch: number; batch: number; batches: number }): void;
  onEpoch?(log: EpochLog): void | Promise<void>;
  onLog?(line: string, level: 'info' | 'warn'): void;
}

export interface CheckpointSink {
  /** Called after every epoch with the encoded checkpoint (weights, optimizer state, epoch, RNG state). */
  save(bytes: Uint8Array, info: { epoch: number }): void | Promise<void>;
}

export interface TrainOptions {
  /** Model spec (object or JSON text); see spec.ts / README. */
  spec: unknown;
  /** Parsed data (parseCsv / parseJsonData). Its features may be transformed in place. */
  data: Dataset;
  preprocessing?: PreprocessingSpecInput;
  hyperparameters?: HyperparametersInput;
  /** Default: regression for numeric labels, classification for class labels. */
  problem?: ProblemType;
  /** Default: env TRAINHUB_ML_BACKEND, else auto. */
  backend?: BackendPreference;
  callbacks?: TrainCallbacks;
  /** Polled between batches: 'stop' ends early and keeps the model, 'cancel' discards it. */
  shouldStop?: () => StopSignal;
  checkpoint?: CheckpointSink;
  /** Bytes a CheckpointSink received: continue that run from the end of its epoch. */
  resumeFrom?: Uint8Array | null;
  /** A separate test set (same columns): evaluated instead of a test split carved from `data`. */
  testData?: Dataset;
  /** Folder of base models for transfer layers (default env TRAINHUB_MODEL_STORE). */
  modelStore?: string;
  /** Return the live model as `model` (the caller must dispose it); default false (disposed). */
  keepModel?: boolean;
}

export interface EvaluationMetrics {
  loss: number;
  numSamples: number;
  /**
   * Which rows the metrics were computed on: `test` when a test set exists that neither early stopping nor
   * the epoch charts saw; `validation` when those rows were also the validation rows (or no test set exists).
   */
  evaluatedOn: 'test' | 'validation' | 'training';
  classification?: ClassificationReport;
  regression?: RegressionReport;
}

export interface TrainCompleted {
  status: 'completed' | 'stopped';
  artifacts: ModelArtifacts;
  /** Evaluation on the test split (or the training split when the test split is empty). */
  metrics: EvaluationMetrics;
  history: EpochLog[];
  backend: BackendInfo;
  epochsCompleted: number;
  seed: number;
  /** The trained model, when keepModel was set. */
  model?: TrainedModel;
}

export interface TrainCancelled {
  status: 'cancelled';
  history: EpochLog[];
  backend: BackendInfo;
  epochsCompleted: number;
  seed: number;
}

export type TrainResult = TrainCompleted | TrainCancelled;

class Cancelled extends Error {}

/** A non-finite loss or weight: the run cannot recover. */
class Diverged extends Error {
  constructor(
    readonly epoch: number,
    readonly what: string,
  ) {
    super(`Training diverged at epoch ${epoch}: ${what}; lower the learning rate or scale the inputs`);
  }
}

/** Whether every weight of the model is a finite number. */
function weightsFinite(weights: tf.LayerVariable[]): boolean {
  return tf.tidy(() =>
    weights.every((w) => w.dtype !== 'float32' || tf.all(tf.isFinite(w.read())).dataSync()[0] === 1),
  );
}

function toArray(v: tf.Tensor): NamedArray['data'] {
  return v.dtype === 'int32'
    ? Int32Array.from(v.dataSync() as Int32Array)
    : Float32Array.from(v.dataSync() as Float32Array);
}

function snapshot(vars: { name: string }[], values: tf.Tensor[]): NamedArray[] {
  return values.map((t, i) => ({
    name: vars[i]!.name,
    dtype: t.dtype === 'int32' ? 'int32' : 'float32',
    shape: t.shape,
    data: toArray(t),
  }));
}

function defaultMetrics(problem: ProblemType): MetricName[] {
  return problem === 'regression' ? ['mse', 'mae', 'r2'] : ['accuracy'];
}

function metricValues(
  names: MetricName[],
  report: ClassificationReport | RegressionReport,
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const n of names) {
    const v = (report as unknown as Record<string, unknown>)[n];
    // A metric with no value (r2 of constant targets) is left out: no record holds NaN (JSON null).
    if (typeof v === 'number' && Number.isFinite(v)) out[n] = v;
  }
  return out;
}

/** Feature batches gathered into a reused buffer (the data set is never copied whole). */
class Batcher {
  private buffer: Float32Array;
  constructor(
    private data: PreparedData,
    private maxBatch: number,
  ) {
    this.buffer = new Float32Array(maxBatch * sampleSize(data.sampleShape));
  }
  x(indices: ArrayLike<number>, start: number, end: number): tf.Tensor {
    const w = sampleSize(this.data.sampleShape);
    const n = end - start;
    for (let i = 0; i < n; i++) {
      const r = indices[start + i]!;
      this.buffer.set(this.data.features.subarray(r * w, (r + 1) * w), i * w);
    }
    return tf.tensor(this.buffer.subarray(0, n * w), [n, ...this.data.sampleShape], 'float32');
  }
  y(indices: ArrayLike<number>, start: number, end: number): tf.Tensor {
    const n = end - start;
    const d = this.data;
    if (d.problem === 'regression') {
      const k = d.numTargets;
      const out = new Float32Array(n * k);
      for (let i = 0; i < n; i++)
        out.set(d.targets!.subarray(indices[start + i]! * k, (indices[start + i]! + 1) * k), i * k);
      return tf.tensor2d(out, [n, k]);
    }
    if (d.problem === 'binary') {
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = d.classes![indices[start + i]!]!;
      return tf.tensor2d(out, [n, 1]);
    }
    const out = new Float32Array(n * d.numClasses);
    for (let i = 0; i < n; i++) out[i * d.numClasses + d.classes![indices[start + i]!]!] = 1;
    return tf.tensor2d(out, [n, d.numClasses]);
  }
  weights(indices: ArrayLike<number>, start: number, end: number): tf.Tensor1D | null {
    const cw = this.data.classWeights;
    if (!cw) return null;
    const out = new Float32Array(end - start);
    for (let i = start; i < end; i++) out[i - start] = cw[this.data.classes![indices[i]!]!]!;
    return tf.tensor1d(out);
  }
}

/** Accumulates predictions of a split for metrics. */
class Tally {
  private truth: number[] = [];
  private pred: number[] = [];
  lossSum = 0;
  count = 0;
  constructor(private data: PreparedData) {}
  add(indices: ArrayLike<number>, start: number, output: tf.Tensor, lossSum: number) {
    const n = output.shape[0]!;
    this.lossSum += lossSum;
    this.count += n;
    const d = this.data;
    if (d.problem === 'regression') {
      const v = output.dataSync();
      for (let i = 0; i < n; i++) {
        const r = indices[start + i]!;
        for (let j = 0; j < d.numTargets; j++) {
          this.truth.push(d.targets![r * d.numTargets + j]!);
          this.pred.push(v[i * d.numTargets + j]!);
        }
      }
    } else {
      let labels: ArrayLike<number>;
      if (d.problem === 'binary') {
        const v = output.dataSync();
        labels = Array.from(v, (p) => (p >= 0.5 ? 1 : 0));
      } else {
        const am = tf.argMax(output, -1);
        labels = am.dataSync();
        am.dispose();
      }
      for (let i = 0; i < n; i++) {
        this.truth.push(d.classes![indices[start + i]!]!);
        this.pred.push(labels[i]!);
      }
    }
  }
  report(): ClassificationReport | RegressionReport {
    const d = this.data;
    if (d.problem === 'regression') return regressionReport(this.truth, this.pred, d.numTargets);
    return classificationReport(confusionMatrix(d.numClasses, this.truth, this.pred), d.params.classNames);
  }
  loss(): number {
    return this.count ? this.lossSum / this.count : NaN;
  }
}

function evaluate(
  model: tf.LayersModel,
  data: PreparedData,
  batcher: Batcher,
  indices: Int32Array,
  loss: LossName,
  batchSize: number,
) {
  const tally = new Tally(data);
  for (let s = 0; s < indices.length; s += batchSize) {
    const e = Math.min(indices.length, s + batchSize);
    tf.tidy(() => {
      const x = batcher.x(indices, s, e);
      const y = batcher.y(indices, s, e);
      // The whole eval batch in one pass: predict would slice it into batches of 32 (same values without
      // OpenBLAS; with it a product's rounding can differ by an ulp with the number of rows).
      const out = model.apply(x, { training: false }) as tf.Tensor;
      const l = perSampleLoss(loss, out, y);
      tally.add(indices, s, out, tf.sum(l).dataSync()[0]!);
    });
  }
  return tally;
}

function fingerprint(parts: unknown): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 32);
}

type Log = (line: string, level?: 'info' | 'warn') => void;

/** What ARCH_READ settles for a run: spec, hyperparameters, checkpoint, seed, problem type, loss, metrics. */
interface RunSettings {
  spec: ModelSpec;
  hp: Hyperparameters;
  resume: CheckpointState | null;
  seed: number;
  data: Dataset;
  problem: ProblemType;
  lossName: LossName;
  metricNames: MetricName[];
}

/** ARCH_READ: parses the spec, hyperparameters and checkpoint. Throws MlInputError for bad ones or no data. */
function readSettings(options: TrainOptions): RunSettings {
  const spec = parseModelSpec(options.spec);
  const hp: Hyperparameters = parseHyperparameters(options.hyperparameters);
  const resume: CheckpointState | null = options.resumeFrom ? decodeCheckpoint(options.resumeFrom) : null;
  // Without an explicit seed a resumed run continues with the seed the checkpoint recorded.
  const seed =
    hp.seed ??
    (typeof resume?.extra.seed === 'number' ? resume.extra.seed : Math.floor(Math.random() * 2 ** 31));
  const data = options.data;
  if (!data || !data.features || data.numSamples === 0)
    throw new MlInputError('EMPTY_DATA', 'The data set has no samples');
  const problem: ProblemType =
    options.problem ?? (data.labels.kind === 'numeric' ? 'regression' : 'classification');
  const lossName = hp.lossName ?? defaultLoss(problem);
  checkLoss(lossName, problem);
  const metricNames = hp.metricNames ?? defaultMetrics(problem);
  return { spec, hp, resume, seed, data, problem, lossName, metricNames };
}

/**
 * ARCH_CREATE_LAYER: the model for the data's classes (the preprocessing's preset classes win) or targets.
 * Throws MlInputError('SINGLE_CLASS') for a classification with fewer than two classes.
 */
async function createModel(options: TrainOptions, s: RunSettings, log: Log) {
  const { data } = s;
  const presetClasses = (options.preprocessing as { labels?: { classes?: string[] } } | undefined)?.labels
    ?.classes;
  const numClasses =
    data.labels.kind === 'categorical' ? (presetClasses?.length ?? data.labels.classNames.length) : 0;
  const numTargets = data.labels.kind === 'numeric' ? data.labels.columns.length : 0;
  if (s.problem !== 'regression' && numClasses < 2) {
    throw new MlInputError(
      'SINGLE_CLASS',
      `The label column has only one class ("${data.labels.kind === 'categorical' ? data.labels.classNames[0] : ''}"); classification needs at least two`,
    );
  }
  return buildModel(s.spec, {
    problem: s.problem,
    numClasses,
    numTargets,
    seed: s.seed,
    modelStore: options.modelStore,
    onLayer: (i, l) => log(`Layer ${i + 1}: ${l.type}`),
  });
}

/** DATA_INIT: the feature buffer must hold numSamples x sample size values (MlInputError SHAPE_MISMATCH). */
function checkFeatures(data: Dataset, log: Log): void {
  const width = sampleSize(data.sampleShape);
  if (data.features.length !== data.numSamples * width) {
    throw new MlInputError(
      'SHAPE_MISMATCH',
      `Feature buffer has ${data.features.length} values, expected ${data.numSamples} x ${width}`,
    );
  }
  log(`Data: ${data.numSamples} samples of shape [${data.sampleShape.join(', ')}]`);
}

/** Which rows train, validate and give the final metrics (indices into the prepared data). */
interface RowSplit {
  trainIdx: Int32Array;
  valIdx: Int32Array;
  evalIdx: Int32Array;
  hasTest: boolean;
  disjointTest: boolean;
  evaluatedOn: EvaluationMetrics['evaluatedOn'];
  /** Row counts as the model metadata records them. */
  split: {
    train: number;
    validation: number;
    test: number;
    seed: number;
    evaluatedOn: EvaluationMetrics['evaluatedOn'];
  };
}

/**
 * The validation rows: the hyperparameters' validation split of the training rows, else (early stopping
 * with a test set) 10% of them, else the test rows. The final metrics are on test rows the epochs never saw
 * when there are such, and named for what they are otherwise.
 */
function splitRows(prepared: PreparedData, hp: Hyperparameters, seed: number): RowSplit {
  let trainIdx = prepared.trainIndices;
  let valIdx = prepared.testIndices;
  const hasTest = prepared.testIndices.length > 0;
  // Early stopping decides on the validation rows, so they must not be the test rows: carve 10% of the
  // training split off when the request gave no validation split.
  const validationSplit =
    hp.validationSplit > 0
      ? hp.validationSplit
      : hp.earlyStopping && hasTest && trainIdx.length >= 2
        ? 0.1
        : 0;
  if (validationSplit > 0) {
    const k = Math.min(trainIdx.length - 1, Math.max(1, Math.round(trainIdx.length * validationSplit)));
    valIdx = trainIdx.slice(trainIdx.length - k);
    trainIdx = trainIdx.slice(0, trainIdx.length - k);
  }
  const disjointTest = hasTest && validationSplit > 0;
  const evalIdx = hasTest ? prepared.testIndices : valIdx.length ? valIdx : trainIdx;
  const evaluatedOn = disjointTest ? 'test' : valIdx.length ? 'validation' : 'training';
  const split = {
    train: trainIdx.length,
    validation: validationSplit > 0 ? valIdx.length : hasTest ? prepared.testIndices.length : 0,
    test: disjointTest ? prepared.testIndices.length : 0,
    seed,
    evaluatedOn,
  } as const;
  return { trainIdx, valIdx, evalIdx, hasTest, disjointTest, evaluatedOn, split };
}

/** DATA_PROCESS: preprocess (with the separate test set appended, if any), split the rows, log both. */
function prepareData(options: TrainOptions, s: RunSettings, log: Log) {
  const { data } = s;
  const prepared = preprocess(
    options.testData ? concatDatasets(data, options.testData) : data,
    options.preprocessing,
    {
      seed: s.seed,
      problem: s.problem,
      expectedSampleShape: s.spec.input.shape,
      ...(options.testData ? { fixedTestFrom: data.numSamples } : {}),
    },
  );
  const rows = splitRows(prepared, s.hp, s.seed);
  const { split } = rows;
  log(
    `Split: ${split.train} training, ${split.validation} validation, ${split.test} test samples (seed ${s.seed})` +
      (rows.hasTest && !rows.disjointTest
        ? '; the held-out rows are the validation rows, so the final metrics are validation metrics'
        : ''),
  );
  for (const w of data.warnings ?? []) log(w, 'warn');
  const classWeights = prepared.classWeights
    ? Object.fromEntries(prepared.params.classNames.map((c, i) => [c, prepared.classWeights![i]!]))
    : null;
  if (classWeights)
    log(
      `Class weights: ${Object.entries(classWeights)
        .map(([c, w]) => `${c}=${w.toFixed(4)}`)
        .join(', ')}`,
    );
  return { prepared, rows, classWeights };
}

/** The optimizer and the weights it trains, the run's fingerprint and the dropout/shuffle generator. */
interface Compiled {
  optimizer: tf.Optimizer;
  learningRate: number;
  trainable: tf.Variable[];
  allWeights: tf.LayerVariable[];
  fingerprint: string;
  rng: Rng;
}

/** COMPILE: the optimizer, and the fingerprint a checkpoint must match to resume this run. */
function compile(built: BuiltModel, options: TrainOptions, s: RunSettings, backend: BackendInfo): Compiled {
  const { hp } = s;
  const learningRate = hp.learningRate ?? DEFAULT_LEARNING_RATE[hp.optimizerName];
  const optimizer = createOptimizer(hp.optimizerName, learningRate, hp.momentum);
  const fingerprintOfRun = fingerprint({
    spec: s.spec,
    hp: { ...hp, epochs: undefined, earlyStopping: undefined },
    seed: s.seed,
    pre: options.preprocessing ?? null,
    n: s.data.numSamples,
    nTest: options.testData?.numSamples ?? 0,
    problem: s.problem,
    backend: backend.name,
  });
  const rng = new Rng(s.resume ? s.resume.rng : (s.seed ^ 0x5bd1e995) >>> 0);
  for (const d of built.dropouts) d.seeds = rng;
  return {
    optimizer,
    learningRate,
    trainable: built.model.trainableWeights.map((w) => w.read() as tf.Variable),
    allWeights: built.model.weights,
    fingerprint: fingerprintOfRun,
    rng,
  };
}

/** Early stopping's best epoch so far (its weights kept when the best weights are to be restored). */
interface Best {
  value: number;
  epoch: number;
  wait: number;
  weights: NamedArray[] | null;
}

/** What changes as a run goes: its history, early stopping's best, the epochs done and why it stops. */
interface Progress {
  history: EpochLog[];
  best: Best;
  startEpoch: number;
  epochsCompleted: number;
  stopReason: 'stop' | 'early' | null;
  lastYield: number;
}

/**
 * Continue from a checkpoint: optimizer slots, weights, history and early stopping's state. Throws
 * MlInputError('INVALID_CHECKPOINT') for a checkpoint of another run or model.
 */
function restoreCheckpoint(
  resume: CheckpointState,
  model: tf.LayersModel,
  c: Compiled,
  p: Progress,
  log: Log,
) {
  if (resume.fingerprint !== c.fingerprint) {
    throw new MlInputError(
      'INVALID_CHECKPOINT',
      'The checkpoint belongs to a run with other settings, data or backend',
    );
  }
  tf.tidy(() => materializeOptimizer(c.optimizer, c.trainable));
  const slots = optimizerState(c.optimizer);
  for (const a of resume.optimizer) {
    const v = slots.get(a.name);
    if (!v)
      throw new MlInputError(
        'INVALID_CHECKPOINT',
        `Checkpoint has optimizer state ${a.name} this optimizer lacks`,
      );
    tf.tidy(() => v.assign(tf.tensor(a.data, a.shape, a.dtype)));
  }
  const ws = resume.weights.filter((w) => !w.name.startsWith('best:'));
  if (ws.length !== c.allWeights.length)
    throw new MlInputError('INVALID_CHECKPOINT', 'Checkpoint weights do not match the model');
  tf.tidy(() => model.setWeights(ws.map((w) => tf.tensor(w.data, w.shape, w.dtype))));
  const extra = resume.extra as {
    history: EpochLog[];
    best: { value: number | null; epoch: number; wait: number };
  };
  p.history = extra.history;
  const bestWeights = resume.weights.filter((w) => w.name.startsWith('best:'));
  p.best = {
    value: extra.best.value ?? NaN,
    epoch: extra.best.epoch,
    wait: extra.best.wait,
    weights: bestWeights.length ? bestWeights : null,
  };
  p.startEpoch = resume.epoch;
  p.epochsCompleted = resume.epoch;
  log(`Resuming after epoch ${p.startEpoch}`);
}

/** Everything the epochs of a run read. */
interface EpochLoop {
  options: TrainOptions;
  s: RunSettings;
  model: tf.LayersModel;
  prepared: PreparedData;
  rows: RowSplit;
  c: Compiled;
  batcher: Batcher;
  evalBatch: number;
  /** The early-stopping monitor and whether lower or higher is better. */
  monitor: string;
  mode: 'min' | 'max';
  log: Log;
}

/** Polls shouldStop: 'cancel' throws Cancelled, 'stop' sets the stop reason. Returns whether to stop. */
function checkStop(loop: EpochLoop, p: Progress): boolean {
  const signal = loop.options.shouldStop?.();
  if (signal === 'cancel') throw new Cancelled();
  if (signal === 'stop') p.stopReason = 'stop';
  return signal === 'stop';
}

/** One optimizer step on rows order[s..e); throws Diverged for a non-finite loss. */
function trainStep(loop: EpochLoop, order: Int32Array, s: number, e: number, epoch: number, tally: Tally) {
  const { batcher, model, c } = loop;
  tf.tidy(() => {
    const x = batcher.x(order, s, e);
    const y = batcher.y(order, s, e);
    const w = batcher.weights(order, s, e);
    let out: tf.Tensor | null = null;
    const { value, grads } = tf.variableGrads(() => {
      out = tf.keep(model.apply(x, { training: true }) as tf.Tensor);
      const l = perSampleLoss(loop.s.lossName, out, y);
      const weighted = w ? tf.mul(l, w) : l;
      return tf.mean(weighted) as tf.Scalar;
    }, c.trainable);
    const batchLoss = value.dataSync()[0]!;
    if (!Number.isFinite(batchLoss)) {
      (out as tf.Tensor | null)?.dispose();
      throw new Diverged(epoch + 1, `loss became ${batchLoss}`);
    }
    c.optimizer.applyGradients(grads);
    tally.add(order, s, out!, batchLoss * (e - s));
    (out as tf.Tensor | null)?.dispose(); // kept past variableGrads' scope: dispose explicitly
  });
}

/** The batches of one epoch over the shuffled training rows; yields to the event loop every YIELD_MS. */
async function runBatches(loop: EpochLoop, p: Progress, epoch: number) {
  const { hp } = loop.s;
  const order = Int32Array.from(loop.rows.trainIdx);
  loop.c.rng.shuffle(order);
  const tally = new Tally(loop.prepared);
  let steps = Math.ceil(order.length / hp.batchSize);
  if (hp.stepsPerEpoch) steps = Math.min(steps, hp.stepsPerEpoch);
  let seen = 0;
  for (let step = 0; step < steps; step++) {
    if (checkStop(loop, p)) break;
    const s = step * hp.batchSize;
    const e = Math.min(order.length, s + hp.batchSize);
    trainStep(loop, order, s, e, epoch, tally);
    seen += e - s;
    if (performance.now() - p.lastYield > YIELD_MS) {
      // Let the caller's timers and I/O run (heartbeats, stop requests) during long epochs.
      await new Promise<void>((resolve) => setImmediate(resolve));
      p.lastYield = performance.now();
      loop.options.callbacks?.onProgress?.({ epoch: epoch + 1, batch: step + 1, batches: steps });
    }
  }
  return { tally, seen };
}

/** An epoch's training metrics, and val_ ones on the validation rows (Diverged for a non-finite val_loss). */
function epochMetrics(loop: EpochLoop, tally: Tally, epoch: number): Record<string, number> {
  const { metricNames, lossName } = loop.s;
  const metrics: Record<string, number> = {
    loss: tally.loss(),
    ...metricValues(metricNames, tally.report()),
  };
  const { valIdx } = loop.rows;
  if (valIdx.length) {
    const v = evaluate(loop.model, loop.prepared, loop.batcher, valIdx, lossName, loop.evalBatch);
    metrics.val_loss = v.loss();
    if (!Number.isFinite(metrics.val_loss))
      throw new Diverged(epoch + 1, `val_loss became ${metrics.val_loss}`);
    for (const [k, val] of Object.entries(metricValues(metricNames, v.report()))) metrics[`val_${k}`] = val;
  }
  return metrics;
}

/** Early stopping after an epoch: a new best (with its weights if they are to be restored), or one more wait. */
function earlyStopping(loop: EpochLoop, p: Progress, metrics: Record<string, number>, epoch: number) {
  const es = loop.s.hp.earlyStopping!;
  const { monitor, mode, c } = loop;
  const value = metrics[monitor];
  if (value === undefined)
    throw new MlInputError(
      'INVALID_HYPERPARAMETERS',
      `Early stopping monitors "${monitor}", which is not computed (have: ${Object.keys(metrics).join(', ')})`,
    );
  const best = p.best;
  const improved =
    Number.isNaN(best.value) ||
    (mode === 'min' ? value < best.value - es.minDelta : value > best.value + es.minDelta);
  if (improved) {
    p.best = {
      value,
      epoch: epoch + 1,
      wait: 0,
      weights: es.restoreBestWeights
        ? snapshot(
            c.allWeights,
            c.allWeights.map((w) => w.read()),
          )
        : null,
    };
  } else if (++best.wait > es.patience) {
    p.stopReason = 'early';
    loop.log(
      `Early stopping: ${monitor} did not improve for ${es.patience} epochs (best ${best.value.toFixed(4)} at epoch ${best.epoch})`,
    );
  }
}

/** The checkpoint after `epoch`: weights (and early stopping's best), optimizer slots, RNG, history. */
function checkpointOf(loop: EpochLoop, p: Progress, epoch: number): CheckpointState {
  const { c } = loop;
  const slots = optimizerState(c.optimizer);
  return {
    version: 1,
    epoch: epoch + 1,
    rng: c.rng.getState(),
    fingerprint: c.fingerprint,
    weights: [
      ...snapshot(
        c.allWeights,
        c.allWeights.map((w) => w.read()),
      ),
      ...(p.best.weights ?? []).map((w) => ({ ...w, name: `best:${w.name}` })),
    ],
    optimizer: [...slots].map(([name, v]) => ({
      name,
      dtype: v.dtype === 'int32' ? 'int32' : 'float32',
      shape: v.shape,
      data: toArray(v),
    })),
    extra: {
      seed: loop.s.seed,
      history: p.history,
      best: {
        value: Number.isNaN(p.best.value) ? null : p.best.value,
        epoch: p.best.epoch,
        wait: p.best.wait,
      },
    },
  };
}

/** One epoch: batches, metrics, history, early stopping, checkpoint. Returns false when it trained nothing. */
async function runEpoch(loop: EpochLoop, p: Progress, epoch: number): Promise<boolean> {
  const { options, s } = loop;
  const t0 = performance.now();
  const { tally, seen } = await runBatches(loop, p, epoch);
  if (p.stopReason && seen === 0) return false;
  if (!weightsFinite(loop.model.trainableWeights))
    throw new Diverged(epoch + 1, 'a weight became NaN or Infinity');
  const durationMs = performance.now() - t0;
  const metrics = epochMetrics(loop, tally, epoch);
  const entry: EpochLog = {
    epoch: epoch + 1,
    loss: metrics.loss!,
    metrics,
    learningRate: loop.c.learningRate,
    samplesPerSecond: seen / (durationMs / 1000),
    durationMs,
  };
  p.history.push(entry);
  p.epochsCompleted = epoch + 1;
  loop.log(
    `Epoch ${epoch + 1}/${s.hp.epochs}: ${Object.entries(metrics)
      .map(([k, v]) => `${k}=${v.toFixed(4)}`)
      .join(' ')} (${Math.round(entry.samplesPerSecond)} samples/s)`,
  );
  if (s.hp.earlyStopping) earlyStopping(loop, p, metrics, epoch);
  // Checkpoint first, so every epoch the caller hears of can be resumed from.
  if (options.checkpoint && !p.stopReason)
    await options.checkpoint.save(encodeCheckpoint(checkpointOf(loop, p, epoch)), { epoch: epoch + 1 });
  await options.callbacks?.onEpoch?.(entry);
  if (!p.stopReason) checkStop(loop, p);
  return true;
}

/**
 * TRAIN: the epochs until done, stopped or early-stopped. A divergence is MlInputError('DIVERGED') unless
 * early stopping kept best weights to restore; the best weights are restored when asked for.
 */
async function trainEpochs(loop: EpochLoop, p: Progress): Promise<void> {
  const es = loop.s.hp.earlyStopping;
  const { optimizer } = loop.c;
  let divergedKeepBest = false;
  try {
    for (let epoch = p.startEpoch; epoch < loop.s.hp.epochs && !p.stopReason; epoch++) {
      if (!(await runEpoch(loop, p, epoch))) break;
    }
  } catch (error) {
    if (!(error instanceof Diverged)) throw error;
    optimizer.dispose();
    // Early stopping with restoreBestWeights asked to keep the best model: a later divergence keeps it.
    if (!(es?.restoreBestWeights && p.best.weights)) {
      loop.log(error.message, 'warn');
      throw new MlInputError('DIVERGED', error.message, { epoch: error.epoch });
    }
    loop.log(`${error.message}. Early stopping keeps the best model (epoch ${p.best.epoch}).`, 'warn');
    p.stopReason = 'early';
    divergedKeepBest = true;
  }
  if (!divergedKeepBest) optimizer.dispose();
  const bw = p.best.weights;
  if (es?.restoreBestWeights && bw && (divergedKeepBest || p.best.epoch !== p.epochsCompleted)) {
    tf.tidy(() => loop.model.setWeights(bw.map((w) => tf.tensor(w.data, w.shape, w.dtype))));
    loop.log(`Restored the weights of epoch ${p.best.epoch}`);
  }
}

/**
 * SAVE: the final metrics on the evaluation rows and the exported model with its metadata. Throws
 * MlInputError('DIVERGED') for a non-finite final loss.
 */
async function saveModel(loop: EpochLoop, classWeights: Record<string, number> | null, backend: BackendInfo) {
  const { s, rows, prepared } = loop;
  const t = evaluate(loop.model, prepared, loop.batcher, rows.evalIdx, s.lossName, loop.evalBatch);
  const report = t.report();
  const metrics: EvaluationMetrics = {
    loss: t.loss(),
    numSamples: rows.evalIdx.length,
    evaluatedOn: rows.evaluatedOn,
    ...(s.problem === 'regression'
      ? { regression: report as RegressionReport }
      : { classification: report as ClassificationReport }),
  };
  const artifacts = await exportModel(loop.model, {
    format: 'trainhub.model',
    version: 1,
    spec: s.spec,
    problem: s.problem,
    classNames: prepared.params.classNames,
    targetColumns: prepared.params.targetColumns,
    preprocessing: prepared.params,
    metrics: metrics as unknown as Record<string, unknown>,
    hyperparameters: {
      ...s.hp,
      seed: s.seed,
      learningRate: loop.c.learningRate,
      loss: s.lossName,
      metrics: s.metricNames,
    },
    backend: { name: backend.name, provider: backend.provider },
    versions: { tfjs: tf.version.tfjs, trainhubMl: ML_PACKAGE_VERSION, node: process.version },
    createdAt: new Date().toISOString(),
    split: rows.split,
    classWeights,
    warnings: [...(s.data.warnings ?? []), ...prepared.warnings],
  });
  if (!Number.isFinite(metrics.loss)) {
    throw new MlInputError(
      'DIVERGED',
      `Training diverged: the ${rows.evaluatedOn} loss is ${metrics.loss}; lower the learning rate or scale the inputs`,
    );
  }
  loop.log(
    `Evaluation on the ${rows.evaluatedOn} data (${rows.evalIdx.length} rows): loss=${metrics.loss.toFixed(4)}${metrics.classification ? ` accuracy=${metrics.classification.accuracy.toFixed(4)}` : ''}`,
  );
  return { metrics, artifacts };
}

/**
 * Train a model, stage by stage (ARCH_READ, ARCH_CREATE_LAYER, DATA_INIT, DATA_PROCESS, COMPILE, TRAIN,
 * SAVE). Throws MlInputError for bad spec / data / settings (never retry those); any other error is an
 * infrastructure failure. Returns the saved model artifacts, test metrics and the history, or
 * `status: 'cancelled'` when shouldStop() said 'cancel'.
 */
export async function train(options: TrainOptions): Promise<TrainResult> {
  const cb = options.callbacks ?? {};
  const log: Log = (line, level = 'info') => cb.onLog?.(line, level);
  const stage = (st: Stage) => cb.onStage?.(st);

  stage('ARCH_READ');
  const s = readSettings(options);
  const backend = await initBackend(options.backend, (l) => log(l));

  stage('ARCH_CREATE_LAYER');
  const built = await createModel(options, s, log);
  const { model } = built;
  const p: Progress = {
    history: [],
    best: { value: NaN, epoch: 0, wait: 0, weights: null },
    startEpoch: 0,
    epochsCompleted: 0,
    stopReason: null,
    lastYield: performance.now(),
  };
  let kept = false;
  try {
    log(`Model has ${model.countParams()} parameters (${model.trainableWeights.length} trainable tensors)`);
    stage('DATA_INIT');
    checkFeatures(s.data, log);
    stage('DATA_PROCESS');
    const { prepared, rows, classWeights } = prepareData(options, s, log);
    stage('COMPILE');
    const c = compile(built, options, s, backend);
    if (s.resume) restoreCheckpoint(s.resume, model, c, p, log);

    stage('TRAIN');
    // Evaluation batches: up to 1024 samples but at most ~16 MB of features.
    const evalBatch = inferenceBatchSize(prepared.sampleShape);
    const es = s.hp.earlyStopping;
    const monitor = es?.monitor ?? (rows.valIdx.length ? 'val_loss' : 'loss');
    const mode = es && es.mode !== 'auto' ? es.mode : /loss|mse|mae/.test(monitor) ? 'min' : 'max';
    const batcher = new Batcher(prepared, Math.max(s.hp.batchSize, evalBatch));
    const loop: EpochLoop = { options, s, model, prepared, rows, c, batcher, evalBatch, monitor, mode, log };
    p.lastYield = performance.now();
    await trainEpochs(loop, p);

    stage('SAVE');
    const { metrics, artifacts } = await saveModel(loop, classWeights, backend);
    kept = !!options.keepModel;
    return {
      status: p.stopReason === 'stop' ? 'stopped' : 'completed',
      artifacts,
      metrics,
      history: p.history,
      backend,
      epochsCompleted: p.epochsCompleted,
      seed: s.seed,
      ...(options.keepModel ? { model: new TrainedModel(model, artifacts.metadata) } : {}),
    };
  } catch (error) {
    if (error instanceof Cancelled) {
      log('Training cancelled; the model is discarded');
      return {
        status: 'cancelled',
        history: p.history,
        backend,
        epochsCompleted: p.history.length,
        seed: s.seed,
      };
    }
    throw error;
  } finally {
    if (!kept) model.dispose();
  }
}
