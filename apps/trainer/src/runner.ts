import { zipSync } from 'fflate';
import type { Logger } from 'pino';
import {
  hyperparametersSchema,
  trainingDefinitionSchema,
  type ArtifactStore,
  type Db,
  type EpochData,
  type Execution,
  type ExecutionMetrics,
  type Prisma,
  type TrainingStage,
} from '@trainhub/db';
import {
  artifactFiles,
  isMlInputError,
  train,
  type BackendPreference,
  decodeCheckpoint,
  inputShapeFor,
  type EpochLog,
  type EvaluationMetrics,
  type StopSignal,
  type TrainCompleted,
} from '@trainhub/ml';
import {
  modelSpecFor,
  normalizeDefinition,
  parseDataset,
  parseJsonResource,
  toMlHyperparameters,
  toMlPreprocessing,
} from './job';
import { ProgressRecorder } from './progress';
import { finishExecution, releaseExecution, renewLease, type LeaseOptions } from './queue';

export interface RunContext extends LeaseOptions {
  db: Db;
  store: ArtifactStore;
  log: Logger;
  backend: BackendPreference;
  maxAttempts: number;
  /** How often the lease is renewed and stop requests are read (ms). */
  pollMs: number;
  /** Local folder with pretrained base models for transfer learning. */
  modelStore?: string;
  /** Set on SIGTERM: finish the current batch, checkpoint, give the execution back. */
  shuttingDown: () => boolean;
}

const STAGE_MESSAGES: Record<TrainingStage, string> = {
  ARCH_READ: 'Reading the architecture',
  ARCH_CREATE_LAYER: 'Creating the layers',
  DATA_INIT: 'Loading the data',
  DATA_PROCESS: 'Preprocessing the data',
  COMPILE: 'Compiling the model',
  TRAIN: 'Training',
  SAVE: 'Saving the model',
};

/** A failure that will not change on retry (bad data or spec): the execution fails at once. */
class FinalError extends Error {}

/**
 * Runs one claimed execution to its end: COMPLETED with metrics and a model resource, STOPPED (stop early:
 * the model so far is kept), CANCELLED (nothing kept), FAILED with a reason, or, on shutdown or an
 * infrastructure failure, back to the queue to be resumed from the last checkpoint.
 */
export async function runExecution(ctx: RunContext, execution: Execution): Promise<void> {
  const { db, store, log } = ctx;
  const id = execution.id;
  const jobLog = log.child({ execution: id, attempt: execution.attempt });

  if (execution.stopRequest === 'CANCEL') {
    await finishExecution(db, id, ctx.trainerId, {
      status: 'CANCELLED',
      message: 'Cancelled before training started',
    });
    return;
  }
  if (execution.attempt > ctx.maxAttempts) {
    await finishExecution(db, id, ctx.trainerId, {
      status: 'FAILED',
      message: `Gave up after ${ctx.maxAttempts} attempts`,
      error: 'the trainer running it stopped repeatedly (crash or lost connection)',
    });
    return;
  }

  const recorder = await ProgressRecorder.open(db, id, execution.checkpointEpoch);
  let stopSignal: StopSignal = null;
  let leaseLost = false;
  const poll = setInterval(() => {
    renewLease(db, id, ctx)
      .then((lease) => {
        if (!lease) {
          leaseLost = true;
          stopSignal = 'cancel';
        } else if (lease.stopRequest) {
          stopSignal = lease.stopRequest === 'CANCEL' ? 'cancel' : 'stop';
        }
      })
      .catch((error: unknown) => jobLog.warn({ err: error }, 'lease renewal failed'));
  }, ctx.pollMs);
  const flusher = setInterval(() => {
    recorder.flush().catch((error: unknown) => jobLog.warn({ err: error }, 'progress flush failed'));
  }, 1000);

  let lastCheckpointKey = execution.checkpointKey;
  try {
    if (execution.attempt > 1)
      recorder.log(`Attempt ${execution.attempt}: resuming after epoch ${execution.checkpointEpoch ?? 0}`);
    const result = await prepareAndTrain(ctx, execution, recorder, {
      shouldStop: () => stopSignal ?? (ctx.shuttingDown() ? 'stop' : null),
      saveCheckpoint: async (bytes, epoch) => {
        const key = `executions/${id}/checkpoint-${epoch}.bin`;
        await store.put(key, Buffer.from(bytes));
        await recorder.checkpoint(key, epoch);
        if (lastCheckpointKey && lastCheckpointKey !== key) await store.delete(lastCheckpointKey);
        lastCheckpointKey = key;
      },
    });
    clearInterval(poll);
    await recorder.flush(true);
    if (leaseLost) {
      jobLog.warn('lease lost to another trainer; abandoning this run');
      return;
    }
    if (result.status === 'cancelled') {
      await finishExecution(db, id, ctx.trainerId, {
        status: 'CANCELLED',
        message: 'Cancelled; no model kept',
      });
      return;
    }
    if (result.status === 'stopped' && ctx.shuttingDown() && stopSignal === null) {
      // Not a user's stop: the trainer is shutting down. Hand the run to the next trainer.
      await releaseExecution(db, id, ctx.trainerId, { refundAttempt: true });
      jobLog.info({ epoch: result.epochsCompleted }, 'released to the queue for shutdown');
      return;
    }
    const modelResourceId = await saveModel(ctx, execution, result);
    const stopped = result.status === 'stopped';
    await finishExecution(db, id, ctx.trainerId, {
      status: stopped ? 'STOPPED' : 'COMPLETED',
      message: stopped
        ? `Stopped early after epoch ${result.epochsCompleted}; the model so far was saved`
        : 'Training completed',
      metrics: toExecutionMetrics(
        result.metrics,
        result.artifacts.metadata.classNames,
      ) as Prisma.InputJsonValue,
      modelResourceId,
    });
    await db.execution.update({ where: { id }, data: { backend: result.backend.name } });
    jobLog.info({ status: result.status, epochs: result.epochsCompleted }, 'execution finished');
  } catch (error) {
    clearInterval(poll);
    await recorder.flush(true).catch(() => undefined);
    if (leaseLost) return;
    if (isMlInputError(error) || error instanceof FinalError) {
      recorder.log(error.message, 'error');
      await recorder.flush(true).catch(() => undefined);
      await finishExecution(db, id, ctx.trainerId, {
        status: 'FAILED',
        message: error.message,
        error: error.message,
      });
      jobLog.info({ reason: error.message }, 'execution failed on its input');
    } else if (execution.attempt >= ctx.maxAttempts) {
      const reason = error instanceof Error ? error.message : String(error);
      await finishExecution(db, id, ctx.trainerId, {
        status: 'FAILED',
        message: `Failed after ${execution.attempt} attempts: ${reason}`,
        error: reason,
      });
      jobLog.error({ err: error }, 'execution failed');
    } else {
      // Infrastructure trouble (storage, database): retry later with backoff, from the last checkpoint.
      const retryAt = new Date(Date.now() + Math.min(60_000, 1000 * 2 ** execution.attempt));
      await releaseExecution(db, id, ctx.trainerId, { retryAt });
      jobLog.warn({ err: error, retryAt }, 'execution will be retried');
    }
  } finally {
    clearInterval(poll);
    clearInterval(flusher);
  }
}

async function prepareAndTrain(
  ctx: RunContext,
  execution: Execution,
  recorder: ProgressRecorder,
  hooks: {
    shouldStop: () => StopSignal;
    saveCheckpoint: (bytes: Uint8Array, epoch: number) => Promise<void>;
  },
) {
  const { db, store } = ctx;
  const task = await db.task.findUnique({ where: { id: execution.taskId } });
  if (!task) throw new FinalError('The task of this execution was deleted');
  const definitionResult = trainingDefinitionSchema.safeParse(task.definition);
  const hyperResult = hyperparametersSchema.safeParse(task.hyperparameters);
  if (!definitionResult.success)
    throw new FinalError(`Invalid task definition: ${definitionResult.error.issues[0]?.message}`);
  if (!hyperResult.success)
    throw new FinalError(`Invalid hyperparameters: ${hyperResult.error.issues[0]?.message}`);
  // A row stored before definitions were normalized at request time is normalized by @trainhub/ml when read.
  const definition = normalizeDefinition(definitionResult.data);
  const hyper = hyperResult.data;

  const loadResource = async (resourceId: number, what: string) => {
    const resource = await db.resource.findFirst({
      where: { id: resourceId, projectId: task.projectId, deletedAt: null },
    });
    if (!resource) throw new FinalError(`The ${what} (resource ${resourceId}) no longer exists`);
    return { resource, bytes: await store.get(resource.storageKey) };
  };

  recorder.stage('DATA_INIT', STAGE_MESSAGES.DATA_INIT);
  const preprocessingSource = task.codeResourceId
    ? parseJsonResource(
        (await loadResource(task.codeResourceId, 'preprocessing code')).bytes,
        'preprocessing code',
      )
    : definition.preprocessing;
  const preprocessing = toMlPreprocessing(preprocessingSource, hyper);
  const dataset = await loadResource(definition.datasetResourceId, 'dataset');
  const data = await parseDataset(dataset.bytes, dataset.resource, definition, preprocessing);
  const testData = definition.testDatasetResourceId
    ? await loadResource(definition.testDatasetResourceId, 'test dataset').then(({ bytes, resource }) =>
        parseDataset(bytes, resource, definition, preprocessing),
      )
    : undefined;
  // A plain Uint8Array copy: a Node Buffer may be a view into a larger shared pool.
  const resumeFrom = execution.checkpointKey
    ? new Uint8Array(await store.get(execution.checkpointKey))
    : null;
  if (resumeFrom) await recorder.backfill(checkpointHistory(resumeFrom));

  const spec = modelSpecFor(definition.spec, { sampleShape: inputShapeFor(data, preprocessing) });
  const modelStore = ctx.modelStore ?? definition.modelStore;

  return train({
    spec,
    data,
    ...(testData ? { testData } : {}),
    preprocessing,
    hyperparameters: toMlHyperparameters(hyper),
    problem: definition.problemType,
    backend: ctx.backend,
    ...(modelStore ? { modelStore } : {}),
    resumeFrom,
    shouldStop: hooks.shouldStop,
    checkpoint: { save: (bytes, info) => hooks.saveCheckpoint(bytes, info.epoch) },
    callbacks: {
      onStage: (stage) => recorder.stage(stage, STAGE_MESSAGES[stage]),
      onLog: (line, level) => recorder.log(line, level),
      onEpoch: (entry) => recorder.epoch(toEpochData(entry)),
    },
  });
}

function toEpochData(entry: EpochLog): EpochData {
  return {
    epoch: entry.epoch,
    loss: entry.loss,
    metrics: entry.metrics,
    lr: entry.learningRate,
    samplesPerSecond: entry.samplesPerSecond,
    durationMs: entry.durationMs,
  };
}

/** The epochs a checkpoint's run had completed, as it recorded them. */
function checkpointHistory(bytes: Uint8Array): EpochData[] {
  const history = (decodeCheckpoint(bytes).extra as { history?: EpochLog[] }).history;
  return Array.isArray(history) ? history.map(toEpochData) : [];
}

/** Stores the trained model as one zip (model.json, weights.bin, metadata.json) and records it as a resource. */
async function saveModel(ctx: RunContext, execution: Execution, result: TrainCompleted): Promise<number> {
  const files = artifactFiles(result.artifacts);
  const zip = Buffer.from(zipSync(files, { level: 6 }));
  const key = `projects/${execution.projectId}/models/execution-${execution.id}-attempt-${execution.attempt}.zip`;
  const stored = await ctx.store.put(key, zip);
  const task = await ctx.db.task.findUnique({ where: { id: execution.taskId }, select: { name: true } });
  const resource = await ctx.db.resource.create({
    data: {
      projectId: execution.projectId,
      kind: 'MODEL',
      name: `${task?.name ?? 'model'}-${execution.id}.zip`,
      contentType: 'application/zip',
      size: stored.size,
      contentHash: stored.contentHash,
      storageKey: stored.key,
      metadata: {
        format: 'tfjs-layers+zip',
        files: Object.keys(files),
        executionId: execution.id,
        classNames: result.artifacts.metadata.classNames,
        backend: result.backend.name,
        epochs: result.epochsCompleted,
      },
    },
  });
  return resource.id;
}

export function toExecutionMetrics(metrics: EvaluationMetrics, classNames: string[]): ExecutionMetrics {
  const c = metrics.classification;
  const r = metrics.regression;
  return {
    loss: metrics.loss,
    // Which rows the final metrics come from: test only when neither early stopping nor the charts saw them.
    evaluatedOn: metrics.evaluatedOn,
    ...(c
      ? {
          accuracy: c.accuracy,
          classNames,
          confusionMatrix: c.confusionMatrix,
          report: Object.fromEntries(
            c.perClass.map((p) => [
              p.className,
              { precision: p.precision, recall: p.recall, f1: p.f1, support: p.support },
            ]),
          ),
        }
      : {}),
    ...(r ? { mse: r.mse, mae: r.mae, r2: r.r2 } : {}),
  };
}
