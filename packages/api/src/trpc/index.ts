import { TRPCError } from '@trpc/server';
import { fetchRequestHandler } from '@trpc/server/adapters/fetch';
import { JSON_BODY_LIMIT, type RestDeps } from '../deps';
import { appRouter } from './root';
import { createTrpcContext, type TrpcAuth } from './trpc';

export { appRouter, createCaller, type AppRouter } from './root';
export { createTrpcContext, type SessionUser, type TrpcAuth, type TrpcContext } from './trpc';

/**
 * The request with its body cut at `limit` bytes: reading past it (or any read when the declared
 * Content-Length is over it) fails with PAYLOAD_TOO_LARGE, which tRPC answers as its 413 error. The fetch
 * adapter has no such option (the Node one's `maxBodySize` does the same).
 */
function withBodyLimit(request: Request, limit: number): Request {
  if (!request.body || request.method === 'GET' || request.method === 'HEAD') return request;
  const tooLarge = () =>
    new TRPCError({ code: 'PAYLOAD_TOO_LARGE', message: `the request body is larger than ${limit} bytes` });
  const declared = Number(request.headers.get('content-length') ?? '0');
  const reader = request.body.getReader();
  let size = 0;
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      if (declared > limit) {
        controller.error(tooLarge());
        void reader.cancel();
      }
    },
    async pull(controller) {
      const { done, value } = await reader.read();
      if (done) return controller.close();
      size += value.byteLength;
      if (size > limit) {
        controller.error(tooLarge());
        await reader.cancel();
        return;
      }
      controller.enqueue(value);
    },
    cancel: (reason) => reader.cancel(reason),
  });
  return new Request(request.url, {
    method: request.method,
    headers: request.headers,
    body,
    signal: request.signal,
    duplex: 'half',
  } as RequestInit);
}

/**
 * The tRPC endpoint as a fetch handler mounted at `endpoint` (apps/web: /api/trpc). Request bodies over
 * `deps.jsonBodyLimitBytes` (default 1 MiB) get tRPC's PAYLOAD_TOO_LARGE error (HTTP 413).
 */
export function handleTrpc(original: Request, deps: RestDeps, endpoint = '/api/trpc', auth: TrpcAuth = {}) {
  const request = withBodyLimit(original, deps.jsonBodyLimitBytes ?? JSON_BODY_LIMIT);
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
