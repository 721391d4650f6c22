import { services } from '@trainhub/api';
import { executionMetricsSchema, stageLogSchema } from '@trainhub/db';
import { getDb } from '@/server/db';
import { idParam, withPrincipal } from '@/server/route-util';

export const dynamic = 'force-dynamic';

/**
 * The execution page's poll: status, timings, stage log, metrics, the full epoch history and the stdout
 * lines after `?after=` (an event sequence number).
 */
export async function GET(request: Request, context: { params: Promise<{ id: string }> }) {
  return withPrincipal(async (principal) => {
    const db = getDb();
    const id = idParam((await context.params).id);
    const execution = await services.getExecution(db, principal, id);
    const afterRaw = new URL(request.url).searchParams.get('after');
    const after = afterRaw && /^\d{1,12}$/.test(afterRaw) ? Number(afterRaw) : 0;
    const [history, logs] = await Promise.all([
      services.historyOf(db, [id]),
      services.listEvents(db, id, { afterSeq: after, kinds: ['LOG', 'STAGE'], take: 2000 }),
    ]);
    const metrics = executionMetricsSchema.safeParse(execution.metrics);
    const stageLog = stageLogSchema.safeParse(execution.stageLog ?? {});
    return Response.json(
      {
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
          createdAt: execution.createdAt,
          startedAt: execution.startedAt,
          finishedAt: execution.finishedAt,
          dueAt: execution.dueAt,
          stageLog: stageLog.success ? stageLog.data : {},
          metrics: metrics.success ? metrics.data : null,
        },
        history: (history.get(id) ?? []).map(({ createdAt: _c, ...row }) => row),
        logs: logs.map((e) => ({
          seq: e.seq,
          kind: e.kind,
          level: e.level,
          message: e.message,
          at: e.createdAt,
        })),
      },
      { headers: { 'cache-control': 'no-store' } },
    );
  });
}
