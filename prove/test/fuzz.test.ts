import { describe, expect, it } from 'vitest';
import { testProviders } from '@trainhub/db/testing';
import { listFiles, rowsChanged, runFuzz, snapshotRows } from '../src/fuzz';
import { makeWorld } from '../../packages/api/test/helpers';

// The fast part of `npm run prove:fuzz`: a few generated cases per route and procedure (the script runs 40).
describe.each(testProviders)('fuzz every route and procedure on %s', (provider) => {
  it('answers no 5xx, always in the style error shape, and rejected requests write no rows', async () => {
    const report = await runFuzz({ provider, runs: 6, seed: 11 });
    expect(report.findings.slice(0, 5)).toEqual([]);
    expect(report.serverErrors).toBe(0);
    expect(report.wrongShape).toBe(0);
    expect(report.rowsByRejected).toBe(0);
    expect(report.filesByRejected).toBe(0);
    expect(report.bySurface.mlw.targets).toBeGreaterThan(10);
    expect(report.bySurface.trpc.targets).toBeGreaterThan(30);
  }, 300_000);
});

describe.each(testProviders)('what the fuzz suite counts as written, on %s', (provider) => {
  it('a changed row, an added and a deleted one; a file left in the store', async () => {
    const w = await makeWorld(provider);
    try {
      const before = await snapshotRows(w);
      expect(rowsChanged(before, await snapshotRows(w))).toBe(0);
      // A changed row, with as many rows as before: a count would miss it.
      await w.t.db.project.update({ where: { id: w.a.projectId }, data: { name: 'renamed' } });
      const renamed = await snapshotRows(w);
      expect(rowsChanged(before, renamed)).toBe(1);
      await w.t.db.team.create({ data: { name: 'gamma', slug: 'gamma' } });
      await w.t.db.apiKey.deleteMany({ where: { teamId: w.b.id, name: 'VIEWER' } });
      expect(rowsChanged(renamed, await snapshotRows(w))).toBe(2);
      // Bookkeeping columns and the sign-in counters are not counted.
      await w.t.db.apiKey.updateMany({ data: { lastUsedAt: new Date() } });
      await w.t.db.rateLimit.create({ data: { key: 'login:x', points: 1, expire: new Date() } });
      const quiet = await snapshotRows(w);
      await w.t.db.apiKey.updateMany({ data: { lastUsedAt: new Date(Date.now() + 1000) } });
      await w.t.db.rateLimit.update({ where: { key: 'login:x' }, data: { points: 2 } });
      expect(rowsChanged(quiet, await snapshotRows(w))).toBe(0);

      const files = listFiles(w.artifactsDir);
      await w.deps.store.put('left/behind.bin', Buffer.from('x'));
      const after = listFiles(w.artifactsDir);
      expect([...after].filter((f) => !files.has(f))).toEqual(['left/behind.bin']);
    } finally {
      await w.drop();
    }
  });
});
