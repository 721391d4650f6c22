import { createTRPCClient, httpBatchLink, httpSubscriptionLink, splitLink } from '@trpc/client';
import type { AppRouter } from './trpc/root';

export interface ClientOptions {
  /** Base URL of the platform, e.g. http://localhost:3000 */
  url: string;
  apiKey: string;
  /** An EventSource implementation for subscriptions (Node 20 has none built in: pass the `eventsource` package's). */
  EventSource?: typeof globalThis.EventSource;
  fetch?: typeof globalThis.fetch;
}

/**
 * A typed client for Node scripts: `client.trpc` is the tRPC API (everything the UI can do);
 * `uploadFile` streams a file through the MLW upload endpoint, `download` fetches a resource's bytes.
 */
export function createClient(options: ClientOptions) {
  const base = options.url.replace(/\/+$/, '');
  const headers = { 'x-api-key': options.apiKey };
  const doFetch = options.fetch ?? globalThis.fetch;
  const batch = httpBatchLink({ url: `${base}/api/trpc`, headers, fetch: doFetch });
  const EventSourceImpl = options.EventSource ?? globalThis.EventSource;
  const trpc = createTRPCClient<AppRouter>({
    links: [
      EventSourceImpl
        ? splitLink({
            condition: (op) => op.type === 'subscription',
            true: httpSubscriptionLink({
              url: `${base}/api/trpc`,
              EventSource: EventSourceImpl,
              eventSourceOptions: () => ({ headers }) as EventSourceInit,
            }),
            false: batch,
          })
        : batch,
    ],
  });
  return {
    trpc,
    async uploadFile(
      projectId: number,
      name: string,
      content: Blob | string,
    ): Promise<{ id: number; name: string }> {
      const form = new FormData();
      form.append('file', typeof content === 'string' ? new Blob([content]) : content, name);
      const response = await doFetch(`${base}/service/mlw/projects/${projectId}_Project/resources`, {
        method: 'POST',
        headers: { authorization: `Bearer ${options.apiKey}` },
        body: form,
      });
      // MLW answers the project with its files by group; the upload is the newest file of its name.
      const body = (await response.json()) as {
        resources?: Record<string, { id: string; name: string }[]>;
        message?: string;
      };
      const stored = name.split(/[/\\]/).pop();
      const file = Object.values(body.resources ?? {})
        .flat()
        .filter((r) => r.name === stored)
        .sort((x, y) => parseInt(y.id) - parseInt(x.id))[0];
      if (!response.ok || !file)
        throw new Error(`upload failed (${response.status}): ${body.message ?? 'unknown error'}`);
      return { id: parseInt(file.id), name: file.name };
    },
    async download(projectId: number, resourceId: number): Promise<Buffer> {
      const response = await doFetch(
        `${base}/service/mlw/projects/${projectId}_Project/resources/${resourceId}_Resource/download`,
        {
          headers: { authorization: `Bearer ${options.apiKey}` },
        },
      );
      if (!response.ok) throw new Error(`download failed (${response.status})`);
      return Buffer.from(await response.arrayBuffer());
    },
  };
}

export type TrainhubClient = ReturnType<typeof createClient>;
