import { z } from 'zod';

// Task.definition, the one contract between the services that write a training and the trainer that runs it.
// Two forms, told apart by `version`:
// - version 1, a style's request: `spec` is the model in the dialect of the API style that asked for the
//   training (an MLW architecture file, Edge Impulse visual layers or expert Keras JSON, a session-style model
//   name, ...). Services hand this form to createTraining; rows written before version 2 existed hold it too.
// - version 2, normalized: `spec` is our architecture (@trainhub/ml's model spec), translated from the dialect
//   when the training was requested (packages/ml `normalizeDefinition`). createTraining stores only this form;
//   the trainer runs it without knowing any API style.

export const problemTypeSchema = z.enum(['classification', 'binary', 'regression']);
export type ProblemType = z.infer<typeof problemTypeSchema>;

/** The fields every form shares: the data and how to read it. */
const dataFields = {
  problemType: problemTypeSchema,
  datasetResourceId: z.number().int().positive(),
  /** A separate test set (the session style's test_file); otherwise the dataset is split by testSize. */
  testDatasetResourceId: z.number().int().positive().optional(),
  /** Inline preprocessing spec (@trainhub/ml); a code resource on the task takes its place when set. */
  preprocessing: z.unknown().optional(),
  /** Label/target columns of a CSV dataset; the last column when absent. */
  labelColumns: z.array(z.string().min(1)).min(1).optional(),
  modelName: z.string().min(1).max(200).optional(),
};

/** Version 1: the model as an API style sent it (any dialect @trainhub/ml's translators read). */
export const styleTrainingDefinitionSchema = z.object({
  version: z.literal(1),
  ...dataFields,
  spec: z.unknown(),
});
export type StyleTrainingDefinition = z.infer<typeof styleTrainingDefinitionSchema>;

/**
 * A normalized model: @trainhub/ml's architecture format (`trainhub.architecture`, checked layer by layer by
 * its parseModelSpec). `input` is absent when the per-sample shape is to come from the data at run time.
 */
export const architectureSpecSchema = z.looseObject({
  format: z.literal('trainhub.architecture'),
  version: z.literal(1),
  name: z.string().max(200).optional(),
  input: z.object({ shape: z.array(z.number().int().positive()).min(1).max(4) }).optional(),
  layers: z.array(z.looseObject({ type: z.string() })).max(200),
});
export type ArchitectureSpecEnvelope = z.infer<typeof architectureSpecSchema>;

/** Version 2: the normalized definition the trainer runs. */
export const normalizedTrainingDefinitionSchema = z.object({
  version: z.literal(2),
  ...dataFields,
  spec: architectureSpecSchema,
  /** Folder of the base models the spec's `transfer` layers load (`<modelStore>/<model>/model.json`). */
  modelStore: z.string().min(1).optional(),
});
export type NormalizedTrainingDefinition = z.infer<typeof normalizedTrainingDefinitionSchema>;

/** Task.definition: a style's request (version 1) or its normalized form (version 2). */
export const trainingDefinitionSchema = z.discriminatedUnion('version', [
  styleTrainingDefinitionSchema,
  normalizedTrainingDefinitionSchema,
]);
export type TrainingDefinition = z.infer<typeof trainingDefinitionSchema>;
