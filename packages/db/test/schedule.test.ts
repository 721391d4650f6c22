import { describe, expect, it } from 'vitest';
import { cronError, nextCronRun, nextCronRuns } from '../src/schedule';

describe('cron schedules', () => {
  it('computes the next runs strictly after a time, in the task timezone', () => {
    const after = new Date('2026-03-28T12:00:00Z');
    // 03:00 in Berlin is 02:00 UTC before the DST switch (29 March 2026) and 01:00 UTC after it.
    expect(nextCronRuns('0 3 * * *', 'Europe/Berlin', after, 2).map((d) => d.toISOString())).toEqual([
      '2026-03-29T01:00:00.000Z',
      '2026-03-30T01:00:00.000Z',
    ]);
    expect(nextCronRun('*/15 * * * *', 'UTC', new Date('2026-01-01T00:15:00Z'))?.toISOString()).toBe(
      '2026-01-01T00:30:00.000Z',
    );
  });

  it('accepts seconds and Quartz-style question marks', () => {
    expect(nextCronRun('*/5 * * * * *', 'UTC', new Date('2026-01-01T00:00:01Z'))?.toISOString()).toBe(
      '2026-01-01T00:00:05.000Z',
    );
    expect(cronError('0 0 12 ? * MON', 'UTC')).toBeNull();
  });

  it('explains bad expressions and timezones', () => {
    expect(cronError('every day')).toMatch(/parts|pattern|invalid/i);
    expect(cronError('61 * * * *')).not.toBeNull();
    expect(cronError('0 0 * * *', 'Mars/Olympus')).toBe('unknown timezone: Mars/Olympus');
  });
});
