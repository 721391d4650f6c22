import { z } from 'zod';
import { listSchedules, nextCronRun, setScheduleEnabled } from '../../services/schedules';
import { protectedProcedure, publicProcedure, router } from '../trpc';

export const schedulesRouter = router({
  list: protectedProcedure
    .input(z.object({ projectId: z.number().int().positive() }))
    .query(({ ctx, input }) => listSchedules(ctx.deps.db, ctx.principal, input.projectId)),
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
});
