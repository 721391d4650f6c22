import Link from 'next/link';
import { RunComparison, type ComparedRun } from '@/components/train/run-comparison';
import { Button } from '@/components/ui/button';
import { EmptyState, PageHeader } from '@/components/ui/misc';
import { hyperparameterRows } from '@/lib/run-details';
import { projectContext } from '@/server/request-context';
import { api } from '@/trpc/server';

/** As many as executions.compare takes (MAX_COMPARED_RUNS). */
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
  const { project } = await projectContext((await params).id);
  const ids = runIds((await searchParams).runs);
  // A run of another project, or one the caller cannot see, is left out.
  const compared = await (await api()).executions.compare({ projectId: project.id, executionIds: ids });
  const runs: ComparedRun[] = compared.map((e) => {
    const { task, metrics } = e;
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
      history: e.history,
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
