import { describe, expect, it } from 'vitest';
import { runFaults } from '../src/faults';

// The fast part of `npm run prove:faults`: a few trainings through the MLW API while the web process and
// two trainers are SIGKILLed and restarted. Needs the production build (npm test builds first).
describe('faults', () => {
  it('loses nothing and runs nothing twice while processes are killed', { timeout: 600_000 }, async () => {
    const report = await runFaults({
      provider: 'postgresql',
      trainers: 2,
      trainings: 6,
      epochs: 4,
      seed: 5,
      // Often enough to kill each process a few times, not so often that the web never comes back up.
      chaosIntervalMs: [400, 1200],
    });
    console.log(report);
    expect(report.accepted).toBe(6);
    expect(report.lost).toBe(0);
    expect(report.runTwice).toBe(0);
    expect(report.epochErrors).toBe(0);
    expect(report.completed + report.failed).toBe(6);
    expect(report.failures).toEqual([]);
    expect(report.kills.web + report.kills.trainer).toBeGreaterThan(0);
  });
});
