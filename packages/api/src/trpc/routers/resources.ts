import { z } from 'zod';
import {
  deleteResource,
  getResource,
  listResources,
  openResource,
  readResource,
  uploadResource,
} from '../../services/resources';
import type { Principal } from '../../auth/principal';
import type { RestDeps } from '../../deps';
import { protectedProcedure, router } from '../trpc';

const kind = z.enum(['DATASET', 'ARCHITECTURE', 'CODE', 'MODEL', 'CHECKPOINT', 'OTHER']);
const ids = z.object({ projectId: z.number().int().positive(), resourceId: z.number().int().positive() });

/** The most bytes `head` reads of a file (the web UI's previews read up to 1 MiB of an architecture). */
export const MAX_HEAD_BYTES = 1024 * 1024;

/**
 * The first `maxBytes` of a resource as UTF-8 text (never the whole file: the stream is closed once enough
 * has come), with the resource row and whether the file is longer (`truncated`). NOT_FOUND as `get`.
 */
async function headOf(
  deps: RestDeps,
  principal: Principal,
  projectId: number,
  resourceId: number,
  maxBytes: number,
) {
  const { resource, stream } = await openResource(deps, principal, projectId, resourceId);
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of stream) {
      const buffer = chunk as Buffer;
      chunks.push(buffer);
      size += buffer.length;
      if (size >= maxBytes) break;
    }
  } finally {
    stream.destroy();
  }
  const text = Buffer.concat(chunks).subarray(0, maxBytes).toString('utf8');
  return { resource, text, truncated: resource.size > maxBytes };
}

// Large files go through the REST upload endpoints (streamed multipart); `uploadText` is for small files
// (CSV, architecture JSON) sent from scripts and the UI.
export const resourcesRouter = router({
  list: protectedProcedure
    .input(z.object({ projectId: z.number().int().positive(), kind: kind.optional() }))
    .query(({ ctx, input }) => listResources(ctx.deps.db, ctx.principal, input.projectId, input.kind)),
  get: protectedProcedure
    .input(ids)
    .query(({ ctx, input }) => getResource(ctx.deps.db, ctx.principal, input.projectId, input.resourceId)),
  /** The head of a file as text, for previews (CSV rows, an architecture's JSON): see headOf. */
  head: protectedProcedure
    .input(
      ids.extend({
        maxBytes: z
          .number()
          .int()
          .min(1)
          .max(MAX_HEAD_BYTES)
          .default(64 * 1024),
      }),
    )
    .query(({ ctx, input }) =>
      headOf(ctx.deps, ctx.principal, input.projectId, input.resourceId, input.maxBytes),
    ),
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
