import { executionMetricsSchema, stageLogSchema, type Db, type Execution } from '@trainhub/db';
import { historyAfter, listEvents } from '../../services/executions';

// What the web UI's run and compare pages read of executions the caller was already allowed to see (each
// function takes an execution read through services/executions.ts getExecution, which checks access).

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/**
 * A run's progress as the run page shows and then polls it: status, timings (ISO text), stage log, metrics,
 * the epochs after `after.epoch` and the LOG/STAGE lines after event `after.seq` (at most 2000), so a poll
 * brings only what is new.
 */
export async function executionProgress(
  db: Db,
  execution: Execution,
  after: { seq?: number; epoch?: number } = {},
) {
  const [history, logs] = await Promise.all([
    historyAfter(db, execution.id, after.epoch ?? 0),
    listEvents(db, execution.id, { afterSeq: after.seq ?? 0, kinds: ['LOG', 'STAGE'], take: 2000 }),
  ]);
  const metrics = executionMetricsSchema.safeParse(execution.metrics);
  const stageLog = stageLogSchema.safeParse(execution.stageLog ?? {});
  return {
    execution: {
      id: execution.id,
      taskId: execution.taskId,
      status: execution.status,
      stage: execution.stage,
      message: execution.message,
      error: execution.error,
      backend: execution.backend,
      attempt: execution.attempt,
      stopRequest: execution.stopRequest,
      modelResourceId: execution.modelResourceId,
      createdAt: execution.createdAt.toISOString(),
      startedAt: iso(execution.startedAt),
      finishedAt: iso(execution.finishedAt),
      dueAt: execution.dueAt.toISOString(),
      stageLog: stageLog.success ? stageLog.data : {},
      metrics: metrics.success ? metrics.data : null,
    },
    history: history.map(({ createdAt: _c, ...row }) => row),
    logs: logs.map((e) => ({
      seq: e.seq,
      kind: e.kind,
      level: e.level,
      message: e.message,
      at: e.createdAt.toISOString(),
    })),
  };
}

const linked = { select: { id: true, name: true, deletedAt: true } } as const;

/**
 * The run page's first read: the progress so far, the training's name and hyperparameters, and the files it
 * used and made (dataset, architecture, preprocessing code, model: id, name, deletedAt; null when none).
 */
export async function runDetails(db: Db, execution: Execution) {
  const [task, progress, model] = await Promise.all([
    db.task.findUniqueOrThrow({
      where: { id: execution.taskId },
      select: { name: true, hyperparameters: true, dataset: linked, architecture: linked, code: linked },
    }),
    executionProgress(db, execution),
    execution.modelResourceId
      ? db.resource.findUnique({ where: { id: execution.modelResourceId }, select: linked.select })
      : null,
  ]);
  return { progress, task, model };
}

/**
 * Runs side by side (the compare page): each run's id, status and metrics, its training's name, source,
 * hyperparameters, dataset and architecture names, and its whole epoch history, in the order given.
 */
export async function compareRuns(db: Db, executions: Execution[]) {
  const [tasks, histories] = await Promise.all([
    db.task.findMany({
      where: { id: { in: executions.map((e) => e.taskId) } },
      select: {
        id: true,
        name: true,
        source: true,
        hyperparameters: true,
        dataset: { select: { name: true } },
        architecture: { select: { name: true } },
      },
    }),
    Promise.all(executions.map((e) => historyAfter(db, e.id, 0))),
  ]);
  return executions.map((e, i) => ({
    id: e.id,
    status: e.status,
    metrics: executionMetricsSchema.safeParse(e.metrics).data ?? null,
    task: tasks.find((t) => t.id === e.taskId) ?? null,
    history: histories[i]!.map((h) => ({ epoch: h.epoch, loss: h.loss, metrics: h.metrics })),
  }));
}
