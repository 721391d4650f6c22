import { Cron } from 'croner';

// Cron schedules of tasks: the one place that parses expressions and computes run times, for the APIs
// (next run shown to users) and the trainer (materializing occurrences).

/** An error message for a bad expression or timezone, or null when both are valid. */
export function cronError(expression: string, timezone = 'UTC'): string | null {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
  } catch {
    return `unknown timezone: ${timezone}`;
  }
  try {
    new Cron(expression, { timezone, paused: true });
    return null;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/** The next `count` run times strictly after `after`. */
export function nextCronRuns(expression: string, timezone: string, after: Date, count = 1): Date[] {
  const cron = new Cron(expression, { timezone, paused: true });
  return cron.nextRuns(count, after);
}

export function nextCronRun(expression: string, timezone: string, after: Date): Date | null {
  return nextCronRuns(expression, timezone, after, 1)[0] ?? null;
}
