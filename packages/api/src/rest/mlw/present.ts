import type { Execution, Project, Resource, Task } from '@trainhub/db';
import type { HistoryRow } from '../../services/executions';
import type { z } from 'zod';
import type {
  mlwHistoryRowSchema,
  mlwIndividualTaskSchema,
  mlwProjectSchema,
  mlwResourceSchema,
  mlwTaskSchema,
} from './contracts';

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number) => String(n).padStart(2, '0');

/** `Tue Sep 29 05:45:22 2020` (UTC), as MLW writes dates. */
export function mlwDate(date: Date): string {
  return `${DAYS[date.getUTCDay()]} ${MONTHS[date.getUTCMonth()]} ${pad(date.getUTCDate())} ${pad(date.getUTCHours())}:${pad(
    date.getUTCMinutes(),
  )}:${pad(date.getUTCSeconds())} ${date.getUTCFullYear()}`;
}

export const sortTime = (date: Date) => Math.floor(date.getTime() / 1000);
export const mlwProjectId = (id: number) => `${id}_Project`;
export const mlwResourceId = (id: number) => `${id}_Resource`;
export const parseMlwId = (raw: string, suffix: 'Project' | 'Resource'): number => {
  const match = new RegExp(`^(\\d{1,15})_${suffix}$`).exec(raw);
  return match ? Number(match[1]) : -1;
};

const RESOURCE_TYPES = {
  DATASET: 'DATA',
  CODE: 'CODE',
  MODEL: 'MODEL',
  ARCHITECTURE: 'ARCHITECTURE',
  CHECKPOINT: 'OTHER',
  OTHER: 'OTHER',
} as const;

export function presentResource(resource: Resource): z.infer<typeof mlwResourceSchema> {
  return {
    id: mlwResourceId(resource.id),
    name: resource.name,
    type: RESOURCE_TYPES[resource.kind],
    size: resource.size,
    contentType: resource.contentType,
    contentHash: resource.contentHash,
    projectID: mlwProjectId(resource.projectId),
    createdAt: mlwDate(resource.createdAt),
    sortTime: sortTime(resource.createdAt),
  };
}

export function presentProject(
  project: Project,
  resources: Pick<Resource, 'id' | 'kind'>[] = [],
): z.infer<typeof mlwProjectSchema> {
  const ids = (kind: Resource['kind']) =>
    resources.filter((r) => r.kind === kind).map((r) => mlwResourceId(r.id));
  return {
    id: mlwProjectId(project.id),
    name: project.name,
    description: project.description ?? '',
    createdAt: mlwDate(project.createdAt),
    sortTime: sortTime(project.createdAt),
    resources: {
      data: ids('DATASET'),
      code: ids('CODE'),
      model: ids('MODEL'),
      architecture: ids('ARCHITECTURE'),
    },
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

export function presentIndividualTask(
  task: Pick<Task, 'id' | 'projectId' | 'name' | 'definition'>,
  execution: Execution,
  history: HistoryRow[],
): z.infer<typeof mlwIndividualTaskSchema> {
  const problemType = (task.definition as { problemType?: string }).problemType;
  const fallback = DEFAULT_MESSAGE[execution.status];
  return {
    status: STATUS[execution.status],
    type: 'NN',
    projectID: mlwProjectId(task.projectId),
    log: (execution.stageLog ?? {}) as Record<string, string>,
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
  };
}

export function presentTask(
  task: Task & { project: { name: string } },
  executions: Execution[],
  history: Map<number, HistoryRow[]>,
): z.infer<typeof mlwTaskSchema> {
  const start = task.startAt ?? task.createdAt;
  const cron = task.scheduleKind === 'CRON';
  return {
    id: String(task.id),
    name: task.name,
    createdAt: mlwDate(task.createdAt),
    sortTime: sortTime(task.createdAt),
    type: 'NN',
    individualTasks: executions.map((e) => presentIndividualTask(task, e, history.get(e.id) ?? [])),
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
