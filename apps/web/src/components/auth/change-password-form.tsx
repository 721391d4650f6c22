'use client';
import { useActionState } from 'react';
import { changePasswordAction } from '@/actions';
import { Button } from '@/components/ui/button';
import { Input } from '@/components/ui/input';
import { Field } from '@/components/ui/field';
import { FormError } from '@/components/ui/misc';
import { NewPasswordFields } from './new-password-fields';

export function ChangePasswordForm({ minPassword }: { minPassword: number }) {
  const [state, action, pending] = useActionState(changePasswordAction, {});
  return (
    <form action={action} className="flex max-w-sm flex-col gap-4" aria-label="Change password">
      <Field id="current" label="Current password">
        <Input id="current" name="current" type="password" autoComplete="current-password" required />
      </Field>
      <NewPasswordFields minPassword={minPassword} label="New password" confirmLabel="Repeat new password" />
      <FormError message={state.error} />
      <Button type="submit" disabled={pending} className="self-start">
        {pending ? 'Changing…' : 'Change password'}
      </Button>
    </form>
  );
}
