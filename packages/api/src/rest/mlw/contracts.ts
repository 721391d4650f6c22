import { z } from 'zod';

// The MLW (Cumulocity Machine Learning Workbench) style: every request and response body. Shapes follow the
// MLW API reference as analysed in docs/fidelity/mlw.md (§1-§5; era E1 ids and ctime dates, the seed's era).
// The tests check every answer against independent schemas written from that reference
// (packages/api/test/mlw-reference.ts), so a drift here fails there.

export const MLW_BASE = '/service/mlw';

export const mlwAuthErrorSchema = z.object({ error: z.string(), message: z.string(), info: z.string() });
export const mlwErrorSchema = z.object({
  message: z.string(),
  errorCode: z.number().int(),
  exception: z.string(),
});
/** MLW's (E2+) "Variable issue" 400: which field is wrong (fidelity §1 #2, #11). */
export const mlwVariableIssueSchema = z.object({
  error: z.string(),
  message: z.literal('Variable issue'),
  info: z.array(z.object({ loc: z.array(z.string()), msg: z.string(), type: z.string() })),
});

/** Ids as MLW clients know them: `12_Project`, `34_Resource`; task ids are plain digit strings. */
export const projectIdParam = z.string().regex(/^\d+_Project$/);
export const resourceIdParam = z.string().regex(/^\d+_Resource$/);

/** The number in an MLW id (`12_Project` -> 12; a task's `34` -> 34), or -1 when it is not one of that kind. */
const idNumber = (suffix: '_Project' | '_Resource' | '') => {
  const pattern = new RegExp(`^(\\d{1,15})${suffix}$`);
  return (raw: string) => {
    const match = pattern.exec(raw);
    return match ? Number(match[1]) : -1;
  };
};

/**
 * An id in a request path, parsed to its number. A malformed one is -1, which names nothing: every lookup
 * answers it 404 as for an unknown id, as MLW does (docs/fidelity/mlw.md: `/tasks/656ea4` is a 404, not a
 * 400). The pattern is documented (OpenAPI) but not enforced, for that reason.
 */
const pathId = (suffix: '_Project' | '_Resource' | '') =>
  z
    .string()
    .meta({ pattern: `^\\d+${suffix}$` })
    .transform(idNumber(suffix));

export const projectParams = z.object({ projectID: pathId('_Project') });
export const resourceParams = projectParams.extend({ resourceID: pathId('_Resource') });
export const taskParams = z.object({ taskID: pathId('') });
export const subTaskParams = taskParams.extend({ subTaskID: pathId('') });
/** A resource id in a body (trainNN's dataID, codeID): malformed is a 400 naming the field. */
const resourceIdField = resourceIdParam.transform(idNumber('_Resource'));

export const projectBodySchema = z.object({
  name: z.string().trim().min(1).max(200),
  description: z.string().max(2000).nullish(),
});
export const projectUpdateSchema = projectBodySchema.partial();

/**
 * Fields a trainNN body must carry; a missing one answers the seed's 400. `codeID` (a preprocessing script)
 * is optional as in the E2+ reference (fidelity §3): without it the data is used as it is.
 */
export const TRAIN_NN_MANDATORY = [
  'batchSize',
  'epoch',
  'learningRate',
  'loss',
  'optimizer',
  'modelName',
  'dataID',
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
  dataID: resourceIdField,
  codeID: z.union([resourceIdField, z.literal('')]).nullish(),
  problemType: z.enum(['classification', 'regression']),
  shuffleData: z.boolean().optional(),
  /**
   * A start for the first (or scheduled) run, UTC: either `YYYY-MM-DD` with hour/minute strings
   * (startTimeH/M), or an ISO date-time as E2+ clients send it (`2021-09-16T06:18:38.193833Z`).
   */
  startDate: z
    .union([
      z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
      z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/),
      z.literal(''),
    ])
    .optional(),
  startTimeH: z
    .string()
    .regex(/^\d{0,2}$/)
    .optional(),
  startTimeM: z
    .string()
    .regex(/^\d{0,2}$/)
    .optional(),
});
export type TrainNNBody = z.infer<typeof trainNNBodySchema>;

/** `createnew`: a new architecture (`arch`/`architecture`, from a template) or preprocessing code (`py`). */
export const createNewBodySchema = z.object({
  type: z.enum(['arch', 'architecture', 'py']),
  name: z
    .string()
    .trim()
    .min(1)
    .max(200)
    .regex(/^[^/\\\0]+$/),
  /** Architecture template: `None` (dense layers) or `MobileNet` (a transfer-learning base). */
  template: z.string().max(60).nullish(),
});

/** `save`: the file's new text (the NN designer's architecture JSON, or code). */
export const saveBodySchema = z.object({ content: z.string().max(4 * 1024 * 1024) });

export const mlwPropertySchema = z.object({ key: z.string(), label: z.string(), value: z.unknown() });

export const mlwHistoryRowSchema = z
  .object({ epoch: z.number().int(), loss: z.number(), lr: z.number().nullable() })
  .catchall(z.number().nullable());

/** One stage's entry of an individual task's `log` (`timestamp` as Python's `str(datetime)`, UTC). */
export const mlwLogEntrySchema = z.object({
  timestamp: z.string(),
  type: z.enum(['INFO', 'ERROR']),
  message: z.string(),
  error: z.string(),
});

export const mlwIndividualTaskSchema = z.object({
  status: z.enum(['INITIALISING', 'RUNNING', 'COMPLETED', 'FAILED', 'STOPPED']),
  type: z.literal('NN'),
  projectID: z.string(),
  log: z.record(z.string(), mlwLogEntrySchema),
  properties: z.array(mlwPropertySchema),
  message: z.string(),
  history: z.array(mlwHistoryRowSchema),
  tasksID: z.string(),
  taskName: z.string(),
  id: z.string(),
  executedAt: z.string(),
  pID: z.string(),
  /** Once the model is stored: `./MLW/<P>/Model/<file>`, when, and `fileSaved: true`. */
  fileName: z.string().optional(),
  completedAt: z.string().optional(),
  fileSaved: z.boolean().optional(),
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

export const MLW_GROUPS = ['data', 'model', 'code', 'pipeline', 'workflow', 'nn-designer'] as const;
export type MlwGroup = (typeof MLW_GROUPS)[number];

export const mlwResourceSchema = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string(),
  createdAt: z.string(),
  properties: z.array(mlwPropertySchema),
  editedAt: z.string(),
  /** The file format: CSV, JSON, TXT, IMAGE, ZIP, PY, PMML, ONNX, ARCHITECTURE. */
  type: z.string(),
  url: z.string(),
  downloadUrl: z.string(),
  size: z.number().int(),
  mimeType: z.string(),
  extension: z.string(),
  /** The group: Data, Model, Code, NN-Designer. */
  category: z.enum(['Data', 'Model', 'Code', 'Pipeline', 'Workflow', 'NN-Designer']),
  deployed: z.boolean(),
  mleID: z.string().optional(),
});

const groupCounts = Object.fromEntries(MLW_GROUPS.map((g) => [g, z.number().int()])) as Record<
  MlwGroup,
  z.ZodNumber
>;

export const mlwProjectSchema = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string(),
  createdAt: z.string(),
  properties: z.array(mlwPropertySchema),
  isModified: z.boolean(),
  isFreeze: z.boolean(),
  selectedVersion: z.string(),
  versions: z.array(z.string()),
  resourcesCount: z.object({ ...groupCounts, totalCount: z.number().int() }),
});

export const mlwProjectWithResourcesSchema = mlwProjectSchema.extend({
  resources: z.object(
    Object.fromEntries(MLW_GROUPS.map((g) => [g, z.array(mlwResourceSchema)])) as Record<
      MlwGroup,
      z.ZodArray<typeof mlwResourceSchema>
    >,
  ),
});

export const mlwProjectListSchema = z.object({ data: z.array(mlwProjectSchema) });
export const mlwTaskListSchema = z.object({ data: z.array(mlwTaskSchema) });
/** DELETE /tasks/T: the remaining tasks as a map keyed by id, their individual tasks too (fidelity §1 #35). */
export const mlwTaskMapSchema = z.object({
  data: z.record(
    z.string(),
    mlwTaskSchema.extend({ individualTasks: z.record(z.string(), mlwIndividualTaskSchema) }),
  ),
});
export const mlwEarlyStopSchema = z.object({ message: z.string() });
/** GET /resources/deploy: the deployed models (fidelity §1 #18). */
export const mlwDeployedListSchema = z.object({
  data: z.array(z.object({ id: z.string(), name: z.string(), type: z.string() })),
});
export const mlwPreviewSchema = z.object({ content: z.string() });
export const mlwSaveAnswerSchema = z.object({ message: z.string(), data: mlwResourceSchema });
