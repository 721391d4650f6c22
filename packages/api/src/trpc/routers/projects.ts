import { z } from 'zod';
import {
  createProject,
  deleteProject,
  getProject,
  listProjects,
  updateProject,
} from '../../services/projects';
import { protectedProcedure, router } from '../trpc';

const id = z.object({ projectId: z.number().int().positive() });

export const projectsRouter = router({
  list: protectedProcedure.query(({ ctx }) => listProjects(ctx.deps.db, ctx.principal)),
  get: protectedProcedure
    .input(id)
    .query(({ ctx, input }) => getProject(ctx.deps.db, ctx.principal, input.projectId)),
  create: protectedProcedure
    .input(
      z.object({
        name: z.string().trim().min(1).max(200),
        description: z.string().max(2000).nullish(),
        teamId: z.number().int().positive().optional(),
      }),
    )
    .mutation(({ ctx, input }) => createProject(ctx.deps.db, ctx.principal, input)),
  update: protectedProcedure
    .input(
      id.extend({
        name: z.string().trim().min(1).max(200).optional(),
        description: z.string().max(2000).nullish(),
      }),
    )
    .mutation(({ ctx, input }) => updateProject(ctx.deps.db, ctx.principal, input.projectId, input)),
  delete: protectedProcedure
    .input(id)
    .mutation(({ ctx, input }) => deleteProject(ctx.deps.db, ctx.principal, input.projectId)),
});
