import { z } from 'zod';
import {
  getExecution,
  isTerminal,
  listEvents,
  listExecutionsWithHistory,
  requestStop,
} from '../../services/executions';
import { protectedProcedure, router } from '../trpc';

const executionId = z.object({ executionId: z.number().int().positive() });

export const executionsRouter = router({
  get: protectedProcedure
    .input(executionId)
    .query(({ ctx, input }) => getExecution(ctx.deps.db, ctx.principal, input.executionId)),
  listForTask: protectedProcedure
    .input(
      z.object({
        taskId: z.number().int().positive(),
        /** A page of runs, newest first; pass the last id seen as `beforeId` for the next page. */
        take: z.number().int().min(1).max(1000).default(100),
        beforeId: z.number().int().positive().optional(),
      }),
    )
    .query(({ ctx, input }) =>
      listExecutionsWithHistory(ctx.deps.db, ctx.principal, input.taskId, {
        take: input.take,
        ...(input.beforeId !== undefined ? { beforeId: input.beforeId } : {}),
      }),
    ),
  events: protectedProcedure
    .input(executionId.extend({ afterSeq: z.number().int().min(0).optional() }))
    .query(async ({ ctx, input }) => {
      await getExecution(ctx.deps.db, ctx.principal, input.executionId);
      return listEvents(ctx.deps.db, input.executionId, { afterSeq: input.afterSeq });
    }),
  stop: protectedProcedure
    .input(executionId)
    .mutation(({ ctx, input }) => requestStop(ctx.deps.db, ctx.principal, input.executionId, 'STOP')),
  cancel: protectedProcedure
    .input(executionId)
    .mutation(({ ctx, input }) => requestStop(ctx.deps.db, ctx.principal, input.executionId, 'CANCEL')),
  /**
   * Live progress: every new event, then the final execution. Read from the database (polled), so it works
   * whichever web process serves the subscription and whichever trainer runs the execution.
   */
  onProgress: protectedProcedure
    .input(
      executionId.extend({
        afterSeq: z.number().int().min(0).default(0),
        pollMs: z.number().int().min(50).max(10_000).default(500),
      }),
    )
    .subscription(async function* ({ ctx, input, signal }) {
      let afterSeq = input.afterSeq;
      for (;;) {
        const execution = await getExecution(ctx.deps.db, ctx.principal, input.executionId);
        const events = await listEvents(ctx.deps.db, input.executionId, { afterSeq });
        for (const event of events) {
          afterSeq = event.seq;
          yield { type: 'event' as const, event };
        }
        if (isTerminal(execution.status)) {
          yield { type: 'finished' as const, execution };
          return;
        }
        if (signal?.aborted) return;
        await new Promise((resolve) => setTimeout(resolve, input.pollMs));
      }
    }),
});
