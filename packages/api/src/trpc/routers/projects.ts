import { z } from 'zod';
import {
  createProject,
  deleteProject,
  getProject,
  listProjects,
  updateProject,
} from '../../services/projects';
import { protectedProcedure, router } from '../trpc';
import { createProjectInput, updateProjectInput } from './inputs';

const id = z.object({ projectId: z.number().int().positive() });

export const projectsRouter = router({
  list: protectedProcedure.query(({ ctx }) => listProjects(ctx.deps.db, ctx.principal)),
  get: protectedProcedure
    .input(id)
    .query(({ ctx, input }) => getProject(ctx.deps.db, ctx.principal, input.projectId)),
  create: protectedProcedure
    .input(createProjectInput)
    .mutation(({ ctx, input }) => createProject(ctx.deps.db, ctx.principal, input)),
  update: protectedProcedure
    .input(updateProjectInput)
    .mutation(({ ctx, input }) => updateProject(ctx.deps.db, ctx.principal, input.projectId, input)),
  delete: protectedProcedure
    .input(id)
    .mutation(({ ctx, input }) => deleteProject(ctx.deps.db, ctx.principal, input.projectId)),
});
