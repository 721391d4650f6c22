import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, testProviders, type TestDatabase } from '@trainhub/db/testing';
import { normalizedTrainingDefinitionSchema } from '@trainhub/db';
import { claimNext } from '../src/queue';
import { runExecution } from '../src/runner';
import { addDataset, blobsCsv, queueTraining, runContext, seedProject, tempStore } from './fixtures';

// Issue 15, part 3: the trainer receives one normalized spec and knows no API style. Rows stored before
// definitions were normalized at request time (version 1, a style's dialect) must still train.

const STYLE_NAMES = [
  'edge-impulse-visual',
  'edge-impulse-expert',
  'keras-json',
  'mlw-architecture',
  'training-module',
  'NAMED_ARCHITECTURES',
  'resolveSpec',
  'visualLayers',
];

describe('the trainer knows no API style', () => {
  it('names no style dialect, named model or style translator anywhere in its source', () => {
    const src = path.resolve(__dirname, '../src');
    const files = readdirSync(src, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
    expect(files.length).toBeGreaterThan(5);
    const found = files.flatMap((file) => {
      const text = readFileSync(path.join(src, file), 'utf8');
      return STYLE_NAMES.filter((name) => text.includes(name)).map((name) => `${file}: ${name}`);
    });
    expect(found).toEqual([]);
  });
});

describe.each(testProviders)('stored definitions on %s', (provider) => {
  let t: TestDatabase;
  const { store } = tempStore();
  beforeAll(async () => {
    t = await createTestDatabase(provider);
  });
  afterAll(async () => {
    await t?.drop();
  });

  async function trainOnce(spec: unknown, legacyRow: boolean) {
    const { project } = await seedProject(t.db);
    const dataset = await addDataset(t.db, store, project.id, blobsCsv(90));
    const { task } = await queueTraining(t.db, {
      projectId: project.id,
      datasetResourceId: dataset.id,
      spec,
      definition: { modelName: 'blobs-net' },
      hyperparameters: { epochs: 2, batchSize: 16 },
      legacyRow,
    });
    const ctx = runContext(t.db, store);
    const claimed = await claimNext(t.db, ctx);
    await runExecution(ctx, claimed!);
    const done = await t.db.execution.findUniqueOrThrow({
      where: { id: claimed!.id },
      include: { events: { where: { kind: 'EPOCH' }, orderBy: { seq: 'asc' } } },
    });
    return { task, done };
  }

  it('trains a row stored in a style dialect (version 1: a session-style named model)', async () => {
    const { task, done } = await trainOnce({ format: 'training-module', model: 'mlp-small' }, true);
    expect((task.definition as { version: number }).version).toBe(1);
    expect(done.status).toBe('COMPLETED');
    expect(done.events.map((e) => e.epoch)).toEqual([1, 2]);
    // The stored row itself is left as it was: normalization happens when it is read.
    const row = await t.db.task.findUniqueOrThrow({ where: { id: task.id } });
    expect(row.definition).toEqual(task.definition);
  });

  it('trains a row stored in a style dialect (version 1: Edge Impulse visual layers)', async () => {
    const { done } = await trainOnce(
      { format: 'edge-impulse-visual', visualLayers: [{ type: 'dense', neurons: 6 }] },
      true,
    );
    expect(done.status).toBe('COMPLETED');
  });

  it('fails an old row whose dialect spec does not translate, at once and naming the problem', async () => {
    const { done } = await trainOnce({ format: 'training-module', model: 'gpt-5' }, true);
    expect(done.status).toBe('FAILED');
    expect(done.attempt).toBe(1);
    expect(done.message).toMatch(/Unknown model "gpt-5"; choose one of: linear/);
  });

  it('trains a normalized row (version 2), whose spec is our architecture without an input shape', async () => {
    const { task, done } = await trainOnce(
      { format: 'mlw-architecture', architecture: [{ type: 'dense', units: 5 }] },
      false,
    );
    const definition = normalizedTrainingDefinitionSchema.parse(task.definition);
    expect(definition.spec).toMatchObject({
      format: 'trainhub.architecture',
      name: 'blobs-net',
      layers: [{ type: 'dense', units: 5 }],
    });
    expect(definition.spec.input).toBeUndefined();
    expect(done.status).toBe('COMPLETED');
  });
});
