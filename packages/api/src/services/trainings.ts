import type { ArtifactStore, Db, Hyperparameters, ProblemType, ResourceKind } from '@trainhub/db';
import type { Principal } from '../auth/principal';
import { requireProject } from './access';
import { DomainError } from './errors';
import { createTraining, type ScheduleInput, type TaskSource } from './tasks';

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
 * resource, optionally with a preprocessing code resource. The architecture's JSON is copied into the task
 * definition as `spec: { format: 'mlw-architecture', architecture }`, so later edits of the file do not
 * change a queued or scheduled task.
 */
export async function trainFromArchitecture(
  deps: { db: Db; store: ArtifactStore },
  principal: Principal,
  input: ArchitectureTrainingInput,
) {
  await requireProject(deps.db, principal, input.projectId, 'EDITOR');
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
  fileOf(input.datasetResourceId, ['DATASET'], 'data resource');
  if (input.codeResourceId != null) fileOf(input.codeResourceId, ['CODE'], 'code resource');
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
  return createTraining(deps.db, principal, {
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
  });
}
