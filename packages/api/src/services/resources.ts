import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import { ArtifactTooLargeError, type ArtifactStore, type Db, type ResourceKind } from '@trainhub/db';
import { unzipSync } from 'fflate';
import {
  isMlInputError,
  parseJsonResource,
  parsePreprocessing,
  summarizeData,
  type DataSummary,
} from '@trainhub/ml/validate';
import type { Principal } from '../auth/principal';
import { requireProject } from './access';
import { DomainError } from './errors';
import { CODE_ERROR_KEY, PREPROCESSING_KEY, SUMMARY_KEY } from './training-validation';

export interface StoreDeps {
  db: Db;
  store: ArtifactStore;
  /** Largest accepted upload, in bytes. */
  uploadLimitBytes: number;
}

/**
 * A safe display name for an uploaded file: the last path segment of whatever the client sent (so
 * `../../etc/passwd` becomes `passwd`), without control characters, at most 200 characters. The name is
 * only ever metadata: storage keys are made by the platform.
 */
export function sanitizeFileName(raw: string): string {
  const last = raw.split(/[/\\]/).pop() ?? '';
  const cleaned = [...last]
    .filter((ch) => ch.charCodeAt(0) > 0x1f && ch.charCodeAt(0) !== 0x7f)
    .join('')
    .trim()
    .replace(/^\.+/, '');
  return cleaned.slice(-200) || 'file';
}

/** The resource kind a file name implies (MLW groups: data, code, model, NN architecture). */
export function kindFromName(name: string): ResourceKind {
  const lower = name.toLowerCase();
  if (lower.endsWith('.architecture')) return 'ARCHITECTURE';
  if (/\.(csv|json|tsv|txt)$/.test(lower)) return 'DATASET';
  if (/\.(py|code|preprocessing|pmml)$/.test(lower)) return 'CODE';
  if (/\.(zip|onnx|h5|bin|model)$/.test(lower)) return 'MODEL';
  return 'OTHER';
}

/** Largest code resource whose preprocessing JSON is kept in the metadata (bigger ones are read when used). */
const CODE_METADATA_MAX_BYTES = 256 * 1024;

/** What an upload turned out to be: its kind (after the checks) and what is kept about it. */
interface UploadCheck {
  kind: ResourceKind;
  metadata: Record<string, unknown>;
}

/**
 * Checks a stored upload by its content. A dataset (by name, or declared by the caller) must parse as CSV
 * with a header, at least one data row and two columns, or as JSON data: else INVALID naming why (a `.txt`
 * that is not data is kept as a plain file instead). Its data summary (rows, columns with their types,
 * missing cells, classes with counts) goes into the metadata. A model must be a model archive this platform
 * wrote (zip with model.json, weights.bin and metadata.json of format trainhub.model); any other file is kept
 * as a plain resource (OTHER) that is never offered for training. A code resource's preprocessing JSON (or why
 * it is not one, e.g. Python) is kept for the training check.
 */
async function checkUpload(
  store: ArtifactStore,
  stored: { key: string; size: number },
  file: { name: string; contentType: string | null; declared?: ResourceKind },
): Promise<UploadCheck> {
  const kind = file.declared ?? kindFromName(file.name);
  const lower = file.name.toLowerCase();
  if (kind === 'DATASET') {
    let summary: DataSummary;
    try {
      summary = await summarizeData(await store.stream(stored.key), file);
      // A one-column text file is prose, not a table (a one-column .csv is data the training check refuses).
      if (
        summary.format === 'csv' &&
        summary.columns.length < 2 &&
        !file.declared &&
        lower.endsWith('.txt')
      ) {
        throw new DomainError(
          'INVALID',
          `it has one column ("${summary.columns[0]?.name.slice(0, 60)}"): a dataset needs feature columns and a label column, separated by commas, semicolons or tabs`,
        );
      }
    } catch (error) {
      const reason = isMlInputError(error) || error instanceof DomainError ? error.message : null;
      if (reason === null) throw error;
      // A plain-text file that is not a table stays a plain file; a .csv, .json or declared dataset must be data.
      if (!file.declared && lower.endsWith('.txt')) return { kind: 'OTHER', metadata: { notData: reason } };
      throw new DomainError('INVALID', `${file.name} is not a dataset: ${reason}`);
    }
    return { kind, metadata: { [SUMMARY_KEY]: summary } };
  }
  if (kind === 'MODEL') {
    const reason = await modelArchiveProblem(store, stored.key);
    return reason
      ? { kind: 'OTHER', metadata: { notModel: reason } }
      : { kind, metadata: { format: 'tfjs-layers+zip' } };
  }
  if (kind === 'CODE' && stored.size <= CODE_METADATA_MAX_BYTES) {
    try {
      const json = parseJsonResource(await store.get(stored.key), `code resource ${file.name}`);
      parsePreprocessing(json);
      return { kind, metadata: { [PREPROCESSING_KEY]: json } };
    } catch (error) {
      if (!isMlInputError(error)) throw error;
      return { kind, metadata: { [CODE_ERROR_KEY]: error.message } };
    }
  }
  return { kind, metadata: {} };
}

/** Why a stored file is not a model archive this platform wrote, or null when it is one. */
async function modelArchiveProblem(store: ArtifactStore, key: string): Promise<string | null> {
  const bytes = await store.get(key);
  if (bytes.length < 4 || bytes.readUInt32LE(0) !== 0x04034b50) return 'not a zip archive';
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(bytes, { filter: (f) => f.name === 'metadata.json' || f.name === 'model.json' });
  } catch {
    return 'a damaged zip archive';
  }
  const names = Object.keys(files);
  if (!names.includes('model.json') || !names.includes('metadata.json'))
    return 'a zip without model.json and metadata.json (not a model this platform trained)';
  try {
    const metadata = JSON.parse(Buffer.from(files['metadata.json']!).toString('utf8')) as {
      format?: unknown;
    };
    if (metadata.format !== 'trainhub.model') return 'metadata.json is not of format trainhub.model';
  } catch {
    return 'metadata.json is not JSON';
  }
  return null;
}

export interface IncomingFile {
  /** The multipart field the file came in. */
  field: string;
  /** The name the client gave (sanitized before use). */
  name: string;
  contentType: string | null;
  body: Readable | Buffer;
  /** True when the transport cut the file at the upload limit. */
  truncated?: () => boolean;
  kind?: ResourceKind;
  metadata?: Record<string, unknown>;
}

/**
 * Streams files into the artifact store (never more than the upload limit each) and records them as
 * Resources in one transaction. The caller's right to write is checked before any byte is read. A
 * too-large, failed or partial upload leaves neither bytes nor rows behind.
 */
export async function uploadResources(
  deps: StoreDeps,
  principal: Principal,
  projectId: number,
  files: AsyncIterable<IncomingFile> | Iterable<IncomingFile>,
) {
  await requireProject(deps.db, principal, projectId, 'EDITOR');
  const staged: {
    file: IncomingFile;
    name: string;
    key: string;
    size: number;
    contentHash: string;
    check: UploadCheck;
  }[] = [];
  const discard = () => Promise.all(staged.map((s) => deps.store.delete(s.key).catch(() => undefined)));
  try {
    for await (const file of files) {
      const name = sanitizeFileName(file.name);
      const key = `projects/${projectId}/resources/${randomUUID()}`;
      try {
        const stored = await deps.store.put(key, file.body, { maxBytes: deps.uploadLimitBytes });
        staged.push({
          file,
          name,
          key,
          size: stored.size,
          contentHash: stored.contentHash,
          check: { kind: 'OTHER', metadata: {} },
        });
      } catch (error) {
        if (error instanceof ArtifactTooLargeError) throw tooLarge(deps.uploadLimitBytes);
        throw error;
      }
      if (file.truncated?.()) throw tooLarge(deps.uploadLimitBytes);
      const last = staged[staged.length - 1]!;
      last.check = await checkUpload(deps.store, last, {
        name,
        contentType: file.contentType,
        ...(file.kind ? { declared: file.kind } : {}),
      });
    }
    return await deps.db.$transaction(
      staged.map((s) =>
        deps.db.resource.create({
          data: {
            projectId,
            kind: s.check.kind,
            name: s.name,
            contentType: s.file.contentType?.slice(0, 200) ?? null,
            size: s.size,
            contentHash: s.contentHash,
            storageKey: s.key,
            metadata: (Object.keys(s.check.metadata).length || s.file.metadata
              ? { ...s.file.metadata, ...s.check.metadata }
              : undefined) as never,
            createdById: principal.userId,
          },
        }),
      ),
    );
  } catch (error) {
    await discard();
    throw error;
  }
}

/** One file: see uploadResources. */
export async function uploadResource(
  deps: StoreDeps,
  principal: Principal,
  projectId: number,
  file: Omit<IncomingFile, 'field'>,
) {
  const [resource] = await uploadResources(deps, principal, projectId, [{ field: 'file', ...file }]);
  return resource!;
}

function tooLarge(limit: number) {
  return new DomainError('TOO_LARGE', `the file is larger than the upload limit of ${limit} bytes`);
}

export function listResources(db: Db, principal: Principal, projectId: number, kind?: ResourceKind) {
  return requireProject(db, principal, projectId, 'VIEWER').then(() =>
    db.resource.findMany({
      where: { projectId, deletedAt: null, ...(kind ? { kind } : {}) },
      orderBy: { id: 'desc' },
      take: 1000,
    }),
  );
}

export async function getResource(db: Db, principal: Principal, projectId: number, resourceId: number) {
  await requireProject(db, principal, projectId, 'VIEWER');
  const resource = Number.isSafeInteger(resourceId)
    ? await db.resource.findFirst({ where: { id: resourceId, projectId, deletedAt: null } })
    : null;
  if (!resource) throw new DomainError('NOT_FOUND', 'resource not found');
  return resource;
}

/** A resource of the project by id, checked to be of one of the expected kinds. */
export async function getResourceOfKind(
  db: Db,
  principal: Principal,
  projectId: number,
  resourceId: number,
  kinds: ResourceKind[],
  what: string,
) {
  const resource = await getResource(db, principal, projectId, resourceId).catch((error: unknown) => {
    if (error instanceof DomainError && error.code === 'NOT_FOUND')
      throw new DomainError('NOT_FOUND', `${what} not found`);
    throw error;
  });
  if (!kinds.includes(resource.kind)) {
    throw new DomainError('INVALID', `${what} ${resource.name} is a ${resource.kind.toLowerCase()} file`);
  }
  return resource;
}

export async function openResource(
  deps: { db: Db; store: ArtifactStore },
  principal: Principal,
  projectId: number,
  resourceId: number,
) {
  const resource = await getResource(deps.db, principal, projectId, resourceId);
  return { resource, stream: await deps.store.stream(resource.storageKey) };
}

export async function readResource(
  deps: { db: Db; store: ArtifactStore },
  principal: Principal,
  projectId: number,
  resourceId: number,
) {
  const resource = await getResource(deps.db, principal, projectId, resourceId);
  return { resource, bytes: await deps.store.get(resource.storageKey) };
}

/** Soft-deletes the row (tasks keep their history); the bytes are removed. */
export async function deleteResource(
  deps: { db: Db; store: ArtifactStore },
  principal: Principal,
  projectId: number,
  resourceId: number,
) {
  await requireProject(deps.db, principal, projectId, 'ADMIN');
  const resource = await getResource(deps.db, principal, projectId, resourceId);
  await deps.db.resource.update({ where: { id: resource.id }, data: { deletedAt: new Date() } });
  await deps.store.delete(resource.storageKey).catch(() => undefined);
  return resource;
}
