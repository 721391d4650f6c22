'use client';
import { useMutation } from '@tanstack/react-query';
import { useRouter } from 'next/navigation';
import { useState, useTransition } from 'react';
import { Switch } from '@/components/ui/switch';
import { attempt } from '@/trpc/form';
import { useTRPC } from '@/trpc/react';

export function ScheduleToggle({
  taskId,
  enabled,
  disabled,
  label,
}: {
  taskId: number;
  enabled: boolean;
  disabled: boolean;
  label: string;
}) {
  const trpc = useTRPC();
  const router = useRouter();
  const setEnabled = useMutation(trpc.schedules.setEnabled.mutationOptions());
  const [pending, start] = useTransition();
  const [error, setError] = useState<string | null>(null);
  return (
    <div className="flex items-center gap-2">
      <Switch
        checked={enabled}
        disabled={disabled || pending}
        aria-label={`${label} enabled`}
        onCheckedChange={(checked) =>
          start(async () => {
            const result = await attempt(() => setEnabled.mutateAsync({ taskId, enabled: checked }));
            setError(result.error ?? null);
            router.refresh();
          })
        }
      />
      <span className="text-xs text-slate-500">{enabled ? 'On' : 'Off'}</span>
      {error ? (
        <span role="alert" className="text-xs text-red-600">
          {error}
        </span>
      ) : null}
    </div>
  );
}
