import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { testProviders } from '@trainhub/db/testing';
import { runAuthz, secretsInLogs } from '../src/authz';
import { root } from '../src/platform';

// `npm run prove:authz`: every operation of every surface x every caller, against the expected matrix.
describe.each(testProviders)('authorization matrix on %s', (provider) => {
  it('matches the expected matrix 100%, shows no other team data, keeps no plain secret', async () => {
    const report = await runAuthz(provider);
    expect(report.unclassified).toEqual([]);
    expect(report.mismatches).toEqual([]);
    expect(report.leaks).toEqual([]);
    expect(report.secretsAtRest).toEqual([]);
    expect(report.matching).toBe(report.calls);
    expect(report.calls).toBe(report.operations * report.callers);
  }, 400_000);
});

const built =
  existsSync(join(root, 'apps/web/.next/BUILD_ID')) && existsSync(join(root, 'apps/trainer/dist/main.mjs'));

describe.skipIf(!built)('secrets in logs (real web and trainer processes)', () => {
  it('no password, API key, JWT, session key or socket token appears in any output', async () => {
    const report = await secretsInLogs();
    expect(report.secretsChecked).toBeGreaterThanOrEqual(5);
    expect(report.secretsFound).toEqual([]);
  }, 180_000);
});
