import { z } from 'zod';
import {
  deleteResource,
  getResource,
  listResources,
  readResource,
  uploadResource,
} from '../../services/resources';
import { protectedProcedure, router } from '../trpc';

const kind = z.enum(['DATASET', 'ARCHITECTURE', 'CODE', 'MODEL', 'CHECKPOINT', 'OTHER']);
const ids = z.object({ projectId: z.number().int().positive(), resourceId: z.number().int().positive() });

// Large files go through the REST upload endpoints (streamed multipart); `uploadText` is for small files
// (CSV, architecture JSON) sent from scripts and the UI.
export const resourcesRouter = router({
  list: protectedProcedure
    .input(z.object({ projectId: z.number().int().positive(), kind: kind.optional() }))
    .query(({ ctx, input }) => listResources(ctx.deps.db, ctx.principal, input.projectId, input.kind)),
  get: protectedProcedure
    .input(ids)
    .query(({ ctx, input }) => getResource(ctx.deps.db, ctx.principal, input.projectId, input.resourceId)),
  uploadText: protectedProcedure
    .input(
      z.object({
        projectId: z.number().int().positive(),
        name: z.string().min(1).max(500),
        content: z.string().max(10 * 1024 * 1024),
        kind: kind.optional(),
      }),
    )
    .mutation(({ ctx, input }) =>
      uploadResource(ctx.deps, ctx.principal, input.projectId, {
        name: input.name,
        contentType: 'text/plain',
        body: Buffer.from(input.content, 'utf8'),
        ...(input.kind ? { kind: input.kind } : {}),
      }),
    ),
  /** Small files only (base64); use the REST download for large ones. */
  download: protectedProcedure.input(ids).query(async ({ ctx, input }) => {
    const { resource, bytes } = await readResource(
      ctx.deps,
      ctx.principal,
      input.projectId,
      input.resourceId,
    );
    return { name: resource.name, contentType: resource.contentType, base64: bytes.toString('base64') };
  }),
  delete: protectedProcedure
    .input(ids)
    .mutation(({ ctx, input }) => deleteResource(ctx.deps, ctx.principal, input.projectId, input.resourceId)),
});
