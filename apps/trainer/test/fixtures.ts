import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import {
  LocalArtifactStore,
  type Db,
  type Hyperparameters,
  type Prisma,
  type StyleTrainingDefinition,
} from '@trainhub/db';
import { normalizeDefinition } from '@trainhub/ml';
import type { RunContext } from '../src/runner';

export const silentLog = pino({ level: 'silent' });

/** Three well-separated classes in 4 numeric features, from a seeded generator. */
export function blobsCsv(rows: number, seed = 1): string {
  let state = seed >>> 0;
  const rand = () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
  const lines = ['a,b,c,d,label'];
  for (let i = 0; i < rows; i++) {
    const k = i % 3;
    const features = [0, 1, 2, 3].map((j) => (k * 3 + (j === k ? 2 : 0) + rand()).toFixed(3));
    lines.push(`${features.join(',')},class_${k}`);
  }
  return `${lines.join('\n')}\n`;
}

export function tempStore(): { dir: string; store: LocalArtifactStore } {
  const dir = mkdtempSync(join(tmpdir(), 'trainhub-artifacts-'));
  return { dir, store: new LocalArtifactStore(dir) };
}

export const tinySpec = { layers: [{ type: 'dense', units: 8, activation: 'relu' }] };

export async function seedProject(db: Db) {
  const team = await db.team.create({
    data: { name: 'Lab', slug: `lab-${Math.random().toString(36).slice(2)}` },
  });
  const project = await db.project.create({ data: { teamId: team.id, name: 'Blobs' } });
  return { team, project };
}

export async function addDataset(
  db: Db,
  store: LocalArtifactStore,
  projectId: number,
  csv: string,
  name = 'blobs.csv',
) {
  const key = `projects/${projectId}/resources/${Date.now()}-${Math.random().toString(36).slice(2)}-${name}`;
  const stored = await store.put(key, Buffer.from(csv));
  return db.resource.create({
    data: {
      projectId,
      kind: 'DATASET',
      name,
      contentType: 'text/csv',
      size: stored.size,
      contentHash: stored.contentHash,
      storageKey: key,
    },
  });
}

export async function queueTraining(
  db: Db,
  input: {
    projectId: number;
    datasetResourceId: number;
    spec?: unknown;
    hyperparameters?: Partial<Hyperparameters>;
    definition?: Partial<StyleTrainingDefinition>;
    count?: number;
    /**
     * Store the definition as a row written before definitions were normalized at request time (version 1,
     * the model in a style's dialect); by default it is stored normalized, as createTraining does.
     */
    legacyRow?: boolean;
  },
) {
  const request: StyleTrainingDefinition = {
    version: 1,
    problemType: 'classification',
    spec: input.spec ?? tinySpec,
    datasetResourceId: input.datasetResourceId,
    ...input.definition,
  };
  const definition = input.legacyRow ? request : normalizeDefinition(request);
  const hyperparameters: Hyperparameters = {
    epochs: 3,
    batchSize: 16,
    seed: 7,
    testSize: 0.2,
    ...input.hyperparameters,
  };
  const task = await db.task.create({
    data: {
      projectId: input.projectId,
      name: 'blobs',
      source: 'test',
      definition: definition as Prisma.InputJsonValue,
      hyperparameters,
    },
  });
  const executions = [];
  for (let i = 0; i < (input.count ?? 1); i++) {
    executions.push(await db.execution.create({ data: { taskId: task.id, projectId: input.projectId } }));
  }
  return { task, executions };
}

export function runContext(
  db: Db,
  store: LocalArtifactStore,
  overrides: Partial<RunContext> = {},
): RunContext {
  return {
    db,
    store,
    log: silentLog,
    trainerId: 'test-trainer',
    leaseMs: 10_000,
    pollMs: 100,
    maxAttempts: 3,
    backend: 'cpu',
    shuttingDown: () => false,
    ...overrides,
  };
}

export async function waitFor<T>(
  probe: () => Promise<T | null | undefined | false>,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 50));
  }
}
