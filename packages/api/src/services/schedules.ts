import { cronError, nextCronRun as nextScheduledRun, type Db } from '@trainhub/db';
import type { Principal } from '../auth/principal';
import { requireProject } from './access';
import { DomainError } from './errors';

/**
 * The next run of a cron expression strictly after `after`, in `timezone` (parsed by packages/db's schedule
 * module, the one the trainer materializes runs with). An invalid expression or timezone is INVALID.
 */
export function nextCronRun(expression: string, after: Date, timezone = 'UTC'): Date {
  const problem = cronError(expression, timezone);
  if (problem)
    throw new DomainError('INVALID', `invalid cron expression ${JSON.stringify(expression)}: ${problem}`);
  const next = nextScheduledRun(expression, timezone, after);
  if (!next) throw new DomainError('INVALID', `the cron expression ${JSON.stringify(expression)} never runs`);
  return next;
}

/** Turns a task's schedule on or off; turning it on recomputes nextRunAt from now. */
export async function setScheduleEnabled(
  db: Db,
  principal: Principal,
  taskId: number,
  enabled: boolean,
  now = new Date(),
) {
  const task = await db.task.findFirst({ where: { id: taskId, deletedAt: null } });
  if (!task) throw new DomainError('NOT_FOUND', 'task not found');
  await requireProject(db, principal, task.projectId, 'EDITOR');
  if (task.scheduleKind !== 'CRON' || !task.cronExpression)
    throw new DomainError('INVALID', 'the task has no cron schedule');
  return db.task.update({
    where: { id: taskId },
    data: {
      scheduleEnabled: enabled,
      nextRunAt: enabled ? nextCronRun(task.cronExpression, now, task.timezone) : null,
    },
  });
}

/** Cron tasks of the projects a principal sees, with their next run. */
export async function listSchedules(db: Db, principal: Principal, projectId: number) {
  await requireProject(db, principal, projectId, 'VIEWER');
  return db.task.findMany({
    where: { projectId, deletedAt: null, scheduleKind: 'CRON' },
    orderBy: { id: 'desc' },
  });
}
