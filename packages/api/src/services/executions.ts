import type { Db, EpochEventRow, ExecutionEventKind, ExecutionWithScope, StopRequest } from '@trainhub/db';
import { epochDataSchema, readEpochEvents, readExecutionWithScope, type EpochData } from '@trainhub/db';
import { canSeeProject, projectScope, type Principal } from '../auth/principal';
import { requireProject } from './access';
import { DomainError } from './errors';

export { TERMINAL_STATUSES, isTerminal } from '@trainhub/db';

/** Whether the caller sees this execution (of a task not deleted, within the given project or task). */
function isVisible(
  principal: Principal,
  { execution, project, task }: ExecutionWithScope,
  within: { projectId?: number; taskId?: number },
): boolean {
  return (
    (within.projectId === undefined || execution.projectId === within.projectId) &&
    (within.taskId === undefined || execution.taskId === within.taskId) &&
    task.deletedAt === null &&
    canSeeProject(principal, project)
  );
}

/**
 * One execution the caller can see (optionally required to belong to a project or task). Status polling
 * reads this in every style: it is read in plain SQL with its scope (see @trainhub/db's status-reads), and
 * the caller's scope is checked on the row (`canSeeProject`, the rule of `projectScope`).
 */
export async function getExecution(
  db: Db,
  principal: Principal,
  executionId: number,
  within: { projectId?: number; taskId?: number } = {},
) {
  const found = Number.isSafeInteger(executionId) ? await readExecutionWithScope(db, executionId) : null;
  if (!found || !isVisible(principal, found, within))
    throw new DomainError('NOT_FOUND', 'execution not found');
  return found.execution;
}

export interface HistoryRow extends EpochData {
  createdAt: Date;
}

const HISTORY_CHUNK = 500;

/** History rows from EPOCH events; an event whose data does not parse is left out. */
export function toHistory(events: EpochEventRow[]): HistoryRow[] {
  const rows: HistoryRow[] = [];
  for (const event of events) {
    const parsed = epochDataSchema.safeParse(event.data);
    if (parsed.success) rows.push({ ...parsed.data, createdAt: event.createdAt });
  }
  return rows;
}

/** Per-epoch history of executions, from their EPOCH events, keyed by execution id. */
export async function historyOf(db: Db, executionIds: number[]): Promise<Map<number, HistoryRow[]>> {
  const events = new Map<number, EpochEventRow[]>(executionIds.map((id) => [id, []]));
  // In chunks: one IN list of thousands of ids exceeds SQLite's bound-parameter limit (was a 500).
  for (let i = 0; i < executionIds.length; i += HISTORY_CHUNK) {
    const chunk = await db.executionEvent.findMany({
      where: { executionId: { in: executionIds.slice(i, i + HISTORY_CHUNK) }, kind: 'EPOCH' },
      orderBy: [{ executionId: 'asc' }, { seq: 'asc' }],
      // Only what a history row needs: lists read thousands of these.
      select: { executionId: true, data: true, createdAt: true },
    });
    for (const event of chunk) events.get(event.executionId)?.push(event);
  }
  return new Map([...events].map(([id, rows]) => [id, toHistory(rows)]));
}

/**
 * The history rows of one execution after an epoch, oldest first: what a live view polls for (epochs are
 * only appended; an epoch appears once per execution, also across resumes).
 */
export async function historyAfter(db: Db, executionId: number, afterEpoch: number): Promise<HistoryRow[]> {
  const events = await db.executionEvent.findMany({
    where: { executionId, kind: 'EPOCH', epoch: { gt: afterEpoch } },
    orderBy: { seq: 'asc' },
    select: { data: true, createdAt: true },
  });
  return toHistory(events);
}

/** Executions of a task with their history, newest first, a page at a time (`beforeId`: the cursor). */
export async function listExecutionsWithHistory(
  db: Db,
  principal: Principal,
  taskId: number,
  page: { take?: number; beforeId?: number } = {},
) {
  // Another team's task answers like an unknown one (as every other read does), not with an empty list.
  const task = await db.task.findFirst({
    where: { id: taskId, deletedAt: null, project: projectScope(principal) },
    select: { id: true },
  });
  if (!task) throw new DomainError('NOT_FOUND', 'task not found');
  const executions = await db.execution.findMany({
    where: { taskId, ...(page.beforeId !== undefined ? { id: { lt: page.beforeId } } : {}) },
    orderBy: { id: 'desc' },
    ...(page.take !== undefined ? { take: page.take } : {}),
  });
  const history = await historyOf(
    db,
    executions.map((e) => e.id),
  );
  return executions.map((execution) => ({ execution, history: history.get(execution.id) ?? [] }));
}

/** Executions of a project, newest first (Edge Impulse's job list). */
export async function listProjectExecutions(
  db: Db,
  principal: Principal,
  projectId: number,
  take = 100,
  skip = 0,
) {
  await requireProject(db, principal, projectId, 'VIEWER');
  const where = { projectId, task: { deletedAt: null } };
  const [executions, total] = await Promise.all([
    db.execution.findMany({ where, orderBy: { id: 'desc' }, take: Math.min(take, 1000), skip }),
    db.execution.count({ where }),
  ]);
  return { executions, total };
}

/** Events of an execution after a sequence number, oldest first (stdout, live streams). */
export async function listEvents(
  db: Db,
  executionId: number,
  options: { afterSeq?: number; kinds?: ExecutionEventKind[]; take?: number; skip?: number } = {},
) {
  return db.executionEvent.findMany({
    where: {
      executionId,
      ...(options.afterSeq !== undefined ? { seq: { gt: options.afterSeq } } : {}),
      ...(options.kinds ? { kind: { in: options.kinds } } : {}),
    },
    orderBy: { seq: 'asc' },
    take: Math.min(options.take ?? 1000, 10_000),
    skip: options.skip ?? 0,
  });
}

export function countEvents(db: Db, executionId: number, kinds?: ExecutionEventKind[]) {
  return db.executionEvent.count({ where: { executionId, ...(kinds ? { kind: { in: kinds } } : {}) } });
}

/**
 * Asks an execution to stop (keep the model trained so far) or cancel (discard it). A QUEUED execution is
 * cancelled directly with a conditional update (a trainer claiming it at the same moment wins or loses
 * cleanly); a RUNNING one gets `stopRequest`, which the trainer checks between batches. A finished execution
 * is returned unchanged.
 */
export async function requestStop(
  db: Db,
  principal: Principal,
  executionId: number,
  kind: StopRequest,
  within: { projectId?: number; taskId?: number } = {},
  now = new Date(),
) {
  const execution = await getExecution(db, principal, executionId, within);
  await requireProject(db, principal, execution.projectId, 'EDITOR');
  if (execution.status === 'QUEUED') {
    const { count } = await db.execution.updateMany({
      where: { id: executionId, status: 'QUEUED' },
      data: {
        status: 'CANCELLED',
        stopRequest: kind,
        finishedAt: now,
        message: kind === 'STOP' ? 'Stopped before it started' : 'Cancelled',
      },
    });
    if (count === 1) return db.execution.findUniqueOrThrow({ where: { id: executionId } });
  }
  await db.execution.updateMany({
    where: { id: executionId, status: 'RUNNING' },
    data: { stopRequest: kind },
  });
  return db.execution.findUniqueOrThrow({ where: { id: executionId } });
}

/** Deletes a finished or queued execution; a running one must be stopped first (CONFLICT). */
export async function deleteExecution(
  db: Db,
  principal: Principal,
  executionId: number,
  within: { projectId?: number; taskId?: number } = {},
) {
  const execution = await getExecution(db, principal, executionId, within);
  await requireProject(db, principal, execution.projectId, 'ADMIN');
  const { count } = await db.execution.deleteMany({ where: { id: executionId, status: { not: 'RUNNING' } } });
  if (count === 0) throw new DomainError('CONFLICT', 'the execution is running: stop it first');
  return execution;
}

/** One execution of a task with its task and history (MLW's individual task; status polling, see getExecution). */
export async function getExecutionWithHistory(
  db: Db,
  principal: Principal,
  taskId: number,
  executionId: number,
) {
  // Two independent reads: at once (one round trip on PostgreSQL); nothing is returned unless visible.
  const [found, events] = Number.isSafeInteger(executionId)
    ? await Promise.all([readExecutionWithScope(db, executionId), readEpochEvents(db, executionId)])
    : [null, []];
  if (!found || !isVisible(principal, found, { taskId })) {
    throw new DomainError('NOT_FOUND', 'execution not found');
  }
  return { task: found.task, execution: found.execution, history: toHistory(events) };
}
