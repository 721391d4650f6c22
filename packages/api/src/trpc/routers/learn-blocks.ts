import { z } from 'zod';
import {
  getLearnBlock,
  listLearnBlocks,
  setLearnBlocks,
  trainLearnBlock,
  updateLearnBlockSettings,
} from '../../services/learn-blocks';
import { kerasTraining } from '../../rest/edge-impulse/routes';
import { setKerasParameterRequestSchema } from '../../rest/edge-impulse/contracts';
import { protectedProcedure, router } from '../trpc';

const project = z.object({ projectId: z.number().int().positive() });
const block = project.extend({ learnId: z.number().int().positive() });

export const learnBlocksRouter = router({
  list: protectedProcedure
    .input(project)
    .query(({ ctx, input }) => listLearnBlocks(ctx.deps.db, ctx.principal, input.projectId)),
  get: protectedProcedure
    .input(block)
    .query(({ ctx, input }) => getLearnBlock(ctx.deps.db, ctx.principal, input.projectId, input.learnId)),
  set: protectedProcedure
    .input(
      project.extend({
        blocks: z
          .array(
            z.object({
              id: z.number().int().positive().optional(),
              type: z.string().optional(),
              name: z.string().min(1),
              title: z.string().min(1),
            }),
          )
          .max(50),
      }),
    )
    .mutation(({ ctx, input }) => setLearnBlocks(ctx.deps.db, ctx.principal, input.projectId, input.blocks)),
  updateSettings: protectedProcedure
    .input(block.extend({ settings: setKerasParameterRequestSchema }))
    .mutation(({ ctx, input }) =>
      updateLearnBlockSettings(ctx.deps.db, ctx.principal, input.projectId, input.learnId, input.settings),
    ),
  train: protectedProcedure
    .input(block.extend({ settings: setKerasParameterRequestSchema.default({}) }))
    .mutation(({ ctx, input }) =>
      trainLearnBlock(
        ctx.deps.db,
        ctx.principal,
        input.projectId,
        input.learnId,
        input.settings,
        'trpc',
        kerasTraining(ctx.deps.pretrainedModelsDir),
      ),
    ),
});
