'use client';
import { useState, useTransition } from 'react';
import { setScheduleEnabledAction } from '@/actions';
import { Switch } from '@/components/ui/switch';

export function ScheduleToggle({
  projectId,
  taskId,
  enabled,
  disabled,
  label,
}: {
  projectId: number;
  taskId: number;
  enabled: boolean;
  disabled: boolean;
  label: string;
}) {
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
            const result = await setScheduleEnabledAction(projectId, taskId, checked);
            setError(result.error ?? null);
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
