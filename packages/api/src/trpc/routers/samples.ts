import { z } from 'zod';
import { getSample, listSamples, SAMPLE_CATEGORIES, sampleSummary } from '../../services/samples';
import { protectedProcedure, router } from '../trpc';

const id = z.number().int().positive();
const category = z.enum(SAMPLE_CATEGORIES);

// A project's samples (the time series of the Edge Impulse ingestion service), read as the web UI's Samples
// page shows them; viewers and up, as through the Edge Impulse style's raw-data API.
export const samplesRouter = router({
  /** Counts per label and category (`{ category, label, count }`, sorted by category then label). */
  summary: protectedProcedure
    .input(z.object({ projectId: id }))
    .query(({ ctx, input }) => sampleSummary(ctx.deps.db, ctx.principal, input.projectId)),
  /** The samples of one category, oldest first: a page (`limit`, `offset`) and the `totalCount`. */
  list: protectedProcedure
    .input(
      z.object({
        projectId: id,
        category,
        labels: z.array(z.string().max(200)).max(100).optional(),
        limit: z.number().int().min(1).max(10_000).default(1000),
        offset: z.number().int().min(0).default(0),
      }),
    )
    .query(({ ctx, input }) => {
      const { projectId, ...query } = input;
      return listSamples(ctx.deps.db, ctx.principal, projectId, query);
    }),
  /** One sample with its values (NOT_FOUND when it is not the project's). */
  get: protectedProcedure
    .input(z.object({ projectId: id, sampleId: id }))
    .query(({ ctx, input }) => getSample(ctx.deps.db, ctx.principal, input.projectId, input.sampleId)),
});
