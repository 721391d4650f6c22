// Edge Impulse's ingestion service on this server (fidelity note: /work/shared/docs/fidelity/edge-impulse.md
// section 3). Mounted under INGESTION_BASE (`/ingestion`): point the CLI and the Python SDK's ingestion
// endpoint at `{origin}/ingestion` (README, "Edge Impulse data"). Auth: a project API key in `x-api-key`.
import { z } from 'zod';
import { principalFromApiKey } from '../../auth/resolve';
import type { Principal } from '../../auth/principal';
import { DomainError, DOMAIN_ERROR_STATUS } from '../../services/errors';
import {
  INGESTION_CATEGORIES,
  MAX_FILES_PER_REQUEST,
  MAX_SAMPLE_BYTES,
  labelFromFileName,
  parseSampleFile,
  parseUploaderInfo,
  projectHmacKey,
  storeSamples,
  type NewSample,
  type UploaderInfo,
} from '../../services/samples';
import {
  BadRequestError,
  ContractError,
  MethodNotAllowedError,
  json,
  route,
  type RestDeps,
  type RestStyle,
  type RouteDef,
} from '../http';

/** A multipart file part, as much of it as ingestion reads. */
interface FilePart {
  name: string;
  type: string;
  arrayBuffer(): Promise<ArrayBuffer>;
}

/** Where the ingestion service is served on this server. */
export const INGESTION_BASE = '/ingestion';

/** A failure with the HTTP status the contract gives it (401 key, 421 header, 400 data, 413 size). */
class IngestionError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function statusOf(error: unknown): { status: number; message: string } {
  if (error instanceof IngestionError) return { status: error.status, message: error.message };
  if (error instanceof BadRequestError) return { status: error.status, message: error.message };
  if (error instanceof MethodNotAllowedError) return { status: 405, message: 'Method not allowed' };
  if (error instanceof ContractError) return { status: 400, message: `Invalid request: ${error.message}` };
  if (error instanceof DomainError)
    return { status: DOMAIN_ERROR_STATUS[error.code], message: error.message };
  console.error('ingestion: unexpected error', error instanceof Error ? error.stack : String(error));
  return { status: 500, message: 'Internal server error' };
}

/**
 * The caller: a project API key (`x-api-key`, required) scoped to one project; IngestionError 401 for a
 * missing, unknown or team-wide key. The style's credential reader (RestStyle.authenticate) and the legacy
 * `/data` route's, which answers even a 401 as text.
 */
async function ingestingKey(
  request: Request,
  deps: RestDeps,
): Promise<{ principal: Principal; projectId: number }> {
  const key = request.headers.get('x-api-key');
  if (!key) throw new IngestionError(401, 'Missing x-api-key header');
  const principal = await principalFromApiKey(deps.db, key);
  if (!principal || principal.kind !== 'apiKey') throw new IngestionError(401, 'Invalid API key');
  if (principal.projectId === null)
    throw new IngestionError(401, 'This API key acts for a whole team: use a project API key');
  return { principal, projectId: principal.projectId };
}

type Category = (typeof INGESTION_CATEGORIES)[number];
const unknownCategory = (category: unknown) =>
  new IngestionError(
    400,
    `Unknown category "${String(category)}" (accepted: ${INGESTION_CATEGORIES.join(', ')})`,
  );
const categoryParams = z.object({ category: z.enum(INGESTION_CATEGORIES) });
/** The path's category (the legacy route's own check: its errors are text). */
function categoryOf(params: Record<string, string>): Category {
  const parsed = categoryParams.safeParse(params);
  if (!parsed.success) throw unknownCategory(params.category);
  return parsed.data.category;
}

/** The project of an ingesting principal (set: the style's reader admits project keys only). */
const projectOf = (principal: Principal): number => (principal.kind === 'apiKey' && principal.projectId) || 0;

/** Options from the headers: label (URL-decoded x-label, x-no-label), duplicates, date id, metadata. */
function headerOptions(request: Request) {
  const h = request.headers;
  let label: string | null = null;
  if (h.get('x-no-label') === '1') label = '';
  else if (h.get('x-label') !== null && h.get('x-label') !== '') {
    try {
      label = decodeURIComponent(h.get('x-label')!);
    } catch {
      throw new IngestionError(400, 'x-label is not URL-encoded text');
    }
  }
  let metadata: Record<string, string> | undefined;
  const rawMeta = h.get('x-metadata');
  if (rawMeta) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(rawMeta);
    } catch {
      throw new IngestionError(400, 'x-metadata must be a JSON object of strings');
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
      throw new IngestionError(400, 'x-metadata must be a JSON object of strings');
    metadata = Object.fromEntries(Object.entries(parsed).map(([k, v]) => [k, String(v)]));
  }
  return {
    label,
    metadata,
    disallowDuplicates: h.get('x-disallow-duplicates') === '1' || h.get('x-disallow-duplicates') === 'true',
    addDateId: h.get('x-add-date-id') === '1' || h.get('x-add-date-id') === 'true',
  };
}

const maxBytes = (deps: RestDeps) => Math.min(MAX_SAMPLE_BYTES, deps.uploadLimitBytes);

/**
 * A file of the request made into a sample to store (INVALID / 413 naming the file). What an `info.labels`
 * file of the request says about it (`info`) comes before the headers: its name, category, label, metadata.
 */
async function toSample(
  deps: RestDeps,
  projectId: number,
  category: NewSample['category'],
  options: ReturnType<typeof headerOptions>,
  name: string,
  contentType: string | null,
  bytes: Buffer,
  info: UploaderInfo = {},
): Promise<NewSample> {
  if (bytes.length > maxBytes(deps))
    throw new IngestionError(413, `${name}: the file is larger than the limit of ${maxBytes(deps)} bytes`);
  let parsed;
  try {
    parsed = await parseSampleFile(name, contentType, bytes, projectHmacKey(deps.jwtSecret, projectId));
  } catch (error) {
    if (error instanceof DomainError) throw new IngestionError(400, `${name}: ${error.message}`);
    throw error;
  }
  const base = info.name ?? name.replace(/\.[a-z0-9]+$/i, '');
  const metadata = options.metadata || info.metadata ? { ...options.metadata, ...info.metadata } : null;
  return {
    ...parsed,
    filename: options.addDateId
      ? `${base}.${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`
      : base,
    label: info.label ?? options.label ?? labelFromFileName(name),
    category: info.category ?? category,
    ...(metadata ? { metadata } : {}),
  };
}

/** Bytes of an over-limit body read and dropped before answering 413 (so that clients read the answer). */
const DRAIN_BYTES = 16 * 1024 * 1024;

/**
 * The body, refused past `limit` bytes (413). An over-limit body is read and dropped up to DRAIN_BYTES more
 * (a client still sending would otherwise see the connection reset instead of the answer); nothing is kept.
 */
async function boundedBody(request: Request, limit: number): Promise<Buffer> {
  const tooLarge = new IngestionError(413, `the file is larger than the limit of ${limit} bytes`);
  if (Number(request.headers.get('content-length') ?? 0) > limit + DRAIN_BYTES) throw tooLarge;
  if (!request.body) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request.body as unknown as AsyncIterable<Uint8Array>) {
    size += chunk.length;
    if (size > limit + DRAIN_BYTES) throw tooLarge;
    if (size <= limit) chunks.push(Buffer.from(chunk));
  }
  if (size > limit) throw tooLarge;
  return Buffer.concat(chunks);
}

const filesAnswer = z.object({
  success: z.boolean(),
  error: z.string().optional(),
  files: z
    .array(
      z.object({
        success: z.boolean(),
        error: z.string().optional(),
        sampleId: z.number().optional(),
        projectId: z.number().optional(),
        fileName: z.string().optional(),
      }),
    )
    .optional(),
});

/** The ingestion service's routes (see INGESTION_BASE). */
export const ingestionRoutes: RouteDef[] = [
  route({
    method: 'POST',
    path: '/api/{category}/files',
    operationId: 'ingestFiles',
    summary:
      'Upload samples (multipart, every file in a part named `data`; at most 1000 files, 100 MB each) into ' +
      "training, testing or split; an `info.labels` part (the CLI uploader's format) gives files their name, " +
      'category, label and metadata. All or none: a bad file fails the request and nothing is stored',
    tags: ['Ingestion'],
    params: categoryParams,
    onInvalid: (error) => unknownCategory((error.failures[0]?.received as { category?: unknown })?.category),
    multipart: { files: ['data'] },
    response: filesAnswer,
    security: ['ApiKeyAuthentication'],
    async handler({ principal, params: { category }, request, deps }) {
      const projectId = projectOf(principal);
      const options = headerOptions(request);
      if (!/^multipart\/form-data/i.test(request.headers.get('content-type') ?? ''))
        throw new IngestionError(
          400,
          'the request must be multipart/form-data with files in parts named "data"',
        );
      const limit = maxBytes(deps) * 2 + 1024 * 1024;
      const body = await boundedBody(request, Math.max(limit, maxBytes(deps)));
      let form: FormData;
      try {
        form = await new Response(new Uint8Array(body), {
          headers: { 'content-type': request.headers.get('content-type')! },
        }).formData();
      } catch {
        throw new IngestionError(400, 'malformed multipart body');
      }
      // Typed by what is read: `File` differs between the DOM and Node's type libraries, and this module is
      // typechecked under both (packages/api, prove).
      const parts = form.getAll('data').filter((f) => typeof f !== 'string') as unknown as FilePart[];
      if (parts.length > MAX_FILES_PER_REQUEST)
        throw new IngestionError(400, `at most ${MAX_FILES_PER_REQUEST} files per request`);
      // `*.labels` parts annotate the request's other files by name (the CLI uploader's info.labels).
      const isLabels = (f: FilePart) => /\.labels$/i.test(f.name);
      const infos = new Map<string, UploaderInfo>();
      for (const part of parts.filter(isLabels)) {
        try {
          for (const [name, info] of parseUploaderInfo(Buffer.from(await part.arrayBuffer())))
            infos.set(name, info);
        } catch (error) {
          if (error instanceof DomainError) throw new IngestionError(400, `${part.name}: ${error.message}`);
          throw error;
        }
      }
      const files = parts.filter((f) => !isLabels(f));
      if (files.length === 0) throw new IngestionError(400, 'no file in a part named "data"');
      const samples: NewSample[] = [];
      for (const file of files)
        samples.push(
          await toSample(
            deps,
            projectId,
            category,
            options,
            file.name,
            file.type || null,
            Buffer.from(await file.arrayBuffer()),
            infos.get(file.name),
          ),
        );
      const stored = await storeSamples(deps.db, principal, projectId, samples, options);
      return json({
        success: true,
        files: stored.map((s) => ({ success: true, sampleId: s.id, projectId, fileName: s.filename })),
      });
    },
  }),
  route({
    method: 'POST',
    path: '/api/{category}/data',
    operationId: 'ingestData',
    summary:
      'Legacy upload of one data acquisition document (application/json or application/cbor body; sample ' +
      'name in x-file-name). Answers the stored file name as text/plain; errors as text: 400, 401, 421 (header)',
    tags: ['Ingestion'],
    response: z.string(),
    security: ['ApiKeyAuthentication'],
    // Every answer of this endpoint is text, a 401 or a bad category too: it reads the key and the path
    // itself (the style's reader and contract errors answer JSON).
    auth: 'none',
    async handler({ params, request, deps }) {
      try {
        const { principal, projectId } = await ingestingKey(request, deps);
        const category = categoryOf(params);
        const options = headerOptions(request);
        const name = request.headers.get('x-file-name');
        if (!name) throw new IngestionError(421, 'Missing x-file-name header');
        const type = (request.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
        if (type !== 'application/json' && type !== 'application/cbor')
          throw new IngestionError(400, 'the body must be application/json or application/cbor');
        const body = await boundedBody(request, maxBytes(deps));
        const ext = type === 'application/cbor' ? '.cbor' : '.json';
        const fileName = /\.(json|cbor)$/i.test(name) ? name : `${name}${ext}`;
        const sample = await toSample(deps, projectId, category, options, fileName, type, body);
        const [stored] = await storeSamples(deps.db, principal, projectId, [sample], options);
        return new Response(stored!.filename, { status: 200, headers: { 'content-type': 'text/plain' } });
      } catch (error) {
        const { status, message } = statusOf(error);
        return new Response(message, { status, headers: { 'content-type': 'text/plain' } });
      }
    },
  }),
];

/** The ingestion service as a style of its own (`/ingestion/api/{category}/files|data`). */
export const edgeImpulseIngestionStyle: RestStyle = {
  basePath: INGESTION_BASE,
  routes: ingestionRoutes,
  authenticate: async (ctx) => (await ingestingKey(ctx.request, ctx.deps)).principal,
  errorResponse: (error) => {
    const { status, message } = statusOf(error);
    return json({ success: false, error: message }, status);
  },
  notFound: () => json({ success: false, error: 'Not found' }, 404),
};
