import { cronError, nextCronRuns } from '@trainhub/db';
import { z } from 'zod';
import { listSchedules, nextCronRun, setScheduleEnabled } from '../../services/schedules';
import { protectedProcedure, publicProcedure, router } from '../trpc';

/** The next `count` runs of a cron expression, [] when it is paused or has none (or no longer parses). */
function upcomingRuns(expression: string | null, timezone: string, enabled: boolean, count: number): Date[] {
  if (!enabled || !expression) return [];
  try {
    return nextCronRuns(expression, timezone, new Date(), count);
  } catch {
    return [];
  }
}

export const schedulesRouter = router({
  list: protectedProcedure
    .input(z.object({ projectId: z.number().int().positive() }))
    .query(({ ctx, input }) => listSchedules(ctx.deps.db, ctx.principal, input.projectId)),
  /**
   * The Schedules page: each schedule of the project (newest first) with its run count, its newest run
   * (`lastRun`: id and status, null before the first tick) and its next three runs (`upcoming`, [] when
   * paused). Viewers and up, as `list`.
   */
  overview: protectedProcedure
    .input(z.object({ projectId: z.number().int().positive() }))
    .query(async ({ ctx, input }) => {
      const db = ctx.deps.db;
      // listSchedules checks the caller's access to the project; the runs below are of its own tasks.
      const schedules = await listSchedules(db, ctx.principal, input.projectId);
      return Promise.all(
        schedules.map(async (schedule) => {
          const [lastRun, runCount] = await Promise.all([
            db.execution.findFirst({
              where: { taskId: schedule.id },
              orderBy: { id: 'desc' },
              select: { id: true, status: true },
            }),
            db.execution.count({ where: { taskId: schedule.id } }),
          ]);
          const upcoming = upcomingRuns(
            schedule.cronExpression,
            schedule.timezone,
            schedule.scheduleEnabled,
            3,
          );
          return { schedule, lastRun, runCount, upcoming };
        }),
      );
    }),
  setEnabled: protectedProcedure
    .input(z.object({ taskId: z.number().int().positive(), enabled: z.boolean() }))
    .mutation(({ ctx, input }) =>
      setScheduleEnabled(ctx.deps.db, ctx.principal, input.taskId, input.enabled),
    ),
  /** The next run of a cron expression (form validation in the UI). */
  preview: publicProcedure
    .input(z.object({ cronExpression: z.string().min(1).max(200), timezone: z.string().default('UTC') }))
    .query(({ input }) => ({
      nextRunAt: nextCronRun(input.cronExpression, new Date(), input.timezone).toISOString(),
    })),
  /**
   * The Train form's cron preview: the next five runs (Dates) of an expression in an IANA timezone, or why it
   * is not valid (`error`, the words the form shows at the cron field: an empty expression, a bad field, one
   * that never runs). Signed-in callers only; an answer, not a refusal, as the user is still typing.
   */
  nextRuns: protectedProcedure
    .input(z.object({ expression: z.string().max(200), timezone: z.string().max(100).default('UTC') }))
    .query(({ input }): { runs: Date[]; error?: undefined } | { error: string; runs?: undefined } => {
      const timezone = input.timezone || 'UTC';
      if (!input.expression.trim()) return { error: 'write a cron expression' };
      const error = cronError(input.expression, timezone);
      if (error) return { error };
      let runs: Date[];
      try {
        runs = nextCronRuns(input.expression, timezone, new Date(), 5);
      } catch (e) {
        return { error: e instanceof Error ? e.message : 'invalid cron expression' };
      }
      return runs.length ? { runs } : { error: 'this expression never runs' };
    }),
});
