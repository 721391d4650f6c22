import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, testProviders, type TestDatabase } from '@trainhub/db/testing';
import { claimNext } from '../src/queue';
import { diedMessage, dyingReason, failAfterTrainerDeaths, reclaimDeadTrainerLeases } from '../src/recovery';
import { addDataset, blobsCsv, queueTraining, seedProject, tempStore } from './fixtures';

const HOUR = 3_600_000;

describe.each(testProviders)('recovery of a dead trainer on %s', (provider) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase(provider);
  });
  afterAll(async () => {
    await t?.drop();
  });

  async function queued(count: number) {
    const { store } = tempStore();
    const { project } = await seedProject(t.db);
    const dataset = await addDataset(t.db, store, project.id, blobsCsv(30));
    const { executions } = await queueTraining(t.db, {
      projectId: project.id,
      datasetResourceId: dataset.id,
      count,
    });
    return executions.map((e) => e.id);
  }

  it('takes back at once only the executions leased by the dead trainer ids', async () => {
    await queued(3);
    // Three executions claimed with hour-long leases: two by the dead trainer, one by a live one.
    const deadA = await claimNext(t.db, { trainerId: 'host-supervised-1', leaseMs: HOUR });
    const deadB = await claimNext(t.db, { trainerId: 'host-old-pid', leaseMs: HOUR });
    const live = await claimNext(t.db, { trainerId: 'other-host', leaseMs: HOUR });
    expect(await claimNext(t.db, { trainerId: 'host-supervised-1', leaseMs: HOUR })).toBeNull();

    const reason = 'killed by SIGKILL, likely out of memory';
    const reclaimed = await reclaimDeadTrainerLeases(t.db, ['host-supervised-1', 'host-old-pid'], reason);
    expect(reclaimed.sort()).toEqual([deadA!.id, deadB!.id].sort());

    // The restarted trainer claims them now (not in an hour), each with one more attempt; the live one stays.
    const first = await claimNext(t.db, { trainerId: 'host-supervised-1', leaseMs: HOUR });
    const second = await claimNext(t.db, { trainerId: 'host-supervised-1', leaseMs: HOUR });
    expect([first?.id, second?.id].sort()).toEqual([deadA!.id, deadB!.id].sort());
    expect(first?.attempt).toBe(2);
    expect(dyingReason(first!.message)).toBe(reason);
    expect(await claimNext(t.db, { trainerId: 'host-supervised-1', leaseMs: HOUR })).toBeNull();
    const untouched = await t.db.execution.findUniqueOrThrow({ where: { id: live!.id } });
    expect(untouched.leaseOwner).toBe('other-host');
    expect(untouched.attempt).toBe(1);
  });

  it('fails a run whose trainer died on every attempt with the reason, in its status and its log', async () => {
    const [id] = await queued(1);
    const maxAttempts = 3;
    const reason = 'killed by SIGKILL, likely out of memory';
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      const claimed = await claimNext(t.db, { trainerId: 'oom-trainer', leaseMs: HOUR });
      expect(claimed?.id).toBe(id);
      expect(await reclaimDeadTrainerLeases(t.db, ['oom-trainer'], reason)).toEqual([id]);
    }
    const last = await claimNext(t.db, { trainerId: 'oom-trainer', leaseMs: HOUR });
    expect(last?.attempt).toBe(maxAttempts + 1);
    expect(await failAfterTrainerDeaths(t.db, last!, 'oom-trainer')).toBe(true);

    const row = await t.db.execution.findUniqueOrThrow({ where: { id: id! } });
    expect(row.status).toBe('FAILED');
    expect(row.message).toContain(
      `The trainer process died ${maxAttempts} times during this run (last: ${reason})`,
    );
    expect(row.error).toBe(row.message);
    expect(row.leaseOwner).toBeNull();
    const log = await t.db.executionEvent.findMany({ where: { executionId: id!, kind: 'LOG' } });
    expect(log.map((e) => [e.level, e.message])).toContainEqual(['error', row.message]);
  });

  it('says "stopped" without a reason when no supervisor reported how the trainer died', async () => {
    const [id] = await queued(1);
    await claimNext(t.db, { trainerId: 'gone', leaseMs: HOUR });
    await t.db.execution.update({ where: { id: id! }, data: { attempt: 4, message: 'Training' } });
    const row = await t.db.execution.findUniqueOrThrow({ where: { id: id! } });
    await failAfterTrainerDeaths(t.db, row, 'gone');
    const failed = await t.db.execution.findUniqueOrThrow({ where: { id: id! } });
    expect(failed.message).toMatch(
      /^The trainer running it stopped 3 times during this run \(crash or lost connection\)/,
    );
  });
});

describe('trainer death messages', () => {
  it('round-trip the reason and ignore other messages', () => {
    expect(dyingReason(diedMessage('exit code 134: JavaScript heap out of memory'))).toBe(
      'exit code 134: JavaScript heap out of memory',
    );
    expect(dyingReason('Training')).toBeNull();
    expect(dyingReason(null)).toBeNull();
  });
});
