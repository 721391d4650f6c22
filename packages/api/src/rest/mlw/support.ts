import { randomUUID } from 'node:crypto';
import type { ArtifactStore, Db, Execution, Prisma, Resource } from '@trainhub/db';
import { layerSchema, modelSpecSchema } from '@trainhub/ml/spec';
import { z } from 'zod';
import type { Principal } from '../../auth/principal';
import { defaultTeamFor, requireProject } from '../../services/access';
import { previewCsv } from '../../services/csv-preview';
import { getResource, uploadResource } from '../../services/resources';
import { extensionOf, type MlwResourceMeta, type RunExtras } from './present';

// What the MLW skin needs beyond the domain services: its own error kinds, the files the NN designer
// creates and saves, the `properties` MLW shows for data files, and the extra rows the task presenter reads.

/** An MLW error answer with the reference's own `exception` text (fidelity §1), e.g. 409 "Project Exist". */
export class MlwError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly exception: string,
  ) {
    super(message);
  }
}

/** MLW's "Variable issue" 400 naming the field (`info[].loc`), as for createnew and save. */
export class MlwVariableIssue extends Error {
  constructor(
    readonly loc: string[],
    readonly msg: string,
  ) {
    super('Variable issue');
  }
}

/** 409 `Project Name already exist` when the team already has a project of that name (fidelity §1 #2, #3). */
export async function assertProjectNameFree(
  db: Db,
  principal: Principal,
  name: string,
  existing?: { id: number; teamId: number },
): Promise<void> {
  const teamId = existing?.teamId ?? defaultTeamFor(principal, 'EDITOR');
  const clash = await db.project.findFirst({
    where: {
      teamId,
      name: name.trim(),
      deletedAt: null,
      ...(existing ? { id: { not: existing.id } } : {}),
    },
    select: { id: true },
  });
  if (!clash) return;
  throw existing
    ? new MlwError(409, 'Project Name already exist for another project', 'Project Name Exist')
    : new MlwError(409, 'Project Name already exist', 'Project Exist');
}

/** Largest data file whose `properties` are computed at upload (bigger ones show none). */
const PROPERTIES_MAX_BYTES = 8 * 1024 * 1024;

/**
 * MLW's `properties` of a data file: CSV numberOfRows, numberOfColumns, columnNames; JSON numberOfobjects,
 * keysInJson (fidelity §2). Null for other files or text that does not parse.
 */
export function dataProperties(name: string, text: string): MlwResourceMeta['mlwProperties'] | null {
  const extension = extensionOf(name);
  if (extension === '.csv') {
    const csv = previewCsv(text, { maxRows: 0, complete: true });
    if (!csv) return null;
    return [
      { key: 'numberOfRows', label: 'Number of Rows', value: csv.rowCount },
      { key: 'numberOfColumns', label: 'Number of Columns', value: csv.header.length },
      { key: 'columnNames', label: 'Column Names', value: csv.header },
    ];
  }
  if (extension === '.json') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return null;
    }
    const objects = Array.isArray(parsed) ? parsed : [parsed];
    const first = objects.find((o) => typeof o === 'object' && o !== null && !Array.isArray(o)) as
      Record<string, unknown> | undefined;
    return [
      { key: 'numberOfobjects', label: 'Number of Objects', value: objects.length },
      { key: 'keysInJson', label: 'Keys in JSON', value: first ? Object.keys(first) : [] },
    ];
  }
  return null;
}

/** Records the `properties` of freshly uploaded data files in their metadata (best effort: a bad file has none). */
export async function recordDataProperties(
  deps: { db: Db; store: ArtifactStore },
  resources: Resource[],
): Promise<Resource[]> {
  return Promise.all(
    resources.map(async (resource) => {
      if (resource.kind !== 'DATASET' || resource.size > PROPERTIES_MAX_BYTES) return resource;
      if (!['.csv', '.json'].includes(extensionOf(resource.name))) return resource;
      let properties: MlwResourceMeta['mlwProperties'] | null;
      try {
        properties = dataProperties(
          resource.name,
          (await deps.store.get(resource.storageKey)).toString('utf8'),
        );
      } catch {
        return resource; // a file that cannot be read as text has no properties; the upload stands
      }
      if (!properties) return resource;
      const metadata = { ...((resource.metadata ?? {}) as object), mlwProperties: properties };
      return deps.db.resource.update({
        where: { id: resource.id },
        data: { metadata: metadata as Prisma.InputJsonValue },
      });
    }),
  );
}

/** The NN designer's templates, in the platform's architecture format (packages/ml README, "Model spec"). */
const ARCHITECTURE_TEMPLATES: Record<string, object> = {
  none: {
    format: 'trainhub.architecture',
    version: 1,
    layers: [
      { type: 'dense', units: 32, activation: 'relu' },
      { type: 'dense', units: 16, activation: 'relu' },
    ],
  },
  mobilenet: {
    format: 'trainhub.architecture',
    version: 1,
    layers: [
      { type: 'transfer', model: 'MobileNet', trainable: false },
      { type: 'flatten' },
      { type: 'dense', units: 64, activation: 'relu' },
    ],
  },
};

/**
 * The preprocessing template: the platform's declarative preprocessing (packages/ml `preprocessingSchema`:
 * scaling, missing cells, target, test split...), which is also a Python dict literal.
 */
const PREPROCESSING_TEMPLATE = `{"version": 1, "scaling": "standardize", "missing": "drop"}\n`;

/**
 * `createnew` (fidelity §1 #11, §5): an `.architecture` file from a template (`None` or `MobileNet`) or a
 * `.py` preprocessing file, stored as a new resource of the project. The extension is added when missing.
 */
export async function createFromTemplate(
  deps: { db: Db; store: ArtifactStore; uploadLimitBytes: number },
  principal: Principal,
  projectId: number,
  body: { type: 'arch' | 'architecture' | 'py'; name: string; template?: string | null },
): Promise<Resource> {
  const architecture = body.type !== 'py';
  const extension = architecture ? '.architecture' : '.py';
  const name = body.name.toLowerCase().endsWith(extension) ? body.name : `${body.name}${extension}`;
  let content = PREPROCESSING_TEMPLATE;
  if (architecture) {
    const template = ARCHITECTURE_TEMPLATES[(body.template ?? 'None').toLowerCase()];
    if (!template)
      throw new MlwVariableIssue(['template'], `unknown template; permitted: 'None', 'MobileNet'`);
    content = `${JSON.stringify({ ...template, name: name.slice(0, -extension.length) }, null, 2)}\n`;
  }
  return uploadResource(deps, principal, projectId, {
    name,
    contentType: architecture ? 'application/ARCHITECTURE' : 'application/CODE',
    body: Buffer.from(content),
    kind: architecture ? 'ARCHITECTURE' : 'CODE',
  });
}

/** An architecture the training core accepts: our spec without `input` (taken from the data), or a layer list. */
const architectureContentSchema = z.union([
  modelSpecSchema.partial({ input: true }),
  z.array(layerSchema).max(200),
]);

/** Largest file `preview` returns whole. */
export const PREVIEW_MAX_BYTES = 4 * 1024 * 1024;

/** `preview`: a text file's content (data, code, architecture); models and big files are refused. */
export async function previewText(
  deps: { db: Db; store: ArtifactStore },
  principal: Principal,
  projectId: number,
  resourceId: number,
): Promise<string> {
  const resource = await getResource(deps.db, principal, projectId, resourceId);
  if (!['DATASET', 'CODE', 'ARCHITECTURE'].includes(resource.kind))
    throw new MlwError(409, 'Preview is not available for this file type', 'Preview not supported');
  if (resource.size > PREVIEW_MAX_BYTES)
    throw new MlwError(409, `File is larger than ${PREVIEW_MAX_BYTES} bytes`, 'Preview not supported');
  return (await deps.store.get(resource.storageKey)).toString('utf8');
}

/**
 * `save` (fidelity §1 #15): replaces the text of a code or architecture file. An architecture must parse as
 * the platform's format (else a "Variable issue" 400 naming the field). The new bytes are stored under a new
 * key before the row points at them, so a failed save leaves the old file; queued trainings keep the
 * architecture they copied when they were created.
 */
export async function saveText(
  deps: { db: Db; store: ArtifactStore; uploadLimitBytes: number },
  principal: Principal,
  projectId: number,
  resourceId: number,
  content: string,
  now = new Date(),
): Promise<Resource> {
  await requireProject(deps.db, principal, projectId, 'EDITOR');
  const resource = await getResource(deps.db, principal, projectId, resourceId);
  if (resource.kind !== 'CODE' && resource.kind !== 'ARCHITECTURE')
    throw new MlwError(409, 'Only code and architecture files can be saved', 'File type not supported');
  if (resource.kind === 'ARCHITECTURE') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(content);
    } catch {
      throw new MlwVariableIssue(['content'], 'the architecture is not valid JSON');
    }
    const checked = architectureContentSchema.safeParse(parsed);
    if (!checked.success) {
      const issue = checked.error.issues[0]!;
      throw new MlwVariableIssue(['content', ...issue.path.map(String)], issue.message);
    }
  }
  const key = `projects/${projectId}/resources/${randomUUID()}`;
  const stored = await deps.store.put(key, Buffer.from(content, 'utf8'), {
    maxBytes: deps.uploadLimitBytes,
  });
  const metadata = { ...((resource.metadata ?? {}) as object), mlwEditedAt: now.toISOString() };
  try {
    const updated = await deps.db.resource.update({
      where: { id: resource.id },
      data: {
        storageKey: key,
        size: stored.size,
        contentHash: stored.contentHash,
        metadata: metadata as Prisma.InputJsonValue,
      },
    });
    await deps.store.delete(resource.storageKey).catch(() => undefined);
    return updated;
  } catch (error) {
    await deps.store.delete(key).catch(() => undefined);
    throw error;
  }
}

/** The non-deleted resources of a project (every kind; the presenter keeps MLW's). */
export function projectResources(db: Db, projectId: number) {
  return db.resource.findMany({ where: { projectId, deletedAt: null }, orderBy: { id: 'desc' }, take: 1000 });
}

/**
 * Stage entry times (the last STAGE event of each stage) and stored model names of these runs. Reads only
 * what is there to show (runs with stages, runs with a model): a queued run's status read stays at the two
 * plain SQL reads of `status-reads.ts`.
 */
export async function loadRunExtras(db: Db, executions: Execution[]): Promise<RunExtras> {
  const ids = executions
    .filter((e) => e.stageLog && Object.keys(e.stageLog as object).length > 0)
    .map((e) => e.id);
  const modelIds = executions.map((e) => e.modelResourceId).filter((id): id is number => id !== null);
  const [events, models] = await Promise.all([
    ids.length
      ? db.executionEvent.findMany({
          where: { executionId: { in: ids }, kind: 'STAGE' },
          select: { executionId: true, message: true, createdAt: true },
          orderBy: { seq: 'asc' },
        })
      : [],
    modelIds.length
      ? db.resource.findMany({ where: { id: { in: modelIds } }, select: { id: true, name: true } })
      : [],
  ]);
  const stageTimes = new Map<number, Map<string, Date>>();
  for (const event of events) {
    if (!event.message) continue;
    let times = stageTimes.get(event.executionId);
    if (!times) stageTimes.set(event.executionId, (times = new Map()));
    times.set(event.message, event.createdAt);
  }
  return { stageTimes, modelNames: new Map(models.map((m) => [m.id, m.name])) };
}
