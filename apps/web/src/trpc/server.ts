import 'server-only';
import { TRPCError } from '@trpc/server';
import { notFound } from 'next/navigation';
import { cache } from 'react';
import { createCaller } from '@trainhub/api/trpc';
import { restDeps } from '@/server/deps';
import { requireUser } from '@/server/request-context';

/**
 * The tRPC caller of server components: the same procedures (and checks) the browser and API clients reach
 * at /api/trpc, run in this process for the signed-in user (a redirect to sign in when there is none).
 * Cached per request.
 */
export const api = cache(async () => createCaller({ deps: restDeps(), principal: await requireUser() }));

/** A procedure's NOT_FOUND (also another team's id) or BAD_REQUEST (a malformed id) as the 404 page. */
export async function orNotFound<T>(promise: Promise<T>): Promise<T> {
  try {
    return await promise;
  } catch (error) {
    if (error instanceof TRPCError && (error.code === 'NOT_FOUND' || error.code === 'BAD_REQUEST'))
      notFound();
    throw error;
  }
}
