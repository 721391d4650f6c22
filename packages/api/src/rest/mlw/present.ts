import type { Execution, Project, Resource, ResourceKind, Task } from '@trainhub/db';
import type { HistoryRow } from '../../services/executions';
import type { z } from 'zod';
import {
  MLW_GROUPS,
  type MlwGroup,
  type mlwHistoryRowSchema,
  type mlwIndividualTaskSchema,
  type mlwLogEntrySchema,
  type mlwProjectSchema,
  type mlwProjectWithResourcesSchema,
  type mlwResourceSchema,
  type mlwTaskSchema,
} from './contracts';

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number) => String(n).padStart(2, '0');

/**
 * `Tue Sep 29 05:45:22 2020` / `Mon Aug  3 12:28:08 2020` (UTC): Python's `time.ctime`, as MLW writes dates
 * (the day of the month is padded with a space, fidelity note, "Three documentation eras").
 */
export function mlwDate(date: Date): string {
  return `${DAYS[date.getUTCDay()]} ${MONTHS[date.getUTCMonth()]} ${String(date.getUTCDate()).padStart(2, ' ')} ${pad(
    date.getUTCHours(),
  )}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} ${date.getUTCFullYear()}`;
}

/** `2020-09-24 09:56:18.299000` (UTC): Python's `str(datetime)`, as MLW writes task log timestamps. */
export function mlwLogTimestamp(date: Date): string {
  return `${date.toISOString().slice(0, 10)} ${date.toISOString().slice(11, 19)}.${String(
    date.getUTCMilliseconds() * 1000,
  ).padStart(6, '0')}`;
}

export const sortTime = (date: Date) => Math.floor(date.getTime() / 1000);
export const mlwProjectId = (id: number) => `${id}_Project`;
export const mlwResourceId = (id: number) => `${id}_Resource`;

type Category = z.infer<typeof mlwResourceSchema>['category'];
/** Resource kinds MLW shows, with their group key, category and folder. Checkpoints and others are not MLW files. */
const GROUP_OF: Partial<Record<ResourceKind, { group: MlwGroup; category: Category; folder: string }>> = {
  DATASET: { group: 'data', category: 'Data', folder: 'Data' },
  MODEL: { group: 'model', category: 'Model', folder: 'Model' },
  CODE: { group: 'code', category: 'Code', folder: 'Code' },
  ARCHITECTURE: { group: 'nn-designer', category: 'NN-Designer', folder: 'NN-Designer' },
};

/** Whether MLW lists resources of this kind (data, model, code, architecture). */
export const isMlwKind = (kind: ResourceKind) => GROUP_OF[kind] !== undefined;

/** File format and MIME type by extension, as MLW reports them (`type`, `mimeType`; fidelity §2). */
const FORMATS: Record<string, { type: string; mimeType: string }> = {
  '.csv': { type: 'CSV', mimeType: 'text/csv' },
  '.json': { type: 'JSON', mimeType: 'application/json' },
  '.txt': { type: 'TXT', mimeType: 'text/plain' },
  '.tsv': { type: 'TSV', mimeType: 'text/tab-separated-values' },
  '.png': { type: 'IMAGE', mimeType: 'image/png' },
  '.jpg': { type: 'IMAGE', mimeType: 'image/jpeg' },
  '.jpeg': { type: 'IMAGE', mimeType: 'image/jpeg' },
  '.gif': { type: 'IMAGE', mimeType: 'image/gif' },
  '.bmp': { type: 'IMAGE', mimeType: 'image/bmp' },
  '.zip': { type: 'ZIP', mimeType: 'application/zip' },
  '.py': { type: 'PY', mimeType: 'application/CODE' },
  '.pmml': { type: 'PMML', mimeType: 'application/PMML' },
  '.onnx': { type: 'ONNX', mimeType: 'application/ONNX' },
  '.architecture': { type: 'ARCHITECTURE', mimeType: 'application/ARCHITECTURE' },
};

/** Extensions an MLW upload accepts (data, images, zips, code, architectures, ONNX); others are 409. */
export const MLW_UPLOAD_EXTENSIONS = [
  '.csv',
  '.json',
  '.txt',
  '.png',
  '.jpg',
  '.jpeg',
  '.gif',
  '.bmp',
  '.zip',
  '.py',
  '.onnx',
  '.architecture',
];

/** `.csv` for `iris.csv`; `''` without an extension. */
export function extensionOf(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot > 0 ? name.slice(dot).toLowerCase() : '';
}

/** What MLW-specific metadata a resource may carry (in Resource.metadata, beside other styles' keys). */
export interface MlwResourceMeta {
  /** The `properties` list computed at upload (CSV: numberOfRows, numberOfColumns, columnNames). */
  mlwProperties?: { key: string; label: string; value: unknown }[];
  /** ISO time of the last `save`. */
  mlwEditedAt?: string;
  description?: string;
}

/** A deployment of a model resource (the prediction service's), when there is one. */
export interface MlwDeployment {
  mleID: string;
}

/**
 * The MLW Resource (fidelity §2): `type` is the file format, `category` the group, `mimeType` and
 * `extension` come from the file name, `url`/`downloadUrl` name the project folder.
 */
export function presentResource(
  resource: Pick<Resource, 'id' | 'projectId' | 'name' | 'kind' | 'size' | 'createdAt' | 'metadata'>,
  deployment: MlwDeployment | null = null,
): z.infer<typeof mlwResourceSchema> {
  const group = GROUP_OF[resource.kind] ?? GROUP_OF.DATASET!;
  const extension = extensionOf(resource.name);
  const format = FORMATS[extension] ?? {
    type: extension ? extension.slice(1).toUpperCase() : 'FILE',
    mimeType: 'application/octet-stream',
  };
  const meta = (resource.metadata ?? {}) as MlwResourceMeta;
  const project = mlwProjectId(resource.projectId);
  return {
    id: mlwResourceId(resource.id),
    name: resource.name,
    description: typeof meta.description === 'string' ? meta.description : '',
    createdAt: mlwDate(resource.createdAt),
    properties: Array.isArray(meta.mlwProperties) ? meta.mlwProperties : [],
    editedAt: meta.mlwEditedAt ? mlwDate(new Date(meta.mlwEditedAt)) : '',
    type: format.type,
    url: `./MLW/${project}/${group.folder}/${resource.name}`,
    downloadUrl: `/download/${project}/${group.folder}/${resource.name}`,
    size: resource.size,
    mimeType: format.mimeType,
    extension,
    category: group.category,
    deployed: deployment !== null,
    ...(deployment ? { mleID: deployment.mleID } : {}),
  };
}

type ProjectRow = Pick<Project, 'id' | 'name' | 'description' | 'createdAt'>;

/** The MLW Project (fidelity §2): versions are not modelled (`selectedVersion: ""`, `versions: []`). */
export function presentProject(
  project: ProjectRow,
  resources: Pick<Resource, 'kind'>[] = [],
): z.infer<typeof mlwProjectSchema> {
  const counts = Object.fromEntries(MLW_GROUPS.map((g) => [g, 0])) as Record<MlwGroup, number>;
  for (const r of resources) {
    const group = GROUP_OF[r.kind]?.group;
    if (group) counts[group]++;
  }
  return {
    id: mlwProjectId(project.id),
    name: project.name,
    description: project.description ?? '',
    createdAt: mlwDate(project.createdAt),
    properties: [],
    isModified: false,
    isFreeze: false,
    selectedVersion: '',
    versions: [],
    resourcesCount: { ...counts, totalCount: MLW_GROUPS.reduce((n, g) => n + counts[g], 0) },
  };
}

/**
 * The project with its files grouped (fidelity §2 ProjectWithResources): the answer of the resource list,
 * upload, createnew, resource delete and predict. Resources come newest first within each group.
 */
export function presentProjectWithResources(
  project: ProjectRow,
  resources: Parameters<typeof presentResource>[0][],
  deployments: Map<number, MlwDeployment> = new Map(),
): z.infer<typeof mlwProjectWithResourcesSchema> {
  const visible = resources.filter((r) => isMlwKind(r.kind)).sort((a, b) => b.id - a.id);
  const groups = Object.fromEntries(MLW_GROUPS.map((g) => [g, [] as z.infer<typeof mlwResourceSchema>[]]));
  for (const r of visible)
    groups[GROUP_OF[r.kind]!.group]!.push(presentResource(r, deployments.get(r.id) ?? null));
  return {
    ...presentProject(project, visible),
    resources: groups as z.infer<typeof mlwProjectWithResourcesSchema>['resources'],
  };
}

type IndividualStatus = z.infer<typeof mlwIndividualTaskSchema>['status'];
const STATUS: Record<Execution['status'], IndividualStatus> = {
  QUEUED: 'INITIALISING',
  RUNNING: 'RUNNING',
  COMPLETED: 'COMPLETED',
  FAILED: 'FAILED',
  STOPPED: 'STOPPED',
  CANCELLED: 'STOPPED',
};
const DEFAULT_MESSAGE: Record<Execution['status'], string> = {
  QUEUED: 'Initialising',
  RUNNING: 'Running',
  COMPLETED: 'Completed',
  FAILED: 'Failed',
  STOPPED: 'Stopped',
  CANCELLED: 'Cancelled',
};

interface Hyper {
  epochs?: number;
  batchSize?: number;
  learningRate?: number;
  optimizer?: string;
  loss?: string;
  metrics?: string[];
  testSize?: number;
}

/** The `properties` list, in the seed's order. */
export function taskProperties(task: Task): z.infer<typeof mlwTaskSchema>['properties'] {
  const h = (task.hyperparameters ?? {}) as Hyper;
  const d = (task.definition ?? {}) as { problemType?: string };
  return [
    { key: 'problemType', label: 'Problem Type', value: d.problemType ?? null },
    { key: 'optimizer', label: 'Optimizer', value: h.optimizer ?? null },
    { key: 'learningRate', label: 'Learning Rate', value: h.learningRate ?? null },
    { key: 'loss', label: 'Loss', value: h.loss ?? null },
    { key: 'metrics', label: 'Metrics', value: h.metrics ?? [] },
    { key: 'epoch', label: 'Epoch', value: h.epochs ?? null },
    { key: 'testSize', label: 'Test Size', value: h.testSize ?? null },
    { key: 'batchSize', label: 'Batch Size', value: h.batchSize ?? null },
  ];
}

/** One history row: classification `{ epoch, acc, loss, lr, val_acc, val_loss }`, otherwise the metrics. */
export function historyRow(
  row: HistoryRow,
  problemType: string | undefined,
): z.infer<typeof mlwHistoryRowSchema> {
  const m = row.metrics;
  if (problemType !== 'regression') {
    return {
      epoch: row.epoch,
      acc: m.acc ?? m.accuracy ?? null,
      loss: row.loss,
      lr: row.lr ?? null,
      val_acc: m.val_acc ?? m.val_accuracy ?? null,
      val_loss: m.val_loss ?? null,
    };
  }
  return { epoch: row.epoch, loss: row.loss, lr: row.lr ?? null, ...m };
}

/**
 * What the individual-task presenter reads beside the execution row: when each stage was entered (the
 * STAGE events) and the names of stored models, both by id. Missing entries fall back to the row's times.
 */
export interface RunExtras {
  stageTimes: Map<number, Map<string, Date>>;
  modelNames: Map<number, string>;
}
export const noExtras = (): RunExtras => ({ stageTimes: new Map(), modelNames: new Map() });

/** `log` as MLW writes it: per stage `{timestamp, type, message, error}`; a failed run's last stage is the ERROR. */
function presentLog(
  execution: Execution,
  extras: RunExtras,
): Record<string, z.infer<typeof mlwLogEntrySchema>> {
  const stageLog = (execution.stageLog ?? {}) as Record<string, unknown>;
  const times = extras.stageTimes.get(execution.id);
  const log: Record<string, z.infer<typeof mlwLogEntrySchema>> = {};
  for (const [stage, message] of Object.entries(stageLog)) {
    const failedHere = execution.status === 'FAILED' && execution.stage === stage;
    log[stage] = {
      timestamp: mlwLogTimestamp(times?.get(stage) ?? execution.startedAt ?? execution.updatedAt),
      type: failedHere ? 'ERROR' : 'INFO',
      message: typeof message === 'string' ? message : String(message),
      error: failedHere ? (execution.error ?? '') : '',
    };
  }
  return log;
}

export function presentIndividualTask(
  task: Pick<Task, 'id' | 'projectId' | 'name' | 'definition'>,
  execution: Execution,
  history: HistoryRow[],
  extras: RunExtras = noExtras(),
): z.infer<typeof mlwIndividualTaskSchema> {
  const problemType = (task.definition as { problemType?: string }).problemType;
  const fallback = DEFAULT_MESSAGE[execution.status];
  const modelName =
    execution.modelResourceId !== null ? extras.modelNames.get(execution.modelResourceId) : undefined;
  return {
    status: STATUS[execution.status],
    type: 'NN',
    projectID: mlwProjectId(task.projectId),
    log: presentLog(execution, extras),
    properties: [],
    message:
      execution.status === 'FAILED' && execution.error
        ? `Failed: ${execution.error}`
        : (execution.message ?? fallback),
    history: history.map((row) => historyRow(row, problemType)),
    tasksID: String(task.id),
    taskName: task.name,
    id: String(execution.id),
    executedAt: mlwDate(execution.startedAt ?? execution.createdAt),
    pID: String(execution.id),
    ...(modelName !== undefined
      ? {
          fileName: `./MLW/${mlwProjectId(task.projectId)}/Model/${modelName}`,
          completedAt: mlwDate(execution.finishedAt ?? execution.updatedAt),
          fileSaved: true,
        }
      : {}),
  };
}

export function presentTask(
  task: Task & { project: { name: string } },
  executions: Execution[],
  history: Map<number, HistoryRow[]>,
  extras: RunExtras = noExtras(),
): z.infer<typeof mlwTaskSchema> {
  const start = task.startAt ?? task.createdAt;
  const cron = task.scheduleKind === 'CRON';
  return {
    id: String(task.id),
    name: task.name,
    createdAt: mlwDate(task.createdAt),
    sortTime: sortTime(task.createdAt),
    type: 'NN',
    individualTasks: executions.map((e) => presentIndividualTask(task, e, history.get(e.id) ?? [], extras)),
    projectID: mlwProjectId(task.projectId),
    projectName: task.project.name,
    startDate: `${start.getUTCFullYear()}-${pad(start.getUTCMonth() + 1)}-${pad(start.getUTCDate())}`,
    startTimeH: pad(start.getUTCHours()),
    startTimeM: pad(start.getUTCMinutes()),
    properties: taskProperties(task),
    cronExpression: task.cronExpression ?? '',
    status: cron && task.scheduleEnabled ? 'SCHEDULED' : 'NOT SCHEDULED',
    recurrence: cron ? 'REPEAT' : 'ONE_TIME',
  };
}
