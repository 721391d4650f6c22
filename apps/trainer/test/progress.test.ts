import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, testProviders, type TestDatabase } from '@trainhub/db/testing';
import { ProgressRecorder } from '../src/progress';
import { addDataset, blobsCsv, queueTraining, seedProject, tempStore } from './fixtures';

const epochRow = (epoch: number) => ({ epoch, loss: 1 / epoch, metrics: { acc: 0.5 } });

describe.each(testProviders)('progress recorder on %s', (provider) => {
  let t: TestDatabase;
  const { store } = tempStore();
  beforeAll(async () => {
    t = await createTestDatabase(provider);
  });
  afterAll(async () => {
    await t?.drop();
  });

  async function execution() {
    const { project } = await seedProject(t.db);
    const dataset = await addDataset(t.db, store, project.id, blobsCsv(9));
    return (await queueTraining(t.db, { projectId: project.id, datasetResourceId: dataset.id }))
      .executions[0]!.id;
  }
  const epochs = async (id: number) =>
    (
      await t.db.executionEvent.findMany({
        where: { executionId: id, kind: 'EPOCH' },
        orderBy: { epoch: 'asc' },
      })
    ).map((e) => e.epoch);

  it('writes an epoch with its checkpoint in either order, and never one a resume would repeat', async () => {
    const id = await execution();
    const recorder = await ProgressRecorder.open(t.db, id, null);
    // Epoch first, then its checkpoint: held, then written with it.
    await recorder.epoch(epochRow(1));
    expect(await epochs(id)).toEqual([]);
    await recorder.checkpoint('k1', 1);
    expect(await epochs(id)).toEqual([1]);
    // Checkpoint first, then the epoch: written at once.
    await recorder.checkpoint('k2', 2);
    await recorder.epoch(epochRow(2));
    expect(await epochs(id)).toEqual([1, 2]);
    expect(await t.db.execution.findUniqueOrThrow({ where: { id } })).toMatchObject({
      checkpointKey: 'k2',
      checkpointEpoch: 2,
    });
  });

  it('on resume drops epochs past the checkpoint and restores covered ones from its history', async () => {
    const id = await execution();
    const first = await ProgressRecorder.open(t.db, id, null);
    await first.checkpoint('k1', 1);
    await first.epoch(epochRow(1));
    // The trainer checkpoints epoch 2 and dies before writing the epoch-2 row; an epoch-3 row from an
    // older writer is past the checkpoint.
    await first.checkpoint('k2', 2);
    await t.db.executionEvent.create({ data: { executionId: id, seq: 999, kind: 'EPOCH', epoch: 3 } });

    const resumed = await ProgressRecorder.open(t.db, id, 2);
    expect(await epochs(id)).toEqual([1]);
    await resumed.backfill([epochRow(1), epochRow(2)]);
    expect(await epochs(id)).toEqual([1, 2]);
    const seqs = (
      await t.db.executionEvent.findMany({ where: { executionId: id }, orderBy: { seq: 'asc' } })
    ).map((e) => e.seq);
    expect(new Set(seqs).size).toBe(seqs.length);
  });
});
