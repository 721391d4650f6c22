import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testProviders } from '@trainhub/db/testing';
import { historyAfter, historyOf } from '../src/services/executions';
import { makeRun, makeWorld, type World } from './helpers';

// The execution page polls for the epochs after the last one it has (not the whole history every second).
describe.each(testProviders)('historyAfter on %s', (provider) => {
  let w: World;
  beforeAll(async () => {
    w = await makeWorld(provider);
  });
  afterAll(async () => {
    await w?.drop();
  });

  it('returns the epochs after the given one, oldest first, as historyOf has them', async () => {
    const db = w.t.db;
    const { execution } = await makeRun(db, w.a.projectId);
    let seq = 0;
    for (const epoch of [1, 2, 3, 4]) {
      await db.executionEvent.create({
        data: { executionId: execution.id, seq: ++seq, kind: 'LOG', message: `epoch ${epoch} starts` },
      });
      await db.executionEvent.create({
        data: {
          executionId: execution.id,
          seq: ++seq,
          kind: 'EPOCH',
          epoch,
          data: { epoch, loss: 1 / epoch, metrics: { acc: epoch / 10 } },
        },
      });
    }
    const all = (await historyOf(db, [execution.id])).get(execution.id)!;
    expect(await historyAfter(db, execution.id, 0)).toEqual(all);
    expect((await historyAfter(db, execution.id, 2)).map((h) => h.epoch)).toEqual([3, 4]);
    expect(await historyAfter(db, execution.id, 2)).toEqual(all.slice(2));
    expect(await historyAfter(db, execution.id, 4)).toEqual([]);
  });
});
