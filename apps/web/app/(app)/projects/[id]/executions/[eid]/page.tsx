import { services } from '@trainhub/api';
import { executionMetricsSchema, stageLogSchema } from '@trainhub/db';
import { ExecutionView } from '@/components/train/execution-view';
import { can } from '@/lib/utils';
import { getDb } from '@/server/db';
import { orNotFound, parseId, projectContext } from '@/server/session';

export default async function ExecutionPage({ params }: { params: Promise<{ id: string; eid: string }> }) {
  const p = await params;
  const { principal, project, role } = await projectContext(p.id);
  const db = getDb();
  const execution = await orNotFound(
    services.getExecution(db, principal, parseId(p.eid), { projectId: project.id }),
  );
  const [task, history, logs] = await Promise.all([
    db.task.findUniqueOrThrow({ where: { id: execution.taskId }, select: { name: true } }),
    services.historyOf(db, [execution.id]),
    services.listEvents(db, execution.id, { kinds: ['LOG', 'STAGE'], take: 2000 }),
  ]);
  const metrics = executionMetricsSchema.safeParse(execution.metrics);
  const stageLog = stageLogSchema.safeParse(execution.stageLog ?? {});
  const iso = (d: Date | null) => (d ? d.toISOString() : null);
  return (
    <ExecutionView
      projectId={project.id}
      taskName={task.name}
      canWrite={can(role, 'EDITOR')}
      initial={{
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
        history: (history.get(execution.id) ?? []).map(({ epoch, loss, metrics: m, durationMs }) => ({
          epoch,
          loss,
          metrics: m,
          durationMs,
        })),
        logs: logs.map((e) => ({
          seq: e.seq,
          kind: e.kind,
          level: e.level,
          message: e.message,
          at: e.createdAt.toISOString(),
        })),
      }}
    />
  );
}
