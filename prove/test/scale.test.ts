import { describe, expect, it } from 'vitest';
import { testProviders } from '@trainhub/db/testing';
import { runScale } from '../src/scale';

// The fast part of `npm run prove:scale` (the script: 10,000 executions, 100,000 history rows). Timings
// are printed by the script, never asserted here: this checks every list and page answers at scale.
describe.each(testProviders)('scale of data on %s', (provider) => {
  it('lists and pages answer 200 over thousands of executions', async () => {
    const report = await runScale({
      provider,
      tasks: 10,
      executions: 2000,
      epochsPerExecution: 3,
      repeat: 1,
    });
    expect(report.failures).toEqual([]);
    expect(report.executions).toBe(2000);
    expect(report.historyRows).toBe(6000);
    expect(report.rows.every((r) => r.status === 200)).toBe(true);
  }, 120_000);
});
