import type { ArtifactStore, Db, Hyperparameters, ProblemType, ResourceKind } from '@trainhub/db';
import type { Principal } from '../auth/principal';
import { requireProject } from './access';
import { DomainError } from './errors';
import { createCheckedTraining, type CreatedTraining, type ScheduleInput, type TaskSource } from './tasks';

export interface ArchitectureTrainingInput {
  projectId: number;
  architectureResourceId: number;
  datasetResourceId: number;
  codeResourceId?: number | null;
  problemType: ProblemType;
  modelName: string;
  hyperparameters: Hyperparameters;
  schedule?: ScheduleInput;
  source: TaskSource;
  /** The label column(s) of the CSV dataset; the last column when absent. */
  labelColumns?: string[];
  /** Inline preprocessing (e.g. `{ scaling: 'standardize' }`); a code resource takes its place. */
  preprocessing?: unknown;
}

/**
 * Trains the network described by an architecture resource (an `.architecture` JSON file) on a dataset
 * resource, optionally with a preprocessing code resource. The architecture's JSON is requested as
 * `spec: { format: 'mlw-architecture', architecture }` and stored translated into our architecture, so later
 * edits of the file do not change a queued or scheduled task. The project and the three files are read once
 * (createCheckedTraining does not read them again); the answer carries the project for presenting the task.
 * A `transfer` layer's base must be in `deps.pretrainedModelsDir` (PRETRAINED_MODELS_DIR), whose folder the
 * task records for the trainer (withBaseModels).
 * Errors: NOT_FOUND (project or file), FORBIDDEN (below editor), INVALID (wrong file kind, not JSON, a base
 * model missing from the store, or what the run would fail on).
 */
export async function trainFromArchitecture(
  deps: { db: Db; store: ArtifactStore; pretrainedModelsDir?: string | null },
  principal: Principal,
  input: ArchitectureTrainingInput,
): Promise<CreatedTraining> {
  const project = await requireProject(deps.db, principal, input.projectId, 'EDITOR');
  // The three files in one query (each checked as getResourceOfKind would: same answers, fewer queries).
  const files = await deps.db.resource.findMany({
    where: {
      id: {
        in: [input.architectureResourceId, input.datasetResourceId, input.codeResourceId].filter(
          (id): id is number => typeof id === 'number' && Number.isSafeInteger(id),
        ),
      },
      projectId: input.projectId,
      deletedAt: null,
    },
  });
  const fileOf = (id: number, kinds: ResourceKind[], what: string) => {
    const resource = files.find((f) => f.id === id);
    if (!resource) throw new DomainError('NOT_FOUND', `${what} not found`);
    if (!kinds.includes(resource.kind))
      throw new DomainError('INVALID', `${what} ${resource.name} is a ${resource.kind.toLowerCase()} file`);
    return resource;
  };
  const architecture = fileOf(input.architectureResourceId, ['ARCHITECTURE'], 'architecture resource');
  const resources = [architecture, fileOf(input.datasetResourceId, ['DATASET'], 'data resource')];
  if (input.codeResourceId != null) resources.push(fileOf(input.codeResourceId, ['CODE'], 'code resource'));
  let parsed: unknown;
  try {
    parsed = JSON.parse((await deps.store.get(architecture.storageKey)).toString('utf8'));
  } catch {
    throw new DomainError('INVALID', `the architecture file ${architecture.name} is not valid JSON`);
  }
  if (typeof parsed !== 'object' || parsed === null) {
    throw new DomainError(
      'INVALID',
      `the architecture file ${architecture.name} must hold a JSON object or array`,
    );
  }
  return createCheckedTraining(
    deps.db,
    principal,
    { project, resources },
    {
      projectId: input.projectId,
      name: input.modelName,
      source: input.source,
      definition: {
        version: 1,
        problemType: input.problemType,
        spec: { format: 'mlw-architecture', architecture: parsed },
        datasetResourceId: input.datasetResourceId,
        modelName: input.modelName,
        ...(input.labelColumns ? { labelColumns: input.labelColumns } : {}),
        ...(input.preprocessing !== undefined ? { preprocessing: input.preprocessing } : {}),
      },
      hyperparameters: input.hyperparameters,
      architectureResourceId: architecture.id,
      codeResourceId: input.codeResourceId ?? null,
      schedule: input.schedule,
      store: deps.store,
      // An architecture's `transfer` layers load their base from here: checked now and recorded on the task.
      modelStore: deps.pretrainedModelsDir ?? null,
    },
  );
}
