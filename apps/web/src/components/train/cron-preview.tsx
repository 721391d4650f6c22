'use client';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { useTRPC } from '@/trpc/react';

function relative(date: Date, now: number): string {
  const diff = Math.round((date.getTime() - now) / 1000);
  const rtf = new Intl.RelativeTimeFormat('en', { numeric: 'auto' });
  if (diff < 60) return rtf.format(diff, 'second');
  if (diff < 3600) return rtf.format(Math.round(diff / 60), 'minute');
  if (diff < 86400) return rtf.format(Math.round(diff / 3600), 'hour');
  return rtf.format(Math.round(diff / 86400), 'day');
}

export function formatRun(run: Date | string, timezone: string) {
  const date = new Date(run);
  let zone = timezone;
  try {
    new Intl.DateTimeFormat('en-GB', { timeZone: zone });
  } catch {
    zone = 'UTC';
  }
  return `${new Intl.DateTimeFormat('en-GB', { dateStyle: 'full', timeStyle: 'medium', timeZone: zone }).format(date)} (${zone}), ${relative(date, Date.now())}`;
}

/**
 * The next five runs of a cron expression, asked from the server (`schedules.nextRuns`, through React Query)
 * a moment after the user stops typing. With `onError` the expression's problem goes to the caller (the form
 * shows it once, at the cron field) instead of here.
 */
export function CronPreview({
  expression,
  timezone,
  onError,
}: {
  expression: string;
  timezone: string;
  onError?: (message: string | null) => void;
}) {
  // What was typed 250 ms ago and not changed since: one query per pause, not per keystroke.
  const [asked, setAsked] = useState({ expression, timezone });
  useEffect(() => {
    const timer = setTimeout(() => setAsked({ expression, timezone }), 250);
    return () => clearTimeout(timer);
  }, [expression, timezone]);
  const trpc = useTRPC();
  const typed = expression.trim() !== '';
  const query = useQuery(
    trpc.schedules.nextRuns.queryOptions(
      { expression: asked.expression.slice(0, 200), timezone: (asked.timezone || 'UTC').slice(0, 100) },
      { enabled: typed && asked.expression.trim() !== '', placeholderData: keepPreviousData },
    ),
  );
  const state = typed ? (query.data ?? null) : null;
  const error = state?.error ?? null;
  useEffect(() => onError?.(error), [error, onError]);
  if (!state) return null;
  if (state.error)
    return onError ? null : (
      <p role="alert" className="text-sm text-red-600">
        {state.error}
      </p>
    );
  return (
    <div className="text-sm" aria-live="polite">
      <p className="font-medium">Next five runs</p>
      <ol className="mt-1 list-decimal pl-5 text-slate-600 dark:text-slate-400" data-testid="next-runs">
        {state.runs?.map((run) => (
          <li key={run.toISOString()}>{formatRun(run, timezone || 'UTC')}</li>
        ))}
      </ol>
    </div>
  );
}
