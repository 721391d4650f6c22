import Link from 'next/link';
import { getExecution, historyAfter } from '@trainhub/api/services/executions';
import { executionMetricsSchema } from '@trainhub/db/contracts';
import { RunComparison, type ComparedRun } from '@/components/train/run-comparison';
import { Button } from '@/components/ui/button';
import { EmptyState, PageHeader } from '@/components/ui/misc';
import { hyperparameterRows } from '@/lib/run-details';
import { getDb } from '@/server/deps';
import { projectContext } from '@/server/request-context';

const MAX_RUNS = 8;

/** The run ids of `?runs=1&runs=2` or `?runs=1,2`: whole numbers, at most MAX_RUNS, no repeats. */
function runIds(raw: string | string[] | undefined): number[] {
  const parts = (Array.isArray(raw) ? raw : raw ? [raw] : []).flatMap((p) => p.split(','));
  return [...new Set(parts.filter((p) => /^\d{1,12}$/.test(p.trim())).map((p) => Number(p.trim())))].slice(
    0,
    MAX_RUNS,
  );
}

export default async function ComparePage({
  params,
  searchParams,
}: {
  params: Promise<{ id: string }>;
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const { principal, project } = await projectContext((await params).id);
  const ids = runIds((await searchParams).runs);
  const db = getDb();
  // Each run is read through the services (a run of another project, or one the caller cannot see, is left out).
  const executions = (
    await Promise.all(
      ids.map((id) => getExecution(db, principal, id, { projectId: project.id }).catch(() => null)),
    )
  ).filter((e) => e !== null);
  const tasks = await db.task.findMany({
    where: { id: { in: executions.map((e) => e.taskId) } },
    select: {
      id: true,
      name: true,
      source: true,
      hyperparameters: true,
      dataset: { select: { name: true } },
      architecture: { select: { name: true } },
    },
  });
  const histories = await Promise.all(executions.map((e) => historyAfter(db, e.id, 0)));
  const runs: ComparedRun[] = executions.map((e, i) => {
    const task = tasks.find((t) => t.id === e.taskId);
    const metrics = executionMetricsSchema.safeParse(e.metrics).data;
    const final: Record<string, number> = {};
    for (const key of ['accuracy', 'loss', 'mse', 'mae', 'r2'] as const)
      if (metrics?.[key] !== undefined) final[key] = metrics[key];
    return {
      id: e.id,
      name: task?.name ?? `run ${e.id}`,
      status: e.status,
      settings: {
        ...Object.fromEntries(hyperparameterRows(task?.hyperparameters)),
        Dataset: task?.dataset?.name ?? '—',
        Architecture: task?.architecture?.name ?? 'dense layers',
        Source: task?.source ?? '—',
        Status: e.status,
      },
      final,
      history: histories[i]!.map((h) => ({ epoch: h.epoch, loss: h.loss, metrics: h.metrics })),
      confusionMatrix: metrics?.confusionMatrix,
      classNames: metrics?.classNames,
    };
  });
  return (
    <>
      <PageHeader
        title="Compare runs"
        description="Loss and metric curves overlaid, the settings that differ highlighted, the best final value of each metric marked."
      />
      {runs.length < 2 ? (
        <EmptyState
          title="Pick two or more runs"
          action={
            <Button asChild>
              <Link href={`/projects/${project.id}/tasks`}>Choose runs</Link>
            </Button>
          }
        >
          Tick the runs to compare in the Trainings list, then press Compare selected.
        </EmptyState>
      ) : (
        <RunComparison runs={runs} />
      )}
    </>
  );
}
