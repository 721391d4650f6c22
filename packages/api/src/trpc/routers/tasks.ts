import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { DomainError } from '../../services/errors';
import { nextCronRun } from '../../services/schedules';
import {
  LIST_RUNS_PER_TASK,
  TASK_PAGE,
  TASK_RUNS,
  createTraining,
  deleteTask,
  getTaskWithHistory,
  listTasks,
  rerunTask,
} from '../../services/tasks';
import { trainFromArchitecture } from '../../services/trainings';
import { protectedProcedure, router } from '../trpc';
import { trainInput } from './inputs';

const taskId = z.object({ taskId: z.number().int().positive() });

/** A refusal of one input field, in the shape of a refused input (the error's `fieldErrors` name it). */
function fieldRefusal(path: string, message: string): TRPCError {
  const cause = Object.assign(new Error(message), { issues: [{ path: [path], message }] });
  return new TRPCError({ code: 'BAD_REQUEST', message, cause });
}

export const tasksRouter = router({
  list: protectedProcedure
    .input(
      z
        .object({
          projectId: z.number().int().positive().optional(),
          take: z.number().int().min(1).max(1000).default(TASK_PAGE),
          skip: z.number().int().min(0).optional(),
          /** Newest runs per task (executions.listForTask pages through all of them). */
          runsPerTask: z.number().int().min(0).max(1000).default(LIST_RUNS_PER_TASK),
        })
        .default({ take: TASK_PAGE, runsPerTask: LIST_RUNS_PER_TASK }),
    )
    .query(({ ctx, input }) => listTasks(ctx.deps.db, ctx.principal, input)),
  get: protectedProcedure.input(taskId).query(async ({ ctx, input }) => {
    const { task, history } = await getTaskWithHistory(ctx.deps.db, ctx.principal, input.taskId, {
      runs: TASK_RUNS,
    });
    return { ...task, history: Object.fromEntries(history) };
  }),
  /**
   * Train on a dataset resource the network of an architecture resource, or a list of dense layers; once
   * (now or at `startAt`) or on a cron schedule (see `trainInput`). The web UI's Train form calls it too
   * (its runs are marked `web`, an API caller's `trpc`). A bad cron expression is refused at its field.
   */
  train: protectedProcedure.input(trainInput).mutation(async ({ ctx, input }) => {
    const { cronExpression, timezone, startAt, layers, architectureResourceId, labelColumn, scaling } = input;
    if (cronExpression) {
      try {
        nextCronRun(cronExpression, new Date(), timezone);
      } catch (error) {
        if (error instanceof DomainError) throw fieldRefusal('cronExpression', error.message);
        throw error;
      }
    }
    const schedule = cronExpression
      ? { kind: 'CRON' as const, cronExpression, timezone, startAt }
      : { kind: 'ONE_TIME' as const, startAt };
    const source = ctx.principal.kind === 'user' ? 'web' : 'trpc';
    // Scaling is inline preprocessing: a preprocessing code resource replaces it.
    const extras = {
      ...(labelColumn ? { labelColumns: [labelColumn] } : {}),
      ...(scaling && scaling !== 'none' && !input.codeResourceId ? { preprocessing: { scaling } } : {}),
    };
    if (architectureResourceId !== undefined) {
      return trainFromArchitecture(ctx.deps, ctx.principal, {
        projectId: input.projectId,
        architectureResourceId,
        datasetResourceId: input.datasetResourceId,
        codeResourceId: input.codeResourceId,
        problemType: input.problemType,
        modelName: input.modelName,
        hyperparameters: input.hyperparameters,
        source,
        schedule,
        ...extras,
      });
    }
    return createTraining(ctx.deps.db, ctx.principal, {
      projectId: input.projectId,
      name: input.modelName,
      source,
      definition: {
        version: 1,
        problemType: input.problemType,
        spec: { format: 'trainhub.architecture', version: 1, layers },
        datasetResourceId: input.datasetResourceId,
        modelName: input.modelName,
        ...extras,
      },
      hyperparameters: input.hyperparameters,
      codeResourceId: input.codeResourceId ?? null,
      schedule,
      store: ctx.deps.store,
    });
  }),
  rerun: protectedProcedure
    .input(taskId)
    .mutation(({ ctx, input }) => rerunTask(ctx.deps.db, ctx.principal, input.taskId)),
  delete: protectedProcedure
    .input(taskId)
    .mutation(({ ctx, input }) => deleteTask(ctx.deps.db, ctx.principal, input.taskId)),
});
