import { z } from 'zod';
import {
  createProject,
  deleteProject,
  getProject,
  listProjects,
  updateProject,
} from '../../services/projects';
import { plain, protectedProcedure, router } from '../trpc';

const id = z.object({ projectId: z.number().int().positive() });

export const projectsRouter = router({
  list: protectedProcedure.query(async ({ ctx }) => plain(await listProjects(ctx.deps.db, ctx.principal))),
  get: protectedProcedure
    .input(id)
    .query(async ({ ctx, input }) => plain(await getProject(ctx.deps.db, ctx.principal, input.projectId))),
  create: protectedProcedure
    .input(
      z.object({
        name: z.string().trim().min(1).max(200),
        description: z.string().max(2000).nullish(),
        teamId: z.number().int().positive().optional(),
      }),
    )
    .mutation(async ({ ctx, input }) => plain(await createProject(ctx.deps.db, ctx.principal, input))),
  update: protectedProcedure
    .input(
      id.extend({
        name: z.string().trim().min(1).max(200).optional(),
        description: z.string().max(2000).nullish(),
      }),
    )
    .mutation(async ({ ctx, input }) =>
      plain(await updateProject(ctx.deps.db, ctx.principal, input.projectId, input)),
    ),
  delete: protectedProcedure
    .input(id)
    .mutation(async ({ ctx, input }) =>
      plain(await deleteProject(ctx.deps.db, ctx.principal, input.projectId)),
    ),
});
