import {
  type ArtifactStore,
  hyperparametersSchema,
  trainingDefinitionSchema,
  type Db,
  type Execution,
  type Hyperparameters,
  type NormalizedTrainingDefinition,
  type Prisma,
  type Project,
  type Resource,
  type Task,
  type TrainingDefinition,
} from '@trainhub/db';
import { normalizeDefinition } from '@trainhub/ml/validate';
import { projectScope, type Principal } from '../auth/principal';
import { requireProject } from './access';
import { DomainError } from './errors';
import { historyOf } from './executions';
import { nextCronRun } from './schedules';
import { refusal, validateTraining, withBaseModels } from './training-validation';

/** Which surface created a task (Task.source). */
export type TaskSource = 'mlw' | 'edge-impulse' | 'training-module' | 'trpc' | 'web';

export type ScheduleInput =
  | { kind: 'ONE_TIME'; startAt?: Date | null }
  | { kind: 'CRON'; cronExpression: string; timezone?: string; startAt?: Date | null };

export interface CreateTrainingInput {
  projectId: number;
  name: string;
  source: TaskSource;
  definition: TrainingDefinition;
  hyperparameters: Hyperparameters;
  architectureResourceId?: number | null;
  codeResourceId?: number | null;
  learnBlockId?: number | null;
  schedule?: ScheduleInput;
  /**
   * The artifact store, so datasets uploaded before summaries existed and code resources can be read for the
   * up-front check (validateTraining); without it those are checked from their upload metadata only.
   */
  store?: ArtifactStore;
  /** The configured model store (PRETRAINED_MODELS_DIR) `transfer` layers load from (withBaseModels). */
  modelStore?: string | null;
}

function zodMessage(prefix: string, error: { issues: { path: PropertyKey[]; message: string }[] }): string {
  const issue = error.issues[0];
  return `${prefix}${issue ? ` ${issue.path.map(String).join('.') || 'value'}: ${issue.message}` : ''}`;
}

/** A created training: the task, its first execution (none for a cron schedule) and the task's project. */
export interface CreatedTraining {
  task: Task;
  execution: Execution | null;
  project: Project;
}

/**
 * Creates a training: the Task and, unless it is a cron schedule, its first QUEUED Execution, in one
 * transaction. A cron task gets `nextRunAt` and no execution: the trainer materializes each occurrence.
 * Every style calls this; nothing is written when any check fails. The definition may come in the requesting
 * style's dialect (version 1): its model is translated into our architecture here and stored normalized
 * (version 2), so the trainer never sees a style. Returns the project too, so a style can present the task
 * without reading it again. Errors: NOT_FOUND (project, resource, learn block), FORBIDDEN (below editor),
 * INVALID (a TrainingRefusedError naming the field) for anything the run would fail on.
 */
export async function createTraining(
  db: Db,
  principal: Principal,
  input: CreateTrainingInput,
  now = new Date(),
): Promise<CreatedTraining> {
  const project = await requireProject(db, principal, input.projectId, 'EDITOR');
  return createCheckedTraining(db, principal, { project }, input, now);
}

/**
 * What a caller of createCheckedTraining has already checked, so that it is not read again: the project
 * (requireProject at EDITOR), and optionally every resource the input names, read as live resources of that
 * project, and the learn block (a block of that project).
 */
export interface CheckedScope {
  project: Project;
  resources?: Resource[];
  learnBlockId?: number;
}

/**
 * createTraining for a caller that has already checked the role and read some of the rows (CheckedScope):
 * the rest of createTraining's checks, the translation and the write.
 */
export async function createCheckedTraining(
  db: Db,
  principal: Principal,
  checked: CheckedScope,
  input: CreateTrainingInput,
  now = new Date(),
): Promise<CreatedTraining> {
  const { request, hyperparameters } = parseTrainingInput(input);
  const resources =
    checked.resources ??
    (await liveResources(db, input.projectId, [
      request.datasetResourceId,
      request.testDatasetResourceId,
      input.architectureResourceId,
      input.codeResourceId,
    ]));
  if (input.learnBlockId != null && input.learnBlockId !== checked.learnBlockId) {
    const block = await db.learnBlock.count({
      where: { id: input.learnBlockId, projectId: input.projectId },
    });
    if (!block) throw new DomainError('NOT_FOUND', 'learn block not found');
  }
  // What the run would fail on is refused now, before anything is written (in the order the run meets it).
  await validateTraining(db, input.store, {
    projectId: input.projectId,
    resources,
    definition: request,
    hyperparameters,
    codeResourceId: input.codeResourceId ?? null,
  });
  let definition: NormalizedTrainingDefinition;
  try {
    definition = normalizeDefinition(request);
  } catch (error) {
    return refusal(error); // a model the check above could not reach without the data
  }
  definition = withBaseModels(definition, input.modelStore); // every transfer layer's base, in its store
  const created = await insertTraining(db, principal, input, definition, hyperparameters, now);
  return { ...created, project: checked.project };
}

function parseTrainingInput(input: CreateTrainingInput): {
  request: TrainingDefinition;
  hyperparameters: Hyperparameters;
} {
  const definition = trainingDefinitionSchema.safeParse(input.definition);
  if (!definition.success)
    throw new DomainError('INVALID', zodMessage('invalid training definition:', definition.error));
  const hyperparameters = hyperparametersSchema.safeParse(input.hyperparameters);
  if (!hyperparameters.success)
    throw new DomainError('INVALID', zodMessage('invalid hyperparameter', hyperparameters.error));
  return { request: definition.data, hyperparameters: hyperparameters.data };
}

/** The resources `ids` names (undefined/null ones skipped): each must be a live resource of this very project. */
async function liveResources(
  db: Db,
  projectId: number,
  ids: (number | null | undefined)[],
): Promise<Resource[]> {
  const wanted = ids.filter((id): id is number => typeof id === 'number');
  const resources = await db.resource.findMany({
    where: { id: { in: wanted }, projectId, deletedAt: null },
  });
  if (resources.length !== new Set(wanted).size) throw new DomainError('NOT_FOUND', 'resource not found');
  return resources;
}

async function insertTraining(
  db: Db,
  principal: Principal,
  input: CreateTrainingInput,
  definition: NormalizedTrainingDefinition,
  hyperparameters: Hyperparameters,
  now: Date,
) {
  const schedule = input.schedule ?? { kind: 'ONE_TIME' };
  const startAt = schedule.startAt ?? null;
  let nextRunAt: Date | null = null;
  if (schedule.kind === 'CRON') {
    const from = startAt && startAt > now ? new Date(startAt.getTime() - 1) : now;
    nextRunAt = nextCronRun(schedule.cronExpression, from, schedule.timezone ?? 'UTC');
  }
  const name = input.name.trim().slice(0, 200) || 'training';

  // One nested write (atomic, and one round trip instead of an interactive transaction holding the
  // connection): the task and, for a one-time training, its first QUEUED execution.
  const { executions, ...task } = await db.task.create({
    data: {
      projectId: input.projectId,
      name,
      type: 'NN',
      source: input.source,
      architectureResourceId: input.architectureResourceId ?? null,
      datasetResourceId: definition.datasetResourceId,
      codeResourceId: input.codeResourceId ?? null,
      learnBlockId: input.learnBlockId ?? null,
      definition: definition as Prisma.InputJsonValue,
      hyperparameters: hyperparameters as Prisma.InputJsonValue,
      scheduleKind: schedule.kind,
      startAt,
      cronExpression: schedule.kind === 'CRON' ? schedule.cronExpression.trim() : null,
      timezone: schedule.kind === 'CRON' ? (schedule.timezone ?? 'UTC') : 'UTC',
      nextRunAt,
      createdById: principal.userId,
      ...(schedule.kind === 'ONE_TIME'
        ? {
            executions: {
              create: {
                projectId: input.projectId,
                status: 'QUEUED' as const,
                dueAt: startAt && startAt > now ? startAt : now,
                message: 'Initialising',
              },
            },
          }
        : {}),
    },
    include: { executions: true },
  });
  return { task, execution: executions[0] ?? null };
}

export interface TaskListOptions {
  projectId?: number;
  take?: number;
  skip?: number;
  /** Newest runs included per task (default: all). API lists pass a bound so a busy project stays fast. */
  runsPerTask?: number;
}

/** Runs listed per task in API task lists (the task's own page has more, its runs have their own URLs). */
export const LIST_RUNS_PER_TASK = 5;
/** Tasks per page of API task lists. */
export const TASK_PAGE = 50;
/** Runs included with one task (newest first). */
export const TASK_RUNS = 100;

/** Tasks the caller can see (newest first), with their executions (newest first). */
export async function listTasks(db: Db, principal: Principal, options: TaskListOptions = {}) {
  if (options.projectId !== undefined) await requireProject(db, principal, options.projectId, 'VIEWER');
  const where = {
    deletedAt: null,
    project: projectScope(principal),
    ...(options.projectId !== undefined ? { projectId: options.projectId } : {}),
  };
  const page = {
    orderBy: { id: 'desc' as const },
    take: Math.min(options.take ?? 500, 1000),
    skip: options.skip ?? 0,
  };
  const runs = options.runsPerTask;
  if (runs === undefined) {
    return db.task.findMany({
      where,
      include: { project: { select: { id: true, name: true } }, executions: { orderBy: { id: 'desc' } } },
      ...page,
    });
  }
  // A nested `take` makes Prisma read every run of every task; one bounded query per task reads only the
  // newest ones (by the taskId index).
  const tasks = await db.task.findMany({
    where,
    include: { project: { select: { id: true, name: true } } },
    ...page,
  });
  const executions = await Promise.all(tasks.map((task) => newestRuns(db, task.id, runs)));
  return tasks.map((task, i) => ({ ...task, executions: executions[i]! }));
}

function newestRuns(db: Db, taskId: number, take: number) {
  return db.execution.findMany({ where: { taskId }, orderBy: { id: 'desc' }, take });
}

export async function getTask(db: Db, principal: Principal, taskId: number, options: { runs?: number } = {}) {
  const task = Number.isSafeInteger(taskId)
    ? await db.task.findFirst({
        where: { id: taskId, deletedAt: null, project: projectScope(principal) },
        include: { project: { select: { id: true, name: true, teamId: true } } },
      })
    : null;
  if (!task) throw new DomainError('NOT_FOUND', 'task not found');
  const executions =
    options.runs !== undefined
      ? await newestRuns(db, task.id, options.runs)
      : await db.execution.findMany({ where: { taskId: task.id }, orderBy: { id: 'desc' } });
  return { ...task, executions };
}

/**
 * Deletes a task (soft): its schedule stops, queued runs are cancelled and running ones asked to cancel.
 */
export async function deleteTask(db: Db, principal: Principal, taskId: number, now = new Date()) {
  const task = await getTask(db, principal, taskId);
  await requireProject(db, principal, task.projectId, 'ADMIN');
  await db.$transaction([
    db.task.update({
      where: { id: taskId },
      data: { deletedAt: now, scheduleEnabled: false, nextRunAt: null },
    }),
    db.execution.updateMany({
      where: { taskId, status: 'QUEUED' },
      data: { status: 'CANCELLED', finishedAt: now, message: 'Task deleted' },
    }),
    db.execution.updateMany({ where: { taskId, status: 'RUNNING' }, data: { stopRequest: 'CANCEL' } }),
  ]);
  return task;
}

/** Starts one more run of an existing one-time task (a retrain with the same definition). */
export async function rerunTask(db: Db, principal: Principal, taskId: number, now = new Date()) {
  const task = await getTask(db, principal, taskId);
  await requireProject(db, principal, task.projectId, 'EDITOR');
  return db.execution.create({
    data: { taskId, projectId: task.projectId, status: 'QUEUED', dueAt: now, message: 'Initialising' },
  });
}

/** listTasks plus every execution's per-epoch history (MLW's task list). */
export async function listTasksWithHistory(db: Db, principal: Principal, options: TaskListOptions = {}) {
  const tasks = await listTasks(db, principal, options);
  const history = await historyOf(
    db,
    tasks.flatMap((t) => t.executions.map((e) => e.id)),
  );
  return { tasks, history };
}

/** getTask plus its executions' history. */
export async function getTaskWithHistory(
  db: Db,
  principal: Principal,
  taskId: number,
  options: { runs?: number } = {},
) {
  const task = await getTask(db, principal, taskId, options);
  const history = await historyOf(
    db,
    task.executions.map((e) => e.id),
  );
  return { task, history };
}
