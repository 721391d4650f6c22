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
import { plain, protectedProcedure, router } from '../trpc';

const project = z.object({ projectId: z.number().int().positive() });
const block = project.extend({ learnId: z.number().int().positive() });

export const learnBlocksRouter = router({
  list: protectedProcedure
    .input(project)
    .query(async ({ ctx, input }) =>
      plain(await listLearnBlocks(ctx.deps.db, ctx.principal, input.projectId)),
    ),
  get: protectedProcedure
    .input(block)
    .query(async ({ ctx, input }) =>
      plain(await getLearnBlock(ctx.deps.db, ctx.principal, input.projectId, input.learnId)),
    ),
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
    .mutation(async ({ ctx, input }) =>
      plain(await setLearnBlocks(ctx.deps.db, ctx.principal, input.projectId, input.blocks)),
    ),
  updateSettings: protectedProcedure
    .input(block.extend({ settings: setKerasParameterRequestSchema }))
    .mutation(async ({ ctx, input }) =>
      plain(
        await updateLearnBlockSettings(
          ctx.deps.db,
          ctx.principal,
          input.projectId,
          input.learnId,
          input.settings,
        ),
      ),
    ),
  train: protectedProcedure
    .input(block.extend({ settings: setKerasParameterRequestSchema.default({}) }))
    .mutation(async ({ ctx, input }) =>
      plain(
        await trainLearnBlock(
          ctx.deps.db,
          ctx.principal,
          input.projectId,
          input.learnId,
          input.settings,
          'trpc',
          kerasTraining(ctx.deps.pretrainedModelsDir),
        ),
      ),
    ),
});
