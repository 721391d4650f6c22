import { Cron } from 'croner';

// Cron schedules of tasks: the one place that parses expressions and computes run times, for the APIs
// (next run shown to users) and the trainer (materializing occurrences). Accepts 5 fields (minute ...
// weekday), 6 (with seconds) and Quartz's `?`, with Vixie-cron's OR of day-of-month and day-of-week.

function parse(expression: string, timezone: string): Cron {
  return new Cron(expression.trim(), { timezone, paused: true, legacyMode: true, sloppyRanges: true });
}

/** An error message for a bad expression or timezone, or null when both are valid. */
export function cronError(expression: string, timezone = 'UTC'): string | null {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
  } catch {
    return `unknown timezone: ${timezone}`;
  }
  try {
    parse(expression, timezone);
    return null;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/** The next `count` run times strictly after `after`. */
export function nextCronRuns(expression: string, timezone: string, after: Date, count = 1): Date[] {
  const cron = parse(expression, timezone);
  return cron.nextRuns(count, after);
}

export function nextCronRun(expression: string, timezone: string, after: Date): Date | null {
  return nextCronRuns(expression, timezone, after, 1)[0] ?? null;
}
