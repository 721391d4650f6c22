import { fetchRequestHandler } from '@trpc/server/adapters/fetch';
import type { RestDeps } from '../rest/http';
import { appRouter } from './root';
import { createTrpcContext, type TrpcAuth } from './trpc';

export { appRouter, createCaller, type AppRouter } from './root';
export { createTrpcContext, type SessionUser, type TrpcAuth, type TrpcContext } from './trpc';

/** The tRPC endpoint as a fetch handler mounted at `endpoint` (apps/web: /api/trpc). */
export function handleTrpc(request: Request, deps: RestDeps, endpoint = '/api/trpc', auth: TrpcAuth = {}) {
  return fetchRequestHandler({
    endpoint,
    req: request,
    router: appRouter,
    createContext: () => createTrpcContext(deps, request, auth),
    onError({ error, path }) {
      if (error.code === 'INTERNAL_SERVER_ERROR')
        console.error(`trpc ${path ?? '?'}:`, error.cause?.stack ?? error.message);
    },
  });
}
