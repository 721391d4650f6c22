// The typed client of this workspace's tests and scripts: @trainhub/client's (packages/client), bound to the
// server's own AppRouter type so it follows router changes without a build. Outside the repository use the
// published package `@trainhub/client` (README, "Use it from your own code").
import { createTrainhubClient, type ClientOptions } from '../../client/src/core';
import type { AppRouter } from './trpc/root';

export type { ClientOptions } from '../../client/src/core';
export {
  NotFoundError,
  ForbiddenError,
  UnauthenticatedError,
  ConflictError,
  InvalidInputError,
  TooLargeError,
  ServerError,
  TrainhubError,
} from '../../client/src/errors';

/**
 * A typed client for Node scripts and tests: `client.trpc` is the tRPC API (everything the UI can do),
 * `uploadFile` streams a file through the MLW upload endpoint, `download` fetches a resource's bytes (a
 * Buffer). Errors are `TrainhubError`s (subclasses per domain code) that keep tRPC's `data`.
 */
export function createClient(options: ClientOptions) {
  const client = createTrainhubClient<AppRouter>(options);
  return {
    ...client,
    async download(projectId: number, resourceId: number): Promise<Buffer> {
      return Buffer.from(await client.download(projectId, resourceId));
    },
  };
}

export type TrainhubClient = ReturnType<typeof createClient>;
