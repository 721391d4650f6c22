// The call signatures of the client's procedures (src/generated/api.ts uses them), in plain TypeScript: the
// published types need nothing of tRPC's. At run time the calls are tRPC's own client.

/** Options of one call. */
export interface CallOptions {
  /** Aborts the request (the promise rejects). */
  signal?: AbortSignal;
  /** Passed to the links (unused by the platform). */
  context?: Record<string, unknown>;
}

/** A query procedure: `query(input)` resolves with the output. */
export interface Query<TInput, TOutput> {
  query(input: TInput, options?: CallOptions): Promise<TOutput>;
}

/** A mutation procedure: `mutate(input)` resolves with the output. */
export interface Mutation<TInput, TOutput> {
  mutate(input: TInput, options?: CallOptions): Promise<TOutput>;
}

/** Handlers of a subscription; errors are `TrainhubError`s. */
export interface SubscriptionHandlers<TEvent> extends CallOptions {
  onStarted?: () => void;
  onData: (event: TEvent) => void;
  onError?: (error: Error) => void;
  /** The server ended the stream. */
  onComplete?: () => void;
  /** The client unsubscribed. */
  onStopped?: () => void;
}

/** A subscription procedure (Server-Sent Events): `subscribe(input, handlers)` until `unsubscribe()`. */
export interface Subscription<TInput, TEvent> {
  subscribe(input: TInput, handlers: SubscriptionHandlers<TEvent>): { unsubscribe(): void };
}
