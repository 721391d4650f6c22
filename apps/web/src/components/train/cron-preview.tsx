'use client';
import { useEffect, useState } from 'react';

function relative(date: Date, now: number): string {
  const diff = Math.round((date.getTime() - now) / 1000);
  const rtf = new Intl.RelativeTimeFormat('en', { numeric: 'auto' });
  if (diff < 60) return rtf.format(diff, 'second');
  if (diff < 3600) return rtf.format(Math.round(diff / 60), 'minute');
  if (diff < 86400) return rtf.format(Math.round(diff / 3600), 'hour');
  return rtf.format(Math.round(diff / 86400), 'day');
}

export function formatRun(iso: string, timezone: string) {
  const date = new Date(iso);
  let zone = timezone;
  try {
    new Intl.DateTimeFormat('en-GB', { timeZone: zone });
  } catch {
    zone = 'UTC';
  }
  return `${new Intl.DateTimeFormat('en-GB', { dateStyle: 'full', timeStyle: 'medium', timeZone: zone }).format(date)} (${zone}), ${relative(date, Date.now())}`;
}

/**
 * The next five runs of a cron expression, asked from the server as the user types. With `onError` the
 * expression's problem goes to the caller (the form shows it once, at the cron field) instead of here.
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
  const [state, setState] = useState<{ runs?: string[]; error?: string } | null>(null);
  useEffect(() => onError?.(state?.error ?? null), [state, onError]);
  useEffect(() => {
    if (!expression.trim()) {
      setState(null);
      return;
    }
    const controller = new AbortController();
    const timer = setTimeout(() => {
      fetch(
        `/api/ui/cron?expression=${encodeURIComponent(expression)}&timezone=${encodeURIComponent(timezone || 'UTC')}`,
        {
          signal: controller.signal,
        },
      )
        .then((r) => r.json() as Promise<{ runs?: string[]; error?: string }>)
        .then(setState)
        .catch(() => undefined);
    }, 250);
    return () => {
      clearTimeout(timer);
      controller.abort();
    };
  }, [expression, timezone]);
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
          <li key={run}>{formatRun(run, timezone || 'UTC')}</li>
        ))}
      </ol>
    </div>
  );
}
