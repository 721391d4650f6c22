import { hyperparametersSchema, problemTypeSchema } from '@trainhub/db';
import { z } from 'zod';
import {
  LIST_RUNS_PER_TASK,
  TASK_PAGE,
  TASK_RUNS,
  deleteTask,
  getTaskWithHistory,
  listTasks,
  rerunTask,
} from '../../services/tasks';
import { trainFromArchitecture } from '../../services/trainings';
import { protectedProcedure, router } from '../trpc';

const taskId = z.object({ taskId: z.number().int().positive() });

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
  /** Train the network of an architecture resource on a dataset resource (once, or on a cron schedule). */
  train: protectedProcedure
    .input(
      z.object({
        projectId: z.number().int().positive(),
        architectureResourceId: z.number().int().positive(),
        datasetResourceId: z.number().int().positive(),
        codeResourceId: z.number().int().positive().nullish(),
        problemType: problemTypeSchema,
        modelName: z.string().trim().min(1).max(200),
        hyperparameters: hyperparametersSchema,
        cronExpression: z.string().min(1).max(200).optional(),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const { cronExpression, ...rest } = input;
      return await trainFromArchitecture(ctx.deps, ctx.principal, {
        ...rest,
        source: 'trpc',
        schedule: cronExpression ? { kind: 'CRON', cronExpression } : { kind: 'ONE_TIME' },
      });
    }),
  rerun: protectedProcedure
    .input(taskId)
    .mutation(({ ctx, input }) => rerunTask(ctx.deps.db, ctx.principal, input.taskId)),
  delete: protectedProcedure
    .input(taskId)
    .mutation(({ ctx, input }) => deleteTask(ctx.deps.db, ctx.principal, input.taskId)),
});
