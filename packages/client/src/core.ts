import {
  createTRPCClient,
  httpBatchLink,
  httpSubscriptionLink,
  splitLink,
  type TRPCClient,
  type TRPCLink,
} from '@trpc/client';
import type { AnyTRPCRouter } from '@trpc/server';
import { observable } from '@trpc/server/observable';
import { EventSource as EventSourcePonyfill, type EventSourceInit } from 'eventsource';
import superjson from 'superjson';
import { fromResponse, fromTrpcError, trainhubError } from './errors';

export interface ClientOptions {
  /** Base URL of the platform, e.g. `http://localhost:3000` (a trailing slash is ignored). */
  url: string;
  /** An API key (`th_...` or `ei_...`), sent as the `x-api-key` header on every call. */
  apiKey: string;
  /**
   * The EventSource class for subscriptions. Default: the `eventsource` package's, which works in Node 20 and
   * browsers and sends the API key header (a browser's built-in EventSource cannot send headers).
   */
  EventSource?: typeof EventSourcePonyfill;
  /** The fetch for every call (default: the global fetch). */
  fetch?: typeof globalThis.fetch;
}

/** What an upload stored: the new resource's id and file name. */
export interface UploadedResource {
  id: number;
  name: string;
}

/** A resource's bytes as a stream, with what the server said of them. */
export interface ResourceStream {
  body: ReadableStream<Uint8Array>;
  /** Content-Length in bytes, or null when the server did not send it. */
  size: number | null;
  contentType: string | null;
}

/** The REST helpers for files (uploads and downloads stream; nothing is held in memory as a whole). */
export interface FileHelpers {
  /**
   * Uploads a file to a project (MLW multipart upload, streamed: a `Blob` from `fs.openAsBlob` or a browser
   * `File` is read as it is sent). The stored name is the last path segment of `name`.
   * @throws TrainhubError (TOO_LARGE over the server's UPLOAD_LIMIT_BYTES, NOT_FOUND, FORBIDDEN, ...)
   */
  uploadFile(projectId: number, name: string, content: Blob | string): Promise<UploadedResource>;
  /** A resource's bytes as a web stream (nothing buffered). @throws TrainhubError (NOT_FOUND, ...) */
  downloadStream(projectId: number, resourceId: number): Promise<ResourceStream>;
  /** A resource's bytes in memory: for small files; use `downloadStream` or `downloadToFile` for large ones. */
  download(projectId: number, resourceId: number): Promise<Uint8Array>;
}

/** The platform as a client: `trpc` is every tRPC procedure; the rest are REST helpers for files. */
export interface TrainhubClient<TRouter extends AnyTRPCRouter> extends FileHelpers {
  /** Every tRPC procedure, typed (`client.trpc.projects.list.query()`); errors are `TrainhubError`s. */
  trpc: TRPCClient<TRouter>;
}

/** A link that turns every failure into the typed error of its domain code (`NotFoundError`, ...). */
function typedErrors<TRouter extends AnyTRPCRouter>(): TRPCLink<TRouter> {
  return () =>
    ({ op, next }) =>
      observable((observer) => {
        const subscription = next(op).subscribe({
          next: (value) => observer.next(value),
          // A TRPCClientError at run time (see errors.ts), which tRPC passes through unchanged.
          error: (error) => observer.error(fromTrpcError(error) as never),
          complete: () => observer.complete(),
        });
        return () => subscription.unsubscribe();
      });
}

/**
 * A typed client of the platform for any router type; `@trainhub/client`'s `createClient` binds it to the
 * platform's AppRouter. Subscriptions go over Server-Sent Events (tRPC's httpSubscriptionLink).
 */
export function createTrainhubClient<TRouter extends AnyTRPCRouter>(
  options: ClientOptions,
): TrainhubClient<TRouter> {
  const base = options.url.replace(/\/+$/, '');
  const headers = { 'x-api-key': options.apiKey };
  const doFetch: typeof globalThis.fetch = (input, init) => (options.fetch ?? globalThis.fetch)(input, init);
  const endpoint = `${base}/api/trpc`;
  const sseFetch: typeof globalThis.fetch = (input, init) =>
    doFetch(input, { ...init, headers: { ...(init?.headers as Record<string, string>), ...headers } });
  // The links are built for any router and typed as TRouter's. Both carry the server's transformer
  // (superjson: Dates arrive as Dates).
  const subscriptions = httpSubscriptionLink<AnyTRPCRouter, typeof EventSourcePonyfill>({
    url: endpoint,
    EventSource: (options.EventSource ?? EventSourcePonyfill) as typeof EventSourcePonyfill,
    // `fetch` for the eventsource package, `headers` for EventSource classes that take them.
    eventSourceOptions: () => ({ fetch: sseFetch, headers }) as EventSourceInit,
    transformer: superjson,
  }) as unknown as TRPCLink<TRouter>;
  const batch = httpBatchLink<AnyTRPCRouter>({
    url: endpoint,
    headers,
    fetch: doFetch,
    transformer: superjson,
  }) as unknown as TRPCLink<TRouter>;
  const trpc = createTRPCClient<TRouter>({
    links: [
      typedErrors<TRouter>(),
      splitLink({ condition: (op) => op.type === 'subscription', true: subscriptions, false: batch }),
    ],
  });
  const resourceUrl = (projectId: number, resourceId?: number) =>
    `${base}/service/mlw/projects/${projectId}_Project/resources${resourceId ? `/${resourceId}_Resource` : ''}`;
  const auth = { authorization: `Bearer ${options.apiKey}` };
  const call = async (url: string, init: RequestInit, what: string) => {
    let response: Response;
    try {
      response = await doFetch(url, init);
    } catch (error) {
      throw trainhubError('SERVER_ERROR', `${what} failed: ${(error as Error).message}`, 0, { cause: error });
    }
    if (!response.ok) throw await fromResponse(response, what);
    return response;
  };

  const downloadStream = async (projectId: number, resourceId: number): Promise<ResourceStream> => {
    const response = await call(
      `${resourceUrl(projectId, resourceId)}/download`,
      { headers: auth },
      'download',
    );
    if (!response.body)
      throw trainhubError('SERVER_ERROR', 'download failed: the answer has no body', response.status);
    const length = response.headers.get('content-length');
    return {
      body: response.body,
      size: length === null ? null : Number(length),
      contentType: response.headers.get('content-type'),
    };
  };

  return {
    trpc,
    async uploadFile(projectId, name, content) {
      const form = new FormData();
      const stored = name.split(/[/\\]/).pop() || name;
      form.append('file', typeof content === 'string' ? new Blob([content]) : content, stored);
      const response = await call(
        resourceUrl(projectId),
        { method: 'POST', headers: auth, body: form },
        'upload',
      );
      // MLW answers the project with its files by group; the upload is the newest file of its name.
      const body = (await response.json()) as { resources?: Record<string, { id: string; name: string }[]> };
      const file = Object.values(body.resources ?? {})
        .flat()
        .filter((r) => r.name === stored)
        .sort((x, y) => parseInt(y.id) - parseInt(x.id))[0];
      if (!file)
        throw trainhubError('SERVER_ERROR', `upload failed: ${stored} is not in the answer`, response.status);
      return { id: parseInt(file.id), name: file.name };
    },
    downloadStream,
    async download(projectId, resourceId) {
      const { body } = await downloadStream(projectId, resourceId);
      return new Uint8Array(await new Response(body).arrayBuffer());
    },
  };
}
