import { z } from 'zod';

// The MLW (Cumulocity Machine Learning Workbench) style: every request and response body.

export const MLW_BASE = '/service/mlw';

export const mlwAuthErrorSchema = z.object({ error: z.string(), message: z.string(), info: z.string() });
export const mlwErrorSchema = z.object({
  message: z.string(),
  errorCode: z.number().int(),
  exception: z.string(),
});

/** Ids as MLW clients know them: `12_Project`, `34_Resource`; task ids are plain digit strings. */
export const projectIdParam = z.string().regex(/^\d+_Project$/);
export const resourceIdParam = z.string().regex(/^\d+_Resource$/);

export const projectBodySchema = z.object({
  name: z.string().trim().min(1).max(200),
  description: z.string().max(2000).nullish(),
});
export const projectUpdateSchema = projectBodySchema.partial();

/** Fields a trainNN body must carry; a missing one answers the seed's 400. */
export const TRAIN_NN_MANDATORY = [
  'batchSize',
  'epoch',
  'learningRate',
  'loss',
  'optimizer',
  'modelName',
  'dataID',
  'codeID',
  'problemType',
] as const;

export const trainNNBodySchema = z.object({
  batchSize: z.number().int().min(1).max(1_000_000),
  epoch: z.number().int().min(1).max(100_000),
  stepPerEpoch: z.number().int().min(1).nullish(),
  learningRate: z.number().positive().max(100),
  loss: z.string().min(1).max(60),
  metrics: z.array(z.string().min(1).max(40)).max(20).default([]),
  optimizer: z.string().min(1).max(40),
  testSize: z.number().gt(0).lt(1).default(0.2),
  scriptOutput: z.string().max(200).optional(),
  recurrence: z.enum(['ONE_TIME', 'REPEAT']).default('ONE_TIME'),
  cronExpression: z.string().max(200).default(''),
  modelName: z.string().trim().min(1).max(200),
  dataID: resourceIdParam,
  codeID: resourceIdParam,
  problemType: z.enum(['classification', 'regression']),
  shuffleData: z.boolean().optional(),
  /** A start for the first (or scheduled) run: `YYYY-MM-DD` and hour/minute strings, UTC. */
  startDate: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/)
    .optional(),
  startTimeH: z
    .string()
    .regex(/^\d{1,2}$/)
    .optional(),
  startTimeM: z
    .string()
    .regex(/^\d{1,2}$/)
    .optional(),
});
export type TrainNNBody = z.infer<typeof trainNNBodySchema>;

export const mlwPropertySchema = z.object({ key: z.string(), label: z.string(), value: z.unknown() });

export const mlwHistoryRowSchema = z
  .object({ epoch: z.number().int(), loss: z.number(), lr: z.number().nullable() })
  .catchall(z.number().nullable());

export const mlwIndividualTaskSchema = z.object({
  status: z.enum(['INITIALISING', 'RUNNING', 'COMPLETED', 'FAILED', 'STOPPED']),
  type: z.literal('NN'),
  projectID: z.string(),
  log: z.record(z.string(), z.string()),
  properties: z.array(mlwPropertySchema),
  message: z.string(),
  history: z.array(mlwHistoryRowSchema),
  tasksID: z.string(),
  taskName: z.string(),
  id: z.string(),
  executedAt: z.string(),
  pID: z.string(),
});

export const mlwTaskSchema = z.object({
  id: z.string(),
  name: z.string(),
  createdAt: z.string(),
  sortTime: z.number().int(),
  type: z.literal('NN'),
  individualTasks: z.array(mlwIndividualTaskSchema),
  projectID: z.string(),
  projectName: z.string(),
  startDate: z.string(),
  startTimeH: z.string(),
  startTimeM: z.string(),
  properties: z.array(mlwPropertySchema),
  cronExpression: z.string(),
  status: z.enum(['SCHEDULED', 'NOT SCHEDULED']),
  recurrence: z.enum(['ONE_TIME', 'REPEAT']),
});

export const mlwResourceSchema = z.object({
  id: z.string(),
  name: z.string(),
  type: z.enum(['DATA', 'CODE', 'MODEL', 'ARCHITECTURE', 'OTHER']),
  size: z.number().int(),
  contentType: z.string().nullable(),
  contentHash: z.string(),
  projectID: z.string(),
  createdAt: z.string(),
  sortTime: z.number().int(),
});

export const mlwProjectSchema = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string(),
  createdAt: z.string(),
  sortTime: z.number().int(),
  resources: z.object({
    data: z.array(z.string()),
    code: z.array(z.string()),
    model: z.array(z.string()),
    architecture: z.array(z.string()),
  }),
});

export const mlwProjectListSchema = z.array(mlwProjectSchema);
export const mlwResourceListSchema = z.array(mlwResourceSchema);
export const mlwTaskListSchema = z.array(mlwTaskSchema);
