import Link from 'next/link';
import { ExecutionStatus } from '@trainhub/db';
import { executionMetricsSchema, hyperparametersSchema } from '@trainhub/db/contracts';
import { StatusBadge } from '@/components/ui/badge';
import { Button } from '@/components/ui/button';
import { Input, NativeSelect } from '@/components/ui/input';
import { EmptyState, PageHeader, Table, Td, Th } from '@/components/ui/misc';
import { can, formatDate, formatDuration } from '@/lib/utils';
import { projectContext } from '@/server/request-context';
import { api } from '@/trpc/server';

const STATUSES: string[] = Object.values(ExecutionStatus);
const PAGE = 20;
const SOURCES = ['web', 'mlw', 'edge-impulse', 'training-module', 'trpc'];
/** Sort keys of the run list: newest first by default; metrics best first, runs without the metric last. */
const SORTS: Record<string, string> = {
  newest: 'Newest',
  accuracy: 'Accuracy (best first)',
  loss: 'Loss (lowest first)',
  duration: 'Duration (longest first)',
};

export default async function TasksPage({
  params,
  searchParams,
}: {
  params: Promise<{ id: string }>;
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const { project, role } = await projectContext((await params).id);
  const sp = await searchParams;
  const status = typeof sp.status === 'string' && STATUSES.includes(sp.status) ? sp.status : '';
  const q = typeof sp.q === 'string' ? sp.q.trim().slice(0, 100) : '';
  const source = typeof sp.source === 'string' ? sp.source.slice(0, 40) : '';
  const sort = typeof sp.sort === 'string' && sp.sort in SORTS ? sp.sort : 'newest';
  const page = Math.max(1, Number(typeof sp.page === 'string' ? sp.page : '1') || 1);
  // `?task=N`: one training's page, its runs only (linked from a run page and the schedules).
  const taskId = typeof sp.task === 'string' && /^\d{1,12}$/.test(sp.task) ? Number(sp.task) : null;
  const tasks = (
    await (await api()).tasks.list({ projectId: project.id, take: 1000, runsPerTask: 1000 })
  ).filter((t) => taskId === null || t.id === taskId);
  const onlyTask = taskId !== null ? tasks[0] : undefined;
  const value = (r: { metrics: { accuracy?: number; loss?: number } | null; duration: number | null }) =>
    sort === 'accuracy'
      ? -(r.metrics?.accuracy ?? -Infinity)
      : sort === 'loss'
        ? (r.metrics?.loss ?? Infinity)
        : sort === 'duration'
          ? -(r.duration ?? -Infinity)
          : 0;
  const rows = tasks
    .flatMap((task) =>
      task.executions.map((execution) => ({
        task,
        execution,
        metrics: executionMetricsSchema.safeParse(execution.metrics).data ?? null,
        epochs: hyperparametersSchema.safeParse(task.hyperparameters).data?.epochs,
        duration: execution.startedAt
          ? (execution.finishedAt ?? new Date()).getTime() - execution.startedAt.getTime()
          : null,
      })),
    )
    .filter((r) => !status || r.execution.status === status)
    .filter((r) => !source || r.task.source === source)
    .filter((r) => !q || r.task.name.toLowerCase().includes(q.toLowerCase()))
    .sort((a, b) => value(a) - value(b) || b.execution.id - a.execution.id);
  const pages = Math.max(1, Math.ceil(rows.length / PAGE));
  const shown = rows.slice((page - 1) * PAGE, page * PAGE);
  const link = (p: number) =>
    `?${new URLSearchParams({
      ...(status ? { status } : {}),
      ...(source ? { source } : {}),
      ...(q ? { q } : {}),
      ...(sort !== 'newest' ? { sort } : {}),
      ...(taskId !== null ? { task: String(taskId) } : {}),
      page: String(p),
    }).toString()}`;
  return (
    <>
      <PageHeader
        title={onlyTask ? `Runs of ${onlyTask.name}` : 'Trainings'}
        description={
          onlyTask
            ? 'Every run of this training; tick runs to compare them.'
            : 'Every run of every training in this project, from the UI and all API styles.'
        }
        actions={
          can(role, 'EDITOR') ? (
            <Button asChild>
              <Link href={`/projects/${project.id}/train`}>New training</Link>
            </Button>
          ) : null
        }
      />
      <form className="mb-4 flex flex-wrap items-end gap-2" aria-label="Filter trainings">
        {taskId !== null ? <input type="hidden" name="task" value={taskId} /> : null}
        <label className="flex flex-col gap-1 text-sm">
          Status
          <NativeSelect name="status" defaultValue={status} className="w-40">
            <option value="">Any</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {s.charAt(0) + s.slice(1).toLowerCase()}
              </option>
            ))}
          </NativeSelect>
        </label>
        <label className="flex flex-col gap-1 text-sm">
          Source
          <NativeSelect name="source" defaultValue={source} className="w-40">
            <option value="">Any</option>
            {SOURCES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </NativeSelect>
        </label>
        <label className="flex flex-col gap-1 text-sm">
          Sort
          <NativeSelect name="sort" defaultValue={sort} className="w-48">
            {Object.entries(SORTS).map(([key, label]) => (
              <option key={key} value={key}>
                {label}
              </option>
            ))}
          </NativeSelect>
        </label>
        <label className="flex flex-col gap-1 text-sm">
          Name
          <Input name="q" defaultValue={q} placeholder="Search" className="w-48" />
        </label>
        <Button type="submit" variant="outline">
          Filter
        </Button>
      </form>
      {shown.length === 0 ? (
        <EmptyState
          title={rows.length === 0 && !status && !q ? 'No trainings yet' : 'Nothing matches'}
          testId="tasks-empty"
        >
          {can(role, 'EDITOR')
            ? 'Start one from the Train tab.'
            : 'Trainings started by your team show up here.'}
        </EmptyState>
      ) : (
        <form action={`/projects/${project.id}/compare`} method="get" aria-label="Compare runs">
          <div className="mb-2 flex items-center gap-2 text-sm text-slate-500">
            <Button type="submit" variant="outline" size="sm" data-testid="compare-selected">
              Compare selected
            </Button>
            Tick two or more runs.
            {taskId !== null && shown.length > 1 ? (
              <Link
                className="text-indigo-600 hover:underline dark:text-indigo-400"
                data-testid="compare-task-runs"
                href={`/projects/${project.id}/compare?${new URLSearchParams(
                  shown.slice(0, 8).map((r) => ['runs', String(r.execution.id)]),
                ).toString()}`}
              >
                Compare the {Math.min(shown.length, 8)} newest shown
              </Link>
            ) : null}
            {taskId !== null ? (
              <Link className="hover:underline" href={`/projects/${project.id}/tasks`}>
                All trainings
              </Link>
            ) : null}
          </div>
          <Table data-testid="tasks-table">
            <thead>
              <tr>
                <Th>
                  <span className="sr-only">Select</span>
                </Th>
                <Th>Run</Th>
                <Th>Training</Th>
                <Th>Status</Th>
                <Th className="hidden md:table-cell">Source</Th>
                <Th className="hidden sm:table-cell">Created</Th>
                <Th className="hidden md:table-cell">Duration</Th>
                <Th className="hidden sm:table-cell">Epochs</Th>
                <Th>Accuracy</Th>
                <Th className="hidden sm:table-cell">Loss</Th>
              </tr>
            </thead>
            <tbody>
              {shown.map(({ task, execution, metrics, epochs, duration }) => (
                <tr key={execution.id}>
                  <Td>
                    <input
                      type="checkbox"
                      name="runs"
                      value={execution.id}
                      aria-label={`Select run ${execution.id} to compare`}
                    />
                  </Td>
                  <Td>
                    <Link
                      className="font-medium text-indigo-600 hover:underline dark:text-indigo-400"
                      href={`/projects/${project.id}/executions/${execution.id}`}
                    >
                      #{execution.id}
                    </Link>
                  </Td>
                  <Td className="max-w-[12rem] truncate">
                    <Link className="hover:underline" href={`/projects/${project.id}/tasks?task=${task.id}`}>
                      {task.name}
                    </Link>
                  </Td>
                  <Td>
                    <StatusBadge status={execution.status} />
                  </Td>
                  <Td className="hidden text-slate-500 md:table-cell">{task.source}</Td>
                  <Td className="hidden text-slate-500 sm:table-cell">{formatDate(execution.createdAt)}</Td>
                  <Td className="hidden text-slate-500 md:table-cell">
                    {duration !== null ? formatDuration(duration) : '—'}
                  </Td>
                  <Td className="hidden text-slate-500 sm:table-cell">{epochs ?? '—'}</Td>
                  <Td data-testid="run-accuracy">
                    {metrics?.accuracy !== undefined ? `${(metrics.accuracy * 100).toFixed(1)}%` : '—'}
                  </Td>
                  <Td className="hidden text-slate-500 sm:table-cell">
                    {metrics?.loss !== undefined ? Number(metrics.loss.toPrecision(4)) : '—'}
                  </Td>
                </tr>
              ))}
            </tbody>
          </Table>
        </form>
      )}
      {pages > 1 ? (
        <nav aria-label="Pages" className="mt-4 flex items-center gap-2 text-sm">
          {page > 1 ? (
            <Button asChild variant="outline" size="sm">
              <Link href={link(page - 1)}>Previous</Link>
            </Button>
          ) : null}
          <span>
            Page {page} of {pages}
          </span>
          {page < pages ? (
            <Button asChild variant="outline" size="sm">
              <Link href={link(page + 1)}>Next</Link>
            </Button>
          ) : null}
        </nav>
      ) : null}
    </>
  );
}
