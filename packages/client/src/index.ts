/**
 * @trainhub/client: a typed client of a Trainhub platform. `createClient({ url, apiKey })` gives every tRPC
 * procedure (`client.trpc.*`, typed from the server's router at build time), streamed uploads and downloads,
 * and `followExecution` for live training progress. Works in Node >= 20.19 and browsers (the Node-only
 * helpers `uploadPath` and `downloadToFile` load `node:fs` when called).
 */
import {
  createTrainhubClient,
  type ClientOptions,
  type FileHelpers,
  type ResourceStream,
  type UploadedResource,
} from './core';
import type { TrainhubApi } from './generated/api';
import type { AppRouter } from './generated/router';
import type { Mutation, Query, Subscription } from './procedures';

export {
  ConflictError,
  ForbiddenError,
  InvalidInputError,
  NotFoundError,
  ServerError,
  TooLargeError,
  TrainhubError,
  UnauthenticatedError,
  type TrainhubErrorCode,
} from './errors';
export type { TrpcErrorData } from './errors';
export type { ClientOptions, FileHelpers, ResourceStream, UploadedResource } from './core';
export type { TrainhubApi } from './generated/api';
export type { CallOptions, Mutation, Query, Subscription, SubscriptionHandlers } from './procedures';

type InputOf<P> =
  P extends Query<infer I, unknown>
    ? I
    : P extends Mutation<infer I, unknown>
      ? I
      : P extends Subscription<infer I, unknown>
        ? I
        : never;
type OutputOf<P> =
  P extends Query<never, infer O>
    ? O
    : P extends Mutation<never, infer O>
      ? O
      : P extends Subscription<never, infer O>
        ? O
        : never;
/** Every procedure's input, by router and procedure name: `RouterInputs['tasks']['train']`. */
export type RouterInputs = {
  [R in keyof TrainhubApi]: { [P in keyof TrainhubApi[R]]: Exclude<InputOf<TrainhubApi[R][P]>, void> };
};
/** Every procedure's output (a subscription's: one event), by name: `RouterOutputs['executions']['get']`. */
export type RouterOutputs = {
  [R in keyof TrainhubApi]: { [P in keyof TrainhubApi[R]]: OutputOf<TrainhubApi[R][P]> };
};
/** An execution (one run of a training task) as the API returns it. */
export type Execution = RouterOutputs['executions']['get'];
/** A progress event of an execution: an EPOCH with its metrics in `data`, a LOG line or a STAGE change. */
export type ExecutionEvent = RouterOutputs['executions']['events'][number];

/** Statuses after which an execution does not change any more. */
export const TERMINAL_STATUSES = ['COMPLETED', 'FAILED', 'STOPPED', 'CANCELLED'] as const;

export interface FollowOptions {
  /** Called for every event in order (epochs, log lines, stage changes), from `afterSeq` on. */
  onEvent?: (event: ExecutionEvent) => void;
  /** Resume after this event sequence number (default 0: from the first event). */
  afterSeq?: number;
  /** Stop following (the promise then rejects with the signal's reason). */
  signal?: AbortSignal;
}

export interface Client extends FileHelpers {
  /** Every tRPC procedure, typed: `client.trpc.projects.list.query()`; errors are `TrainhubError`s. */
  trpc: TrainhubApi;
  /**
   * Follows an execution until it ends: streams its events over the `executions.onProgress` subscription and
   * resolves with the finished execution (status COMPLETED, FAILED, STOPPED or CANCELLED).
   * @throws TrainhubError (NOT_FOUND for an unknown or invisible execution)
   */
  followExecution(executionId: number, options?: FollowOptions): Promise<Execution>;
  /**
   * Node only: uploads a file from disk, streamed (the file is never read into memory as a whole).
   * @param name the stored name (default: the file's own name)
   */
  uploadPath(projectId: number, path: string, name?: string): Promise<UploadedResource>;
  /** Node only: streams a resource to a file; resolves with the number of bytes written. */
  downloadToFile(projectId: number, resourceId: number, path: string): Promise<number>;
}

/**
 * A client of the platform at `url` acting with `apiKey`.
 * @example
 * const client = createClient({ url: 'http://localhost:3000', apiKey: process.env.TRAINHUB_API_KEY! });
 * const projects = await client.trpc.projects.list.query();
 */
export function createClient(options: ClientOptions): Client {
  const client = createTrainhubClient<AppRouter>(options);
  const trpc = client.trpc as unknown as TrainhubApi;
  return {
    ...client,
    trpc,
    followExecution(executionId, { onEvent, afterSeq = 0, signal } = {}) {
      return new Promise<Execution>((resolve, reject) => {
        let finished = false;
        const subscription = trpc.executions.onProgress.subscribe(
          { executionId, afterSeq },
          {
            onData(message) {
              if (message.type === 'event') onEvent?.(message.event);
              else {
                finished = true;
                subscription.unsubscribe();
                resolve(message.execution);
              }
            },
            onError(error) {
              subscription.unsubscribe();
              reject(error);
            },
            onComplete() {
              if (!finished)
                reject(new Error(`progress of execution ${executionId} ended before it finished`));
            },
          },
        );
        signal?.addEventListener(
          'abort',
          () => {
            subscription.unsubscribe();
            reject(signal.reason);
          },
          { once: true },
        );
      });
    },
    async uploadPath(projectId, path, name) {
      const { openAsBlob } = await import('node:fs');
      const { basename } = await import('node:path');
      return client.uploadFile(projectId, name ?? basename(path), await openAsBlob(path));
    },
    async downloadToFile(projectId, resourceId, path) {
      const { createWriteStream } = await import('node:fs');
      const { Readable } = await import('node:stream');
      const { pipeline } = await import('node:stream/promises');
      const { body }: ResourceStream = await client.downloadStream(projectId, resourceId);
      let bytes = 0;
      const source = Readable.fromWeb(body as import('node:stream/web').ReadableStream<Uint8Array>);
      source.on('data', (chunk: Uint8Array) => (bytes += chunk.byteLength));
      await pipeline(source, createWriteStream(path));
      return bytes;
    },
  };
}
