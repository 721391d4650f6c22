import { describe, expect, it } from 'vitest';
import { testProviders } from '@trainhub/db/testing';
import { runFuzz } from '../src/fuzz';

// The fast part of `npm run prove:fuzz`: a few generated cases per route and procedure (the script runs 40).
describe.each(testProviders)('fuzz every route and procedure on %s', (provider) => {
  it('answers no 5xx, always in the style error shape, and rejected requests write no rows', async () => {
    const report = await runFuzz({ provider, runs: 6, seed: 11 });
    expect(report.findings.slice(0, 5)).toEqual([]);
    expect(report.serverErrors).toBe(0);
    expect(report.wrongShape).toBe(0);
    expect(report.rowsByRejected).toBe(0);
    expect(report.bySurface.mlw.targets).toBeGreaterThan(10);
    expect(report.bySurface.trpc.targets).toBeGreaterThan(30);
  }, 120_000);
});
