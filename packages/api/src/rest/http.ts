import { Readable } from 'node:stream';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import busboy from 'busboy';
import type { z } from 'zod';
import type { IncomingFile } from '../services/resources';
import type { Principal } from '../auth/principal';
import { clientIpFromHeaders, clientIpOf } from '../auth/client-ip';
import { JSON_BODY_LIMIT, type RestDeps } from '../deps';

// The REST dispatcher. Each style (MLW, Cumulocity, Edge Impulse, the session style) declares its routes with
// `route({...})`: zod contracts for the path parameters, the query and the JSON body, and whether the caller
// must sign in. `createRestHandler` routes a request, authenticates it once with the style's own credential
// reader, parses the declared contracts and only then calls the handler with typed input. Every failure goes
// through the style's one error mapper, so each style keeps its exact error bytes (docs/fidelity/).
//
// Why our own and not Hono + @hono/zod-openapi or ts-rest: their validation hooks see one failed target at a
// time (@hono/zod-openapi's defaultHook is called per target, param, query or json, and the first failure
// answers), so FastAPI's one 422 listing path, query and body errors together would need its own validation
// pass anyway; each style's body reading (FastAPI's CPython JSON reader, MLW's JSON sent as text/plain)
// would bypass theirs; and they add a routing layer on the status reads bench:api measures. This file is
// small; the styles' error shapes are the hard part, and they stay in each style's errorResponse.

export { JSON_BODY_LIMIT, type RestDeps } from '../deps';

/** A request body that cannot be used: malformed JSON, wrong content type, too large. */
export class BadRequestError extends Error {
  override name = 'BadRequestError';
  constructor(
    message: string,
    readonly status: 400 | 413 | 415 = 400,
  ) {
    super(message);
  }
}

/** Where a declared contract reads its input from. */
export type ContractLocation = 'body' | 'query' | 'path';

/** One declared contract that the request failed: its zod issues and the raw value it was given. */
export interface ContractFailure {
  location: ContractLocation;
  issues: z.core.$ZodIssue[];
  /** What was parsed: the path parameters' or query's raw strings, or the body as the style read it. */
  received: unknown;
}

/**
 * A zod validation failure, kept whole so each style can word it its own way. `failures` holds every
 * declared contract that failed, in the order path, query, body (FastAPI reports them all in one 422);
 * `issues` and `location` are the first one's (the styles that report one error word that one).
 */
export class ContractError extends Error {
  override name = 'ContractError';
  readonly failures: ContractFailure[];
  constructor(
    readonly issues: z.core.$ZodIssue[],
    readonly location: ContractLocation,
    received?: unknown,
    failures?: ContractFailure[],
  ) {
    super(issues[0]?.message ?? 'invalid request');
    this.failures = failures ?? [{ location, issues, received }];
  }

  /** One error for several failed contracts (at least one). */
  static of(failures: ContractFailure[]): ContractError {
    const first = failures[0]!;
    return new ContractError(first.issues, first.location, first.received, failures);
  }
}

/** What a style's hooks (authenticate, before) get: the request as routed, nothing parsed. */
export interface RouteContext {
  request: Request;
  url: URL;
  /** The path parameters as they came (URI-decoded strings). */
  params: Record<string, string>;
  deps: RestDeps;
  /** The client's IP address (see auth/client-ip.ts), for the sign-in limits; `'unknown'` if none. */
  clientIp: string;
}

// The peer address of each request's connection, where the serving process knows it (node.ts: Node's
// `socket.remoteAddress`). Next route handlers have none: there the client address comes from headers.
const socketAddresses = new WeakMap<Request, string | null>();

/** Records the peer address of the connection a request came on (for RouteContext.clientIp). */
export function setSocketAddress(request: Request, address: string | null | undefined): void {
  socketAddresses.set(request, address ?? null);
}

// The JSON body limit of each request being handled (set by createRestHandler from its deps, read by readJson).
const jsonLimits = new WeakMap<Request, number>();

/**
 * Whether a route needs the caller's credentials: `required` (the style's 401 without them), `optional`
 * (principal null when none are sent; bad ones are still the style's 401) or `none` (public routes, and
 * routes whose credential is in the path, like the session style's keys: principal is null).
 */
export type AuthMode = 'required' | 'optional' | 'none';

/** The principal a handler gets for its route's AuthMode. */
export type PrincipalFor<A extends AuthMode> = A extends 'required'
  ? Principal
  : A extends 'optional'
    ? Principal | null
    : null;

/** What a handler built with `route()` receives: the caller and its input, already checked. */
export interface RouteInput<P, Q, B, A extends AuthMode> {
  principal: PrincipalFor<A>;
  /** The path parameters parsed with the route's `params` contract (the raw strings when it declares none). */
  params: P;
  /** The query parsed with the route's `query` contract (the raw strings when it declares none). */
  query: Q;
  /** The JSON body parsed with the route's `body` contract (undefined when it declares none). */
  body: B;
  /** The request itself: multipart uploads and raw bodies read it (its body is unread unless `body` is declared). */
  request: Request;
  url: URL;
  deps: RestDeps;
  clientIp: string;
}

type Parsed<S, Fallback> = S extends z.ZodType ? z.output<S> : Fallback;

/** One endpoint: its contracts (applied by the dispatcher and documented in OpenAPI) and its handler. */
export interface RouteDef {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Relative to the style's base, with `{param}` segments. */
  path: string;
  summary: string;
  operationId: string;
  tags?: string[];
  params?: z.ZodObject;
  query?: z.ZodObject;
  body?: z.ZodType;
  /** A multipart upload: the file fields it takes (read by the handler from `request`). */
  multipart?: { files: string[]; fields?: string[] };
  /** The 200 answer's schema, or 'file' for a download. */
  response: z.ZodType | 'file';
  /** Which credentials the route accepts (documentation). */
  security?: string[];
  /** Served but left out of the OpenAPI document (a style's own /openapi.json and docs pages). */
  hidden?: boolean;
  /** Made by `route()`: the dispatcher authenticates and parses the contracts, then calls `run`. */
  contract: {
    auth: AuthMode;
    onInvalid?: (error: ContractError) => unknown;
    run: (input: RouteInput<unknown, unknown, unknown, AuthMode>) => Promise<Response>;
  };
}

/** What `route()` takes: a RouteDef's description plus the typed handler. */
export interface RouteSpec<
  P extends z.ZodObject | undefined,
  Q extends z.ZodObject | undefined,
  B extends z.ZodType | undefined,
  A extends AuthMode,
> extends Omit<RouteDef, 'params' | 'query' | 'body' | 'contract'> {
  params?: P;
  query?: Q;
  body?: B;
  /** Default `required`. */
  auth?: A;
  /**
   * The error to answer instead of a contract failure, where a route words it unlike its style's mapper
   * (MLW's "Variable issue" bodies, the seed's missing-hyperparameter 400). Called with every failure.
   */
  onInvalid?: (error: ContractError) => unknown;
  handler: (
    input: RouteInput<
      Parsed<P, Record<string, string>>,
      Parsed<Q, Record<string, string>>,
      Parsed<B, undefined>,
      A
    >,
  ) => Promise<Response>;
}

/**
 * Declares a route whose contracts the dispatcher applies: the handler's `params`, `query` and `body` are
 * typed from the declared zod schemas and reach it already parsed; `principal` follows `auth`.
 */
export function route<
  P extends z.ZodObject | undefined = undefined,
  Q extends z.ZodObject | undefined = undefined,
  B extends z.ZodType | undefined = undefined,
  A extends AuthMode = 'required',
>(spec: RouteSpec<P, Q, B, A>): RouteDef {
  const { auth, onInvalid, handler, ...def } = spec;
  return {
    ...def,
    contract: {
      auth: auth ?? 'required',
      onInvalid,
      run: handler as RouteDef['contract']['run'],
    },
  };
}

export interface RestStyle {
  basePath: string;
  routes: RouteDef[];
  /** The style's one error mapper: any thrown value -> a response in the style's shape. */
  errorResponse: (error: unknown) => Response;
  notFound: () => Response;
  /**
   * The style's one credential reader: the caller, or null when no credentials were sent and `required` is
   * false. Missing (when required) or bad credentials throw the error the style's mapper answers 401 for.
   * Needed as soon as one of its `route()`s has auth other than `none`.
   */
  authenticate?: (ctx: RouteContext, required: boolean) => Promise<Principal | null>;
  /** Reads a declared JSON body (default `readJson`); `limit` in bytes. Undefined for no body. */
  readBody?: (request: Request, limit: number) => Promise<unknown>;
  /** Runs before anything else for each matched `route()` (the session style's HEAD and trailing-slash answers). */
  before?: (route: RouteDef, ctx: RouteContext) => Response | null;
}

interface CompiledRoute {
  route: RouteDef;
  regex: RegExp;
  names: string[];
}

function compile(route: RouteDef): CompiledRoute {
  const names: string[] = [];
  const pattern = route.path
    .split(/(\{\w+\})/)
    .map((part) => {
      const param = /^\{(\w+)\}$/.exec(part);
      if (param) {
        names.push(param[1]!);
        return '([^/]+)';
      }
      return part.replace(/[.*+?^$()|[\]\\]/g, '\\$&');
    })
    .join('');
  return { route, regex: new RegExp(`^${pattern}/?$`), names };
}

/**
 * Authenticates (the route's AuthMode, with the style's reader), reads the declared body, parses the
 * declared contracts and calls the handler. Every contract is checked before answering, so a style can
 * report all failures (FastAPI) or the first (the others).
 */
async function runContract(style: RestStyle, route: RouteDef, ctx: RouteContext): Promise<Response> {
  const contract = route.contract;
  const early = style.before?.(route, ctx);
  if (early) return early;
  let principal: Principal | null = null;
  if (contract.auth !== 'none') {
    if (!style.authenticate) throw new Error(`${route.operationId}: the style has no authenticate`);
    principal = await style.authenticate(ctx, contract.auth === 'required');
  }
  const rawQuery = queryObject(ctx.url);
  const rawBody = route.body
    ? await (style.readBody ?? readJson)(ctx.request, ctx.deps.jsonBodyLimitBytes ?? JSON_BODY_LIMIT)
    : undefined;
  const failures: ContractFailure[] = [];
  const parse = (schema: z.ZodType | undefined, received: unknown, location: ContractLocation) => {
    if (!schema) return received;
    const result = schema.safeParse(received);
    if (result.success) return result.data;
    failures.push({ location, issues: result.error.issues, received });
    return undefined;
  };
  const params = parse(route.params, ctx.params, 'path');
  const query = parse(route.query, rawQuery, 'query');
  const body = parse(route.body, rawBody, 'body');
  if (failures.length) {
    const error = ContractError.of(failures);
    throw contract.onInvalid ? contract.onInvalid(error) : error;
  }
  return contract.run({
    principal,
    params,
    query,
    body,
    request: ctx.request,
    url: ctx.url,
    deps: ctx.deps,
    clientIp: ctx.clientIp,
  });
}

/** A fetch-style handler for a style: routes by method and path, maps every error with the style's mapper. */
export function createRestHandler(style: RestStyle, getDeps: () => RestDeps) {
  const compiled = style.routes.map(compile);
  return async function handle(request: Request): Promise<Response> {
    const url = new URL(request.url);
    if (!url.pathname.startsWith(style.basePath)) return style.notFound();
    const path = url.pathname.slice(style.basePath.length) || '/';
    let pathMatched = false;
    const allowed: string[] = [];
    for (const { route, regex, names } of compiled) {
      const match = regex.exec(path);
      if (!match) continue;
      pathMatched = true;
      allowed.push(route.method);
      if (route.method !== request.method && !(route.method === 'GET' && request.method === 'HEAD')) continue;
      const params: Record<string, string> = {};
      try {
        names.forEach((name, i) => (params[name] = decodeURIComponent(match[i + 1]!)));
      } catch {
        return style.errorResponse(new BadRequestError('malformed path'));
      }
      try {
        const deps = getDeps();
        const hops = deps.trustProxyHops ?? 0;
        const forwardedFor = request.headers.get('x-forwarded-for');
        const clientIp = socketAddresses.has(request)
          ? clientIpOf(forwardedFor, socketAddresses.get(request), hops)
          : clientIpFromHeaders((name) => request.headers.get(name), hops);
        jsonLimits.set(request, deps.jsonBodyLimitBytes ?? JSON_BODY_LIMIT);
        return await runContract(style, route, { request, url, params, deps, clientIp });
      } catch (error) {
        return style.errorResponse(error);
      }
    }
    return pathMatched ? style.errorResponse(new MethodNotAllowedError(allowed)) : style.notFound();
  };
}

export class MethodNotAllowedError extends Error {
  override name = 'MethodNotAllowedError';
  /** `allow`: the methods the path does take (for an Allow header). */
  constructor(readonly allow: string[] = []) {
    super('method not allowed');
  }
}

/**
 * The request body parsed as JSON whatever its declared content type (MLW's clients send JSON as
 * text/plain). An empty body is `undefined`; malformed bodies are BadRequestError (400), bodies over `limit`
 * bytes (default: the handler's RestDeps.jsonBodyLimitBytes) BadRequestError with status 413, refused from
 * the declared Content-Length before reading, or as soon as the bytes read pass it.
 */
export async function readJson(
  request: Request,
  limit = jsonLimits.get(request) ?? JSON_BODY_LIMIT,
): Promise<unknown> {
  const length = Number(request.headers.get('content-length') ?? '0');
  if (length > limit) throw new BadRequestError(`the request body is larger than ${limit} bytes`, 413);
  if (!request.body) return undefined;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of Readable.fromWeb(request.body as NodeReadableStream<Uint8Array>)) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new BadRequestError(`the request body is larger than ${limit} bytes`, 413);
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (!text.trim()) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw new BadRequestError('malformed JSON in the request body');
  }
}

/** The query as Starlette and our contracts read it: one string per name, the last of repeated ones. */
function queryObject(url: URL): Record<string, string> {
  return Object.fromEntries(url.searchParams.entries());
}

/**
 * The files of a multipart request as they stream in (one at a time: the next is parsed once the previous
 * one's body has been consumed). Each file is cut at `maxFileBytes` (its `truncated()` then says so).
 * A body whose declared length already exceeds the limits is refused before reading (413).
 */
export function multipartFiles(
  request: Request,
  options: { maxFileBytes: number; files: string[]; fields?: Record<string, string> },
): AsyncIterable<IncomingFile> {
  const contentType = request.headers.get('content-type') ?? '';
  if (!/^multipart\/form-data/i.test(contentType)) {
    throw new BadRequestError('the request must be multipart/form-data', 415);
  }
  const declared = Number(request.headers.get('content-length') ?? '0');
  const maxTotal = options.maxFileBytes * options.files.length + 256 * 1024;
  if (declared > maxTotal) {
    throw new BadRequestError(
      `the file is larger than the upload limit of ${options.maxFileBytes} bytes`,
      413,
    );
  }
  if (!request.body) throw new BadRequestError('the request has no body');
  const body = request.body;
  const fields = options.fields ?? {};
  return {
    [Symbol.asyncIterator]() {
      let parser: busboy.Busboy;
      try {
        parser = busboy({
          headers: { 'content-type': contentType },
          limits: {
            fileSize: options.maxFileBytes,
            files: options.files.length + 4,
            fields: 50,
            fieldSize: 64 * 1024,
            parts: 100,
          },
        });
      } catch (error) {
        throw new BadRequestError(`malformed multipart body: ${(error as Error).message}`);
      }
      const source = Readable.fromWeb(body as NodeReadableStream<Uint8Array>);
      const queue: IncomingFile[] = [];
      const seen = new Set<string>();
      let finished = false;
      let failure: Error | null = null;
      let wake: (() => void) | null = null;
      const notify = () => {
        wake?.();
        wake = null;
      };
      parser.on('field', (name, value) => {
        fields[name] = value;
      });
      parser.on('file', (field, stream, info) => {
        if (!options.files.includes(field) || seen.has(field)) {
          stream.resume();
          return;
        }
        seen.add(field);
        let truncated = false;
        stream.on('limit', () => (truncated = true));
        queue.push({
          field,
          name: info.filename ?? field,
          contentType: info.mimeType ?? null,
          body: stream,
          truncated: () => truncated,
        });
        notify();
      });
      parser.on('close', () => {
        finished = true;
        notify();
      });
      parser.on('error', (error: Error) => {
        failure = new BadRequestError(`malformed multipart body: ${error.message}`);
        notify();
      });
      source.on('error', (error) => {
        failure = new BadRequestError(`the upload was interrupted: ${error.message}`);
        notify();
      });
      source.pipe(parser);
      return {
        async next(): Promise<IteratorResult<IncomingFile>> {
          for (;;) {
            if (queue.length) return { value: queue.shift()!, done: false };
            if (failure) throw failure;
            if (finished) return { value: undefined, done: true };
            await new Promise<void>((resolve) => (wake = resolve));
          }
        },
        async return(): Promise<IteratorResult<IncomingFile>> {
          // The consumer stopped early (an error): stop reading the upload.
          source.unpipe(parser);
          source.destroy();
          return { value: undefined, done: true };
        },
      };
    },
  };
}

// The text of each JSON answer, by response: a Node server (node.ts) writes it as it is instead of reading
// the response's body stream back (which cost as much as building the answer on a status read).
const jsonTexts = new WeakMap<Response, string>();

export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  const text = JSON.stringify(body);
  const response = new Response(text, {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
  });
  jsonTexts.set(response, text);
  return response;
}

/** The body of a response made by `json`, without consuming it; undefined for any other response. */
export const jsonTextOf = (response: Response): string | undefined => jsonTexts.get(response);

/** A download: streams the bytes with a safe Content-Disposition. */
export function fileResponse(
  body: Readable | Buffer,
  name: string,
  contentType = 'application/octet-stream',
  size?: number,
) {
  const ascii = name.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
  const headers: Record<string, string> = {
    'content-type': contentType,
    'content-disposition': `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`,
    'x-content-type-options': 'nosniff',
  };
  if (size !== undefined) headers['content-length'] = String(size);
  const stream = Buffer.isBuffer(body) ? body : (Readable.toWeb(body) as unknown as ReadableStream);
  return new Response(stream as ConstructorParameters<typeof Response>[0], { status: 200, headers });
}
