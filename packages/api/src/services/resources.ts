import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import { ArtifactTooLargeError, type ArtifactStore, type Db, type ResourceKind } from '@trainhub/db';
import type { Principal } from '../auth/principal';
import { requireProject } from './access';
import { DomainError } from './errors';

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
  const staged: { file: IncomingFile; name: string; key: string; size: number; contentHash: string }[] = [];
  const discard = () => Promise.all(staged.map((s) => deps.store.delete(s.key).catch(() => undefined)));
  try {
    for await (const file of files) {
      const name = sanitizeFileName(file.name);
      const key = `projects/${projectId}/resources/${randomUUID()}`;
      try {
        const stored = await deps.store.put(key, file.body, { maxBytes: deps.uploadLimitBytes });
        staged.push({ file, name, key, size: stored.size, contentHash: stored.contentHash });
      } catch (error) {
        if (error instanceof ArtifactTooLargeError) throw tooLarge(deps.uploadLimitBytes);
        throw error;
      }
      if (file.truncated?.()) throw tooLarge(deps.uploadLimitBytes);
    }
    return await deps.db.$transaction(
      staged.map((s) =>
        deps.db.resource.create({
          data: {
            projectId,
            kind: s.file.kind ?? kindFromName(s.name),
            name: s.name,
            contentType: s.file.contentType?.slice(0, 200) ?? null,
            size: s.size,
            contentHash: s.contentHash,
            storageKey: s.key,
            metadata: (s.file.metadata ?? undefined) as never,
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
