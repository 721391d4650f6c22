import { z } from 'zod';
import {
  getExecution,
  isTerminal,
  listEvents,
  listExecutionsWithHistory,
  requestStop,
} from '../../services/executions';
import { requireProject } from '../../services/access';
import { DomainError } from '../../services/errors';
import { protectedProcedure, router } from '../trpc';
import { compareRuns, executionProgress, runDetails } from './execution-views';

const executionId = z.object({ executionId: z.number().int().positive() });
/** A run read within a project: another project's run is NOT_FOUND, as one the caller cannot see. */
const inProject = executionId.extend({ projectId: z.number().int().positive() });
/** The most runs the compare page lays side by side. */
export const MAX_COMPARED_RUNS = 8;

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
  /**
   * A run's progress for the run page's poll: status, timings, stage log, metrics, the epochs after
   * `afterEpoch` and the log lines after event `afterSeq` (see execution-views.ts executionProgress).
   */
  progress: protectedProcedure
    .input(
      inProject.extend({
        afterSeq: z.number().int().min(0).default(0),
        afterEpoch: z.number().int().min(0).default(0),
      }),
    )
    .query(async ({ ctx, input }) => {
      const execution = await getExecution(ctx.deps.db, ctx.principal, input.executionId, {
        projectId: input.projectId,
      });
      return executionProgress(ctx.deps.db, execution, { seq: input.afterSeq, epoch: input.afterEpoch });
    }),
  /** The run page: progress so far, the training's name and hyperparameters, the files it used and made. */
  details: protectedProcedure.input(inProject).query(async ({ ctx, input }) => {
    const execution = await getExecution(ctx.deps.db, ctx.principal, input.executionId, {
      projectId: input.projectId,
    });
    return runDetails(ctx.deps.db, execution);
  }),
  /**
   * Up to MAX_COMPARED_RUNS runs of a project side by side, in the order asked (repeats once). A run of
   * another project, or one the caller cannot see, is left out rather than refused (the ids come from a URL).
   */
  compare: protectedProcedure
    .input(
      z.object({
        projectId: z.number().int().positive(),
        executionIds: z.array(z.number().int().positive()).max(MAX_COMPARED_RUNS),
      }),
    )
    .query(async ({ ctx, input }) => {
      // The project itself is refused as every project read is (NOT_FOUND for one the caller cannot see).
      await requireProject(ctx.deps.db, ctx.principal, input.projectId, 'VIEWER');
      const ids = [...new Set(input.executionIds)];
      const found = await Promise.all(
        ids.map((id) =>
          getExecution(ctx.deps.db, ctx.principal, id, { projectId: input.projectId }).catch(
            (error: unknown) => {
              if (error instanceof DomainError && error.code === 'NOT_FOUND') return null;
              throw error;
            },
          ),
        ),
      );
      return compareRuns(
        ctx.deps.db,
        found.filter((e) => e !== null),
      );
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
