'use client';
import { useState, useTransition } from 'react';
import { acceptInviteAction } from '@/actions';
import { Button } from '@/components/ui/button';
import { FormError } from '@/components/ui/misc';

export function AcceptInviteButton({ token }: { token: string }) {
  const [pending, start] = useTransition();
  const [error, setError] = useState<string | null>(null);
  return (
    <div className="flex flex-col gap-3">
      <Button
        disabled={pending}
        onClick={() =>
          start(async () => {
            const result = await acceptInviteAction(token);
            if (result?.error) setError(result.error);
          })
        }
      >
        {pending ? 'Joining…' : 'Join the team'}
      </Button>
      <FormError message={error} />
    </div>
  );
}
