import { z } from 'zod';
import type { ExecutionStatus } from './generated/postgresql/enums';

/** The statuses an execution ends in (no trainer works on it any more). */
export const TERMINAL_STATUSES: readonly ExecutionStatus[] = ['COMPLETED', 'FAILED', 'STOPPED', 'CANCELLED'];
export const isTerminal = (status: string): boolean =>
  (TERMINAL_STATUSES as readonly string[]).includes(status);

// The JSON columns shared by the web app (which writes tasks and reads progress) and the trainer (which
// reads tasks and writes progress). One schema per column, so both sides agree on the shape.

// Task.definition (problemTypeSchema, trainingDefinitionSchema and its two forms) has its own module.
export * from './training-definition';

/** Task.hyperparameters: how to train. Names follow the MLW body where one exists. */
export const hyperparametersSchema = z.object({
  epochs: z.number().int().min(1).max(100_000),
  batchSize: z.number().int().min(1).max(1_000_000),
  learningRate: z.number().positive().max(100).optional(),
  optimizer: z.string().min(1).max(40).optional(),
  loss: z.string().min(1).max(60).optional(),
  metrics: z.array(z.string().min(1).max(40)).max(20).optional(),
  stepsPerEpoch: z.number().int().min(1).optional(),
  testSize: z.number().gt(0).lt(1).optional(),
  shuffle: z.boolean().optional(),
  seed: z.number().int().optional(),
  earlyStopping: z.object({ monitor: z.string().min(1), patience: z.number().int().min(0) }).optional(),
  /** Run on a class-balanced loss (automatic class weights). */
  classWeights: z.boolean().optional(),
});
export type Hyperparameters = z.infer<typeof hyperparametersSchema>;

/** The MLW stages an execution goes through, in order. */
export const trainingStages = [
  'ARCH_READ',
  'ARCH_CREATE_LAYER',
  'DATA_INIT',
  'DATA_PROCESS',
  'COMPILE',
  'TRAIN',
  'SAVE',
] as const;
export type TrainingStage = (typeof trainingStages)[number];

/** Execution.stageLog: the last message per stage. */
export const stageLogSchema = z.partialRecord(z.enum(trainingStages), z.string());
export type StageLog = z.infer<typeof stageLogSchema>;

/** ExecutionEvent.data of an EPOCH event: one row of the training history. */
export const epochDataSchema = z.object({
  epoch: z.number().int().min(1),
  loss: z.number(),
  /** Every metric by Keras-style name: acc, val_loss, val_acc, mse, val_mse, ... */
  metrics: z.record(z.string(), z.number()),
  lr: z.number().optional(),
  samplesPerSecond: z.number().optional(),
  durationMs: z.number().optional(),
});
export type EpochData = z.infer<typeof epochDataSchema>;

/** Execution.metrics: the evaluation on the test split at the end of a run. */
export const executionMetricsSchema = z.object({
  loss: z.number().optional(),
  accuracy: z.number().optional(),
  classNames: z.array(z.string()).optional(),
  confusionMatrix: z.array(z.array(z.number())).optional(),
  report: z
    .record(
      z.string(),
      z.object({ precision: z.number(), recall: z.number(), f1: z.number(), support: z.number() }),
    )
    .optional(),
  mse: z.number().optional(),
  mae: z.number().optional(),
  r2: z.number().optional(),
  samples: z.object({ train: z.number().int(), test: z.number().int() }).optional(),
  /** The rows the metrics were computed on: `test` (unseen by early stopping and the charts) or `validation`. */
  evaluatedOn: z.enum(['test', 'validation', 'training']).optional(),
});
export type ExecutionMetrics = z.infer<typeof executionMetricsSchema>;
