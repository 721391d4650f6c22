import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadFailed, runLoad } from '../src/load';
import { root } from '../src/platform';

// The fast part of `npm run prove:load` (the script: 200 readers + 20 writers for 60 s on both databases):
// a few seconds of readers and writers against the production web process while a real training runs.
// Timings and the slowdown are printed by the script; here errors must be 0 and both trainings complete.
const built =
  existsSync(join(root, 'apps/web/.next/BUILD_ID')) && existsSync(join(root, 'apps/trainer/dist/main.mjs'));

describe.skipIf(!built)('load against the production build', () => {
  it('answers every reader and writer while a training runs (SQLite)', async () => {
    const report = await runLoad({
      provider: 'sqlite',
      seconds: 3,
      readers: 20,
      writers: 4,
      rows: 300,
      epochs: 3,
    });
    expect(report.readers.requests).toBeGreaterThan(0);
    expect(report.writers.requests).toBeGreaterThan(0);
    expect({ readers: report.readers, writers: report.writers }).toMatchObject({
      readers: { errors: 0, non2xx: 0 },
      writers: { errors: 0, non2xx: 0 },
    });
    expect(report.trainingStatus).toBe('COMPLETED/COMPLETED');
    expect(loadFailed(report)).toBe(false);
  }, 180_000);
});
