import Link from 'next/link';
import { hyperparametersSchema } from '@trainhub/db/contracts';
import { ExecutionView } from '@/components/train/execution-view';
import { Card, CardContent, CardHeader, CardTitle } from '@/components/ui/card';
import { hyperparameterRows } from '@/lib/run-details';
import { can } from '@/lib/utils';
import { parseId, projectContext } from '@/server/request-context';
import { api, orNotFound } from '@/trpc/server';

export default async function ExecutionPage({ params }: { params: Promise<{ id: string; eid: string }> }) {
  const p = await params;
  const { project, role } = await projectContext(p.id);
  const trpc = await api();
  const {
    progress: initial,
    task,
    model,
  } = await orNotFound(trpc.executions.details({ projectId: project.id, executionId: parseId(p.eid) }));
  const execution = initial.execution;
  const hyperparameters = hyperparameterRows(task.hyperparameters);
  const totalEpochs = hyperparametersSchema.safeParse(task.hyperparameters).data?.epochs;
  const links = (
    [
      ['Dataset', task.dataset, `/projects/${project.id}/resources/`],
      ['Architecture', task.architecture, `/projects/${project.id}/resources/`],
      ['Preprocessing file', task.code, `/projects/${project.id}/resources/`],
      ['Model', model, `/projects/${project.id}/models/`],
    ] as const
  ).filter(([, r]) => r);
  const canWrite = can(role, 'EDITOR');
  return (
    <div className="flex flex-col gap-6">
      <ExecutionView
        projectId={project.id}
        taskName={task.name}
        canWrite={canWrite}
        initial={initial}
        totalEpochs={totalEpochs}
        rerunHref={`/projects/${project.id}/train?from=${execution.taskId}`}
      />
      <div className="grid gap-4 lg:grid-cols-2">
        <Card data-testid="run-hyperparameters">
          <CardHeader>
            <CardTitle className="text-base">Hyperparameters</CardTitle>
          </CardHeader>
          <CardContent>
            {hyperparameters.length ? (
              <dl className="grid grid-cols-[max-content_1fr] gap-x-6 gap-y-1 text-sm">
                {hyperparameters.map(([label, value]) => (
                  <div key={label} className="contents">
                    <dt className="text-slate-500">{label}</dt>
                    <dd className="font-medium break-all" data-testid={`hp-${label}`}>
                      {value}
                    </dd>
                  </div>
                ))}
              </dl>
            ) : (
              <p className="text-sm text-slate-500">Not recorded for this run.</p>
            )}
          </CardContent>
        </Card>
        <Card data-testid="run-links">
          <CardHeader>
            <CardTitle className="text-base">Inputs and output</CardTitle>
          </CardHeader>
          <CardContent>
            {links.length ? (
              <dl className="grid grid-cols-[max-content_1fr] gap-x-6 gap-y-1 text-sm">
                {links.map(([label, r, base]) => (
                  <div key={label} className="contents">
                    <dt className="text-slate-500">{label}</dt>
                    <dd className="break-all">
                      {r!.deletedAt ? (
                        <span className="text-slate-500">{r!.name} (deleted)</span>
                      ) : (
                        <Link
                          className="text-indigo-700 underline dark:text-indigo-300"
                          href={`${base}${r!.id}`}
                        >
                          {r!.name}
                        </Link>
                      )}
                    </dd>
                  </div>
                ))}
              </dl>
            ) : (
              <p className="text-sm text-slate-500">No linked files.</p>
            )}
          </CardContent>
        </Card>
      </div>
      <p className="text-sm">
        <Link
          className="text-indigo-700 underline dark:text-indigo-300"
          data-testid="task-runs"
          href={`/projects/${project.id}/tasks?task=${execution.taskId}`}
        >
          Every run of {task.name}
        </Link>{' '}
        <span className="text-slate-500">(pick runs there to compare them)</span>
      </p>
    </div>
  );
}
