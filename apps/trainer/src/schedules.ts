import { nextCronRun, Prisma, type Db } from '@trainhub/db';
import type { Logger } from 'pino';

/**
 * Turns due cron ticks into executions, exactly once however many trainers run: each occurrence is a row
 * unique on (task, scheduled time), written in the same transaction as its execution and the task's next run.
 *
 * Missed-tick policy: after downtime, the ticks missed while nobody was running collapse into ONE
 * execution (for the first missed time); the next run is then computed from now, not replayed tick by tick.
 */
export async function materializeDueSchedules(db: Db, log: Logger, now = new Date()): Promise<number> {
  const due = await db.task.findMany({
    where: { scheduleKind: 'CRON', scheduleEnabled: true, deletedAt: null, nextRunAt: { lte: now } },
    select: { id: true, projectId: true, cronExpression: true, timezone: true, nextRunAt: true },
    orderBy: { nextRunAt: 'asc' },
    take: 100,
  });
  let created = 0;
  for (const task of due) {
    const scheduledFor = task.nextRunAt!;
    let next: Date | null = null;
    try {
      next = task.cronExpression ? nextCronRun(task.cronExpression, task.timezone, now) : null;
    } catch (error) {
      log.warn({ task: task.id, err: error }, 'bad cron expression; disabling the schedule');
    }
    try {
      await db.$transaction(async (tx) => {
        // Conditional on the nextRunAt we read: if another trainer advanced it, this throws and rolls back.
        await tx.task.update({
          where: { id: task.id, nextRunAt: scheduledFor },
          data: { nextRunAt: next, ...(next ? {} : { scheduleEnabled: false }) },
        });
        const occurrence = await tx.scheduleOccurrence.create({ data: { taskId: task.id, scheduledFor } });
        const execution = await tx.execution.create({
          data: {
            taskId: task.id,
            projectId: task.projectId,
            dueAt: now,
            scheduledFor,
            message: 'Scheduled run',
          },
        });
        await tx.scheduleOccurrence.update({
          where: { id: occurrence.id },
          data: { executionId: execution.id },
        });
      });
      created++;
    } catch (error) {
      if (isLostRace(error)) continue;
      throw error;
    }
  }
  return created;
}

/** Another trainer materialized this tick first: the unique occurrence or the conditional update refused. */
function isLostRace(error: unknown): boolean {
  return (
    error instanceof Prisma.PrismaClientKnownRequestError &&
    (error.code === 'P2002' || error.code === 'P2025')
  );
}
