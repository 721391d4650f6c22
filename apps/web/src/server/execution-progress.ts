import 'server-only';
import { historyAfter, listEvents } from '@trainhub/api/services/executions';
import { executionMetricsSchema, stageLogSchema, type Execution } from '@trainhub/db';
import { getDb } from './deps';

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/**
 * What the execution page shows and then polls (`/api/ui/executions/:id`): status, timings, stage log,
 * metrics, the epochs after `afterEpoch` and the log lines after `afterSeq` (a poll brings only what is new).
 * `execution` was read through the services, so the caller's access is already checked.
 */
export async function executionProgress(execution: Execution, after: { seq?: number; epoch?: number } = {}) {
  const db = getDb();
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
