'use client';
import { signIn } from 'next-auth/react';
import { useRouter } from 'next/navigation';
import { useState } from 'react';
import { signUpAction } from '@/actions';
import { Button } from '@/components/ui/button';
import { Input } from '@/components/ui/input';
import { Field } from '@/components/ui/field';
import { FormError } from '@/components/ui/misc';
import { NewPasswordFields } from './new-password-fields';

export function SignUpForm({ invite, minPassword }: { invite: string | null; minPassword: number }) {
  const router = useRouter();
  const [error, setError] = useState<string | null>(null);
  const [pending, setPending] = useState(false);

  async function onSubmit(event: React.FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const data = new FormData(event.currentTarget);
    setPending(true);
    setError(null);
    const result = await signUpAction({}, data).catch(() => ({
      error: 'The server did not answer; try again.',
    }));
    if (result.error) {
      setError(result.error);
      setPending(false);
      return;
    }
    const signedIn = await signIn('credentials', {
      email: String(data.get('email')),
      password: String(data.get('password')),
      redirect: false,
    }).catch(() => null);
    router.push(signedIn?.ok ? '/projects' : '/signin');
    router.refresh();
  }

  return (
    <form onSubmit={onSubmit} className="flex flex-col gap-4" aria-label="Create account">
      {invite ? <input type="hidden" name="invite" value={invite} /> : null}
      <Field id="name" label="Name (optional)">
        <Input id="name" name="name" autoComplete="name" maxLength={100} />
      </Field>
      <Field id="email" label="Email">
        <Input id="email" name="email" type="email" autoComplete="email" required />
      </Field>
      <NewPasswordFields minPassword={minPassword} />
      <FormError message={error} />
      <Button type="submit" disabled={pending}>
        {pending ? 'Creating account…' : 'Create account'}
      </Button>
    </form>
  );
}
