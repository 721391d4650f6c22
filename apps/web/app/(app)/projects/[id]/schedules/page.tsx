import Link from 'next/link';
import { DeleteTaskButton } from '@/components/project/forms';
import { ScheduleToggle } from '@/components/train/schedule-toggle';
import { StatusBadge } from '@/components/ui/badge';
import { Button } from '@/components/ui/button';
import { EmptyState, PageHeader, Table, Td, Th } from '@/components/ui/misc';
import { can, formatDateTime } from '@/lib/utils';
import { projectContext } from '@/server/request-context';
import { api } from '@/trpc/server';

export default async function SchedulesPage({ params }: { params: Promise<{ id: string }> }) {
  const { project, role } = await projectContext((await params).id);
  const schedules = await (await api()).schedules.overview({ projectId: project.id });
  const canWrite = can(role, 'EDITOR');
  return (
    <>
      <PageHeader
        title="Schedules"
        description="Trainings that run on a cron schedule. Each tick becomes one run, however many trainers are up."
        actions={
          canWrite ? (
            <Button asChild>
              <Link href={`/projects/${project.id}/train`}>New schedule</Link>
            </Button>
          ) : null
        }
      />
      {schedules.length === 0 ? (
        <EmptyState title="No schedules" testId="schedules-empty">
          {canWrite
            ? 'On the Train tab, choose “Repeatedly (cron)” to train on a schedule.'
            : 'Nobody has scheduled a training yet.'}
        </EmptyState>
      ) : (
        <Table data-testid="schedules-table">
          <thead>
            <tr>
              <Th>Training</Th>
              <Th>Cron</Th>
              <Th>Next run</Th>
              <Th>Last result</Th>
              <Th>Runs</Th>
              <Th>Enabled</Th>
              {can(role, 'ADMIN') ? (
                <Th>
                  <span className="sr-only">Delete</span>
                </Th>
              ) : null}
            </tr>
          </thead>
          <tbody>
            {schedules.map(({ schedule: s, lastRun, runCount, upcoming }) => {
              return (
                <tr key={s.id} data-testid="schedule-row">
                  <Td className="font-medium">{s.name}</Td>
                  <Td>
                    <code>{s.cronExpression}</code>
                    <div className="text-xs text-slate-500">{s.timezone}</div>
                  </Td>
                  <Td className="text-sm">
                    {s.scheduleEnabled && s.nextRunAt ? (
                      <>
                        <span data-testid="next-run">{formatDateTime(s.nextRunAt)}</span>
                        <div className="text-xs text-slate-500">
                          then{' '}
                          {upcoming
                            .slice(1)
                            .map((d) => formatDateTime(d))
                            .join(', ')}
                        </div>
                      </>
                    ) : (
                      'paused'
                    )}
                  </Td>
                  <Td>
                    {lastRun ? (
                      <Link
                        href={`/projects/${project.id}/executions/${lastRun.id}`}
                        className="inline-flex items-center gap-2"
                        data-testid="last-run"
                      >
                        <StatusBadge status={lastRun.status} />
                        <span className="text-xs text-slate-500">#{lastRun.id}</span>
                      </Link>
                    ) : (
                      <span className="text-sm text-slate-500">not run yet</span>
                    )}
                  </Td>
                  <Td data-testid="run-count">
                    {runCount ? (
                      <Link
                        className="text-indigo-600 hover:underline dark:text-indigo-400"
                        href={`/projects/${project.id}/tasks?task=${s.id}`}
                        aria-label={`${runCount} runs of ${s.name}: list and compare`}
                      >
                        {runCount}
                      </Link>
                    ) : (
                      runCount
                    )}
                  </Td>
                  <Td>
                    <ScheduleToggle
                      taskId={s.id}
                      enabled={s.scheduleEnabled}
                      disabled={!canWrite}
                      label={s.name}
                    />
                  </Td>
                  {can(role, 'ADMIN') ? (
                    <Td>
                      <DeleteTaskButton taskId={s.id} name={s.name} />
                    </Td>
                  ) : null}
                </tr>
              );
            })}
          </tbody>
        </Table>
      )}
    </>
  );
}
