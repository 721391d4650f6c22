import { unzipSync } from 'fflate';
import type { ArtifactStore, Db, ModelJob, Prisma, Resource } from '@trainhub/db';
import type { ModelMetadata } from '@trainhub/ml';
import { modelSignature, type ModelSignature } from '@trainhub/ml/predict';
import { atLeast, roleIn, type Principal } from '../auth/principal';
import { requireProject } from './access';
import { DomainError } from './errors';

type MlModule = typeof import('@trainhub/ml');
/**
 * The training core, loaded on first use: TensorFlow.js stays out of processes (and pages) that never
 * predict. The specifier is not a literal so that the web app's bundler leaves the package (TensorFlow.js and
 * its wasm worker files) out of its chunks: Node loads it at run time, as every process here runs under tsx.
 */
const ML_PACKAGE = '@trainhub/ml';
let mlModule: Promise<MlModule> | undefined;
export const loadMl = (): Promise<MlModule> =>
  (mlModule ??= import(
    /* webpackIgnore: true */ /* turbopackIgnore: true */ ML_PACKAGE
  ) as Promise<MlModule>);

// The model registry: a project's trained models grouped by name (a training's model name), each trained
// model (a MODEL resource) one version with its run, dataset, architecture, hyperparameters and metrics, and
// at most one version per name marked as the deployed one (ModelDeployment; see predictions.ts deploy).

/** One version of a model: a MODEL resource and, when a training made it, its run and task. */
export interface ModelVersion {
  /** The MODEL resource id: what every prediction call names. */
  resourceId: number;
  /** Registry name: the training's model name (else its task name; an uploaded model: its file name). */
  name: string;
  /** 1-based, by creation within the name. */
  version: number;
  fileName: string;
  size: number;
  createdAt: Date;
  deployed: boolean;
  run: {
    executionId: number;
    taskId: number;
    taskName: string;
    status: string;
    source: string;
    backend: string | null;
    finishedAt: Date | null;
    /** Validation metrics of the run (loss, accuracy, confusion matrix, report; or mse, mae, r2). */
    metrics: unknown;
  } | null;
  problemType: string | null;
  datasetResourceId: number | null;
  architectureResourceId: number | null;
  hyperparameters: unknown;
}

/** A registry entry: a name with its versions and the deployed one. */
export interface RegisteredModel {
  name: string;
  versions: number;
  latest: ModelVersion;
  deployed: { version: number; resourceId: number } | null;
}

const MAX_MODELS = 1000;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The registry name of a model resource: its training's modelName, else the task name, else the file name. */
export function registryName(
  resource: Pick<Resource, 'name'>,
  task: { name: string; definition: Prisma.JsonValue } | null,
): string {
  if (task) {
    const def = task.definition;
    if (isRecord(def) && typeof def.modelName === 'string' && def.modelName) return def.modelName;
    return task.name;
  }
  return resource.name.replace(/\.zip$/i, '') || resource.name;
}

/** Every version of every model of a project, oldest first (version numbers assigned). */
async function readVersions(db: Db, projectId: number): Promise<ModelVersion[]> {
  const [resources, deployments] = await Promise.all([
    db.resource.findMany({
      where: { projectId, kind: 'MODEL', deletedAt: null },
      orderBy: { id: 'asc' },
      take: MAX_MODELS,
      include: { producedBy: { include: { task: true } } },
    }),
    db.modelDeployment.findMany({ where: { projectId }, select: { modelResourceId: true } }),
  ]);
  const deployed = new Set(deployments.map((d) => d.modelResourceId));
  const counts = new Map<string, number>();
  return resources.map((r) => {
    const run = r.producedBy;
    const task = run?.task ?? null;
    const name = registryName(r, task);
    const version = (counts.get(name) ?? 0) + 1;
    counts.set(name, version);
    const def = isRecord(task?.definition) ? task.definition : {};
    return {
      resourceId: r.id,
      name,
      version,
      fileName: r.name,
      size: r.size,
      createdAt: r.createdAt,
      deployed: deployed.has(r.id),
      run:
        run && task
          ? {
              executionId: run.id,
              taskId: task.id,
              taskName: task.name,
              status: run.status,
              source: task.source,
              backend: run.backend,
              finishedAt: run.finishedAt,
              metrics: run.metrics,
            }
          : null,
      problemType: typeof def.problemType === 'string' ? def.problemType : null,
      datasetResourceId:
        typeof def.datasetResourceId === 'number' ? def.datasetResourceId : (task?.datasetResourceId ?? null),
      architectureResourceId: task?.architectureResourceId ?? null,
      hyperparameters: task?.hyperparameters ?? null,
    };
  });
}

/** The models of a project by name, most recently trained first. Needs the viewer role. */
export async function listModels(
  db: Db,
  principal: Principal,
  projectId: number,
): Promise<RegisteredModel[]> {
  await requireProject(db, principal, projectId, 'VIEWER');
  const byName = new Map<string, ModelVersion[]>();
  for (const v of await readVersions(db, projectId)) {
    const list = byName.get(v.name) ?? [];
    list.push(v);
    byName.set(v.name, list);
  }
  return [...byName.entries()]
    .map(([name, versions]) => {
      const d = versions.find((v) => v.deployed);
      return {
        name,
        versions: versions.length,
        latest: versions[versions.length - 1]!,
        deployed: d ? { version: d.version, resourceId: d.resourceId } : null,
      };
    })
    .sort((a, b) => b.latest.resourceId - a.latest.resourceId);
}

/** The versions of one model name, newest first. NOT_FOUND for a name the project does not have. */
export async function listVersions(
  db: Db,
  principal: Principal,
  projectId: number,
  name: string,
): Promise<ModelVersion[]> {
  await requireProject(db, principal, projectId, 'VIEWER');
  const versions = (await readVersions(db, projectId)).filter((v) => v.name === name).reverse();
  if (versions.length === 0) throw new DomainError('NOT_FOUND', `model "${name}" not found`);
  return versions;
}

/**
 * The MODEL resource `resourceId` of the project, for a caller with at least `min`. Another team's model, a
 * deleted one and an unknown id all answer NOT_FOUND ("model not found"); a resource that is not a model
 * answers INVALID.
 */
export async function requireModelResource(
  db: Db,
  principal: Principal,
  projectId: number,
  resourceId: number,
  min: 'VIEWER' | 'EDITOR' | 'ADMIN' = 'VIEWER',
): Promise<Resource> {
  // One query on the hot path (every prediction): the resource with its project; the project's access rule
  // (requireProject's) is applied to the row read. Without a row, requireProject answers as it always does.
  const found =
    Number.isSafeInteger(resourceId) && Number.isSafeInteger(projectId)
      ? await db.resource.findFirst({
          where: { id: resourceId, projectId, deletedAt: null, project: { deletedAt: null } },
          include: { project: true },
        })
      : null;
  if (!found) {
    await requireProject(db, principal, projectId, min);
    throw new DomainError('NOT_FOUND', 'model not found');
  }
  const { project, ...resource } = found;
  const role = roleIn(principal, project.teamId, project.id);
  if (role === null) throw new DomainError('NOT_FOUND', 'project not found');
  if (!atLeast(role, min)) throw new DomainError('FORBIDDEN', `this needs the ${min.toLowerCase()} role`);
  if (resource.kind !== 'MODEL')
    throw new DomainError(
      'INVALID',
      `resource ${resource.name} is a ${resource.kind.toLowerCase()} file, not a model`,
    );
  return resource;
}

/** The files of a stored model zip (all of them, or those `wanted`); INVALID when it is not a zip. */
export function unzipModel(resource: Pick<Resource, 'name'>, bytes: Uint8Array, wanted?: string[]) {
  try {
    return unzipSync(bytes, wanted ? { filter: (f) => wanted.includes(f.name) } : {});
  } catch {
    throw new DomainError('INVALID', `model ${resource.name} is not a zip of a trained model`);
  }
}

/** metadata.json of a stored model (INVALID when the file is not a Trainhub model). */
export async function readModelMetadata(store: ArtifactStore, resource: Resource): Promise<ModelMetadata> {
  const files = unzipModel(resource, new Uint8Array(await store.get(resource.storageKey)), ['metadata.json']);
  const bytes = files['metadata.json'];
  let metadata: unknown;
  try {
    metadata = bytes ? JSON.parse(new TextDecoder().decode(bytes)) : null;
  } catch {
    metadata = null;
  }
  if (!isRecord(metadata) || metadata.format !== 'trainhub.model' || !isRecord(metadata.preprocessing)) {
    throw new DomainError(
      'INVALID',
      `model ${resource.name} has no Trainhub metadata.json (it cannot predict here)`,
    );
  }
  return metadata as unknown as ModelMetadata;
}

/**
 * One version with what the Models page shows: its signature (features, classes) and its model tests
 * (finished EVALUATE jobs, newest first) next to the run's validation metrics.
 */
export async function getModelVersion(
  deps: { db: Db; store: ArtifactStore },
  principal: Principal,
  projectId: number,
  resourceId: number,
): Promise<ModelVersion & { signature: ModelSignature; tests: ModelJob[] }> {
  const resource = await requireModelResource(deps.db, principal, projectId, resourceId);
  const [versions, metadata, tests] = await Promise.all([
    readVersions(deps.db, projectId),
    readModelMetadata(deps.store, resource),
    deps.db.modelJob.findMany({
      where: { projectId, modelResourceId: resourceId, kind: 'EVALUATE', status: 'COMPLETED' },
      orderBy: { id: 'desc' },
      take: 50,
    }),
  ]);
  const version = versions.find((v) => v.resourceId === resourceId);
  if (!version) throw new DomainError('NOT_FOUND', 'model not found');
  return { ...version, signature: modelSignature(metadata), tests };
}
