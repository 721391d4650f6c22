'use client';
import { Button } from '@/components/ui/button';

export default function AppError({ reset }: { error: Error; reset: () => void }) {
  return (
    <div
      role="alert"
      className="flex flex-col items-start gap-3 rounded-xl border border-red-200 p-6 dark:border-red-900"
    >
      <h1 className="text-lg font-semibold">Something went wrong</h1>
      <p className="text-sm text-slate-500">The page could not be loaded. It may work if you try again.</p>
      <Button onClick={reset}>Try again</Button>
    </div>
  );
}
