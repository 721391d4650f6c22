import * as tf from '@tensorflow/tfjs';
import { createHash } from 'node:crypto';
import { exportModel, ML_PACKAGE_VERSION, TrainedModel, type ModelArtifacts } from './artifacts.ts';
import { initBackend, type BackendInfo, type BackendPreference } from './backend.ts';
import { decodeCheckpoint, encodeCheckpoint, type CheckpointState, type NamedArray } from './checkpoint.ts';
import type { Dataset } from './data/types.ts';
import { concatDatasets, sampleSize } from './data/types.ts';
import { MlInputError } from './errors.ts';
import { parseHyperparameters, type Hyperparameters, type HyperparametersInput } from './hyperparameters.ts';
import { buildModel } from './layers.ts';
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
import { parseModelSpec, type ProblemType } from './spec.ts';

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
      const out = model.predict(x) as tf.Tensor;
      const l = perSampleLoss(loss, out, y);
      tally.add(indices, s, out, tf.sum(l).dataSync()[0]!);
    });
  }
  return tally;
}

function fingerprint(parts: unknown): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 32);
}

/**
 * Train a model. Throws MlInputError for bad spec / data / settings (never retry those); any other error
 * is an infrastructure failure. Returns the saved model artifacts, test metrics and the history, or
 * `status: 'cancelled'` when shouldStop() said 'cancel'.
 */
export async function train(options: TrainOptions): Promise<TrainResult> {
  const cb = options.callbacks ?? {};
  const log = (line: string, level: 'info' | 'warn' = 'info') => cb.onLog?.(line, level);
  const stage = (s: Stage) => cb.onStage?.(s);

  stage('ARCH_READ');
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

  const backend = await initBackend(options.backend, (l) => log(l));

  stage('ARCH_CREATE_LAYER');
  const presetClasses = (options.preprocessing as { labels?: { classes?: string[] } } | undefined)?.labels
    ?.classes;
  const numClasses =
    data.labels.kind === 'categorical' ? (presetClasses?.length ?? data.labels.classNames.length) : 0;
  const numTargets = data.labels.kind === 'numeric' ? data.labels.columns.length : 0;
  if (problem !== 'regression' && numClasses < 2) {
    throw new MlInputError(
      'SINGLE_CLASS',
      `The label column has only one class ("${data.labels.kind === 'categorical' ? data.labels.classNames[0] : ''}"); classification needs at least two`,
    );
  }
  const { model, dropouts } = await buildModel(spec, {
    problem,
    numClasses,
    numTargets,
    seed,
    modelStore: options.modelStore,
    onLayer: (i, l) => log(`Layer ${i + 1}: ${l.type}`),
  });
  let history: EpochLog[] = [];
  let disposed = false;
  const keep = (m: TrainedModel) => {
    disposed = true;
    return m;
  };
  const cleanup = () => {
    if (!disposed) model.dispose();
    disposed = true;
  };
  try {
    log(`Model has ${model.countParams()} parameters (${model.trainableWeights.length} trainable tensors)`);

    stage('DATA_INIT');
    const width = sampleSize(data.sampleShape);
    if (data.features.length !== data.numSamples * width) {
      throw new MlInputError(
        'SHAPE_MISMATCH',
        `Feature buffer has ${data.features.length} values, expected ${data.numSamples} x ${width}`,
      );
    }
    log(`Data: ${data.numSamples} samples of shape [${data.sampleShape.join(', ')}]`);

    stage('DATA_PROCESS');
    const prepared = preprocess(
      options.testData ? concatDatasets(data, options.testData) : data,
      options.preprocessing,
      {
        seed,
        problem,
        expectedSampleShape: spec.input.shape,
        ...(options.testData ? { fixedTestFrom: data.numSamples } : {}),
      },
    );
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
    // The final metrics: on the test rows when the epochs never saw them, else named for what they are.
    const evalIdx = hasTest ? prepared.testIndices : valIdx.length ? valIdx : trainIdx;
    const evaluatedOn: EvaluationMetrics['evaluatedOn'] = disjointTest
      ? 'test'
      : valIdx.length
        ? 'validation'
        : 'training';
    const split = {
      train: trainIdx.length,
      validation: validationSplit > 0 ? valIdx.length : hasTest ? prepared.testIndices.length : 0,
      test: disjointTest ? prepared.testIndices.length : 0,
      seed,
      evaluatedOn,
    };
    log(
      `Split: ${split.train} training, ${split.validation} validation, ${split.test} test samples (seed ${seed})` +
        (hasTest && !disjointTest
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

    stage('COMPILE');
    const learningRate = hp.learningRate ?? DEFAULT_LEARNING_RATE[hp.optimizerName];
    const optimizer = createOptimizer(hp.optimizerName, learningRate, hp.momentum);
    const trainable = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const allWeights = model.weights;
    const runFingerprint = fingerprint({
      spec,
      hp: { ...hp, epochs: undefined, earlyStopping: undefined },
      seed,
      pre: options.preprocessing ?? null,
      n: data.numSamples,
      nTest: options.testData?.numSamples ?? 0,
      problem,
      backend: backend.name,
    });
    const rng = new Rng(resume ? resume.rng : (seed ^ 0x5bd1e995) >>> 0);
    for (const d of dropouts) d.seeds = rng;
    let startEpoch = 0;
    let best: { value: number; epoch: number; wait: number; weights: NamedArray[] | null } = {
      value: NaN,
      epoch: 0,
      wait: 0,
      weights: null,
    };
    if (resume) {
      if (resume.fingerprint !== runFingerprint) {
        throw new MlInputError(
          'INVALID_CHECKPOINT',
          'The checkpoint belongs to a run with other settings, data or backend',
        );
      }
      tf.tidy(() => materializeOptimizer(optimizer, trainable));
      const slots = optimizerState(optimizer);
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
      if (ws.length !== allWeights.length)
        throw new MlInputError('INVALID_CHECKPOINT', 'Checkpoint weights do not match the model');
      tf.tidy(() => model.setWeights(ws.map((w) => tf.tensor(w.data, w.shape, w.dtype))));
      const extra = resume.extra as {
        history: EpochLog[];
        best: { value: number | null; epoch: number; wait: number };
      };
      history = extra.history;
      const bestWeights = resume.weights.filter((w) => w.name.startsWith('best:'));
      best = {
        value: extra.best.value ?? NaN,
        epoch: extra.best.epoch,
        wait: extra.best.wait,
        weights: bestWeights.length ? bestWeights : null,
      };
      startEpoch = resume.epoch;
      log(`Resuming after epoch ${startEpoch}`);
    }

    stage('TRAIN');
    // Evaluation batches: up to 1024 samples but at most ~16 MB of features.
    const evalBatch = Math.max(1, Math.min(1024, Math.floor(4_000_000 / sampleSize(prepared.sampleShape))));
    const batcher = new Batcher(prepared, Math.max(hp.batchSize, evalBatch));
    const es = hp.earlyStopping;
    const monitor = es?.monitor ?? (valIdx.length ? 'val_loss' : 'loss');
    const mode = es && es.mode !== 'auto' ? es.mode : /loss|mse|mae/.test(monitor) ? 'min' : 'max';
    let stopReason = null as 'stop' | 'early' | null;
    let lastYield = performance.now();
    const checkStop = () => {
      const s = options.shouldStop?.();
      if (s === 'cancel') throw new Cancelled();
      if (s === 'stop') stopReason = 'stop';
      return s === 'stop';
    };
    let epochsCompleted = startEpoch;
    let divergedKeepBest = false;
    try {
      for (let epoch = startEpoch; epoch < hp.epochs && !stopReason; epoch++) {
        const t0 = performance.now();
        const order = Int32Array.from(trainIdx);
        rng.shuffle(order);
        const tally = new Tally(prepared);
        let steps = Math.ceil(order.length / hp.batchSize);
        if (hp.stepsPerEpoch) steps = Math.min(steps, hp.stepsPerEpoch);
        let seen = 0;
        for (let step = 0; step < steps; step++) {
          if (checkStop()) break;
          const s = step * hp.batchSize;
          const e = Math.min(order.length, s + hp.batchSize);
          tf.tidy(() => {
            const x = batcher.x(order, s, e);
            const y = batcher.y(order, s, e);
            const w = batcher.weights(order, s, e);
            let out: tf.Tensor | null = null;
            const { value, grads } = tf.variableGrads(() => {
              out = tf.keep(model.apply(x, { training: true }) as tf.Tensor);
              const l = perSampleLoss(lossName, out, y);
              const weighted = w ? tf.mul(l, w) : l;
              return tf.mean(weighted) as tf.Scalar;
            }, trainable);
            const batchLoss = value.dataSync()[0]!;
            if (!Number.isFinite(batchLoss)) {
              (out as tf.Tensor | null)?.dispose();
              throw new Diverged(epoch + 1, `loss became ${batchLoss}`);
            }
            optimizer.applyGradients(grads);
            tally.add(order, s, out!, batchLoss * (e - s));
            (out as tf.Tensor | null)?.dispose(); // kept past variableGrads' scope: dispose explicitly
          });
          seen += e - s;
          if (performance.now() - lastYield > YIELD_MS) {
            // Let the caller's timers and I/O run (heartbeats, stop requests) during long epochs.
            await new Promise<void>((resolve) => setImmediate(resolve));
            lastYield = performance.now();
            cb.onProgress?.({ epoch: epoch + 1, batch: step + 1, batches: steps });
          }
        }
        if (stopReason && seen === 0) break;
        if (!weightsFinite(model.trainableWeights))
          throw new Diverged(epoch + 1, 'a weight became NaN or Infinity');
        const durationMs = performance.now() - t0;
        const metrics: Record<string, number> = {
          loss: tally.loss(),
          ...metricValues(metricNames, tally.report()),
        };
        if (valIdx.length) {
          const v = evaluate(model, prepared, batcher, valIdx, lossName, evalBatch);
          metrics.val_loss = v.loss();
          if (!Number.isFinite(metrics.val_loss))
            throw new Diverged(epoch + 1, `val_loss became ${metrics.val_loss}`);
          for (const [k, val] of Object.entries(metricValues(metricNames, v.report())))
            metrics[`val_${k}`] = val;
        }
        const entry: EpochLog = {
          epoch: epoch + 1,
          loss: metrics.loss!,
          metrics,
          learningRate,
          samplesPerSecond: seen / (durationMs / 1000),
          durationMs,
        };
        history.push(entry);
        epochsCompleted = epoch + 1;
        log(
          `Epoch ${epoch + 1}/${hp.epochs}: ${Object.entries(metrics)
            .map(([k, v]) => `${k}=${v.toFixed(4)}`)
            .join(' ')} (${Math.round(entry.samplesPerSecond)} samples/s)`,
        );
        if (es) {
          const value = metrics[monitor];
          if (value === undefined)
            throw new MlInputError(
              'INVALID_HYPERPARAMETERS',
              `Early stopping monitors "${monitor}", which is not computed (have: ${Object.keys(metrics).join(', ')})`,
            );
          const improved =
            Number.isNaN(best.value) ||
            (mode === 'min' ? value < best.value - es.minDelta : value > best.value + es.minDelta);
          if (improved) {
            best = {
              value,
              epoch: epoch + 1,
              wait: 0,
              weights: es.restoreBestWeights
                ? snapshot(
                    allWeights,
                    allWeights.map((w) => w.read()),
                  )
                : null,
            };
          } else if (++best.wait > es.patience) {
            stopReason = 'early';
            log(
              `Early stopping: ${monitor} did not improve for ${es.patience} epochs (best ${best.value.toFixed(4)} at epoch ${best.epoch})`,
            );
          }
        }
        // Checkpoint first, so every epoch the caller hears of can be resumed from.
        if (options.checkpoint && !stopReason) {
          const slots = optimizerState(optimizer);
          const cp: CheckpointState = {
            version: 1,
            epoch: epoch + 1,
            rng: rng.getState(),
            fingerprint: runFingerprint,
            weights: [
              ...snapshot(
                allWeights,
                allWeights.map((w) => w.read()),
              ),
              ...(best.weights ?? []).map((w) => ({ ...w, name: `best:${w.name}` })),
            ],
            optimizer: [...slots].map(([name, v]) => ({
              name,
              dtype: v.dtype === 'int32' ? 'int32' : 'float32',
              shape: v.shape,
              data: toArray(v),
            })),
            extra: {
              seed,
              history,
              best: {
                value: Number.isNaN(best.value) ? null : best.value,
                epoch: best.epoch,
                wait: best.wait,
              },
            },
          };
          await options.checkpoint.save(encodeCheckpoint(cp), { epoch: epoch + 1 });
        }
        await cb.onEpoch?.(entry);
        if (!stopReason) checkStop();
      }
    } catch (error) {
      if (!(error instanceof Diverged)) throw error;
      optimizer.dispose();
      // Early stopping with restoreBestWeights asked to keep the best model: a later divergence keeps it.
      if (!(es?.restoreBestWeights && best.weights)) {
        log(error.message, 'warn');
        throw new MlInputError('DIVERGED', error.message, { epoch: error.epoch });
      }
      log(`${error.message}. Early stopping keeps the best model (epoch ${best.epoch}).`, 'warn');
      stopReason = 'early';
      divergedKeepBest = true;
    }
    if (!divergedKeepBest) optimizer.dispose();
    if (es?.restoreBestWeights && best.weights && (divergedKeepBest || best.epoch !== epochsCompleted)) {
      const bw = best.weights;
      tf.tidy(() => model.setWeights(bw.map((w) => tf.tensor(w.data, w.shape, w.dtype))));
      log(`Restored the weights of epoch ${best.epoch}`);
    }

    stage('SAVE');
    const testIdx = evalIdx;
    const t = evaluate(model, prepared, batcher, testIdx, lossName, evalBatch);
    const report = t.report();
    const metrics: EvaluationMetrics = {
      loss: t.loss(),
      numSamples: testIdx.length,
      evaluatedOn,
      ...(problem === 'regression'
        ? { regression: report as RegressionReport }
        : { classification: report as ClassificationReport }),
    };
    const artifacts = await exportModel(model, {
      format: 'trainhub.model',
      version: 1,
      spec,
      problem,
      classNames: prepared.params.classNames,
      targetColumns: prepared.params.targetColumns,
      preprocessing: prepared.params,
      metrics: metrics as unknown as Record<string, unknown>,
      hyperparameters: { ...hp, seed, learningRate, loss: lossName, metrics: metricNames },
      backend: { name: backend.name, provider: backend.provider },
      versions: { tfjs: tf.version.tfjs, trainhubMl: ML_PACKAGE_VERSION, node: process.version },
      createdAt: new Date().toISOString(),
      split,
      classWeights,
      warnings: [...(data.warnings ?? []), ...prepared.warnings],
    });
    if (!Number.isFinite(metrics.loss)) {
      throw new MlInputError(
        'DIVERGED',
        `Training diverged: the ${evaluatedOn} loss is ${metrics.loss}; lower the learning rate or scale the inputs`,
      );
    }
    log(
      `Evaluation on the ${evaluatedOn} data (${testIdx.length} rows): loss=${metrics.loss.toFixed(4)}${metrics.classification ? ` accuracy=${metrics.classification.accuracy.toFixed(4)}` : ''}`,
    );
    return {
      status: stopReason === 'stop' ? 'stopped' : 'completed',
      artifacts,
      metrics,
      history,
      backend,
      epochsCompleted,
      seed,
      ...(options.keepModel ? { model: keep(new TrainedModel(model, artifacts.metadata)) } : {}),
    };
  } catch (error) {
    if (error instanceof Cancelled) {
      log('Training cancelled; the model is discarded');
      return { status: 'cancelled', history, backend, epochsCompleted: history.length, seed };
    }
    throw error;
  } finally {
    cleanup();
  }
}
