import Link from 'next/link';
import { openSignupAvailable } from '@trainhub/api/services/signup';
import { redirect } from 'next/navigation';

import { AuthCard } from '@/components/auth/auth-card';
import { SignInForm } from '@/components/auth/sign-in-form';
import { oauthProviders } from '@/server/auth';
import { getDb } from '@/server/deps';
import { webEnv } from '@/server/config';
import { currentPrincipal } from '@/server/request-context';

export const dynamic = 'force-dynamic';

function safeCallback(raw: string | string[] | undefined): string {
  const value = typeof raw === 'string' ? raw : '';
  return value.startsWith('/') && !value.startsWith('//') ? value : '/projects';
}

export default async function SignInPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const params = await searchParams;
  const callbackUrl = safeCallback(params.callbackUrl);
  // A valid session of an existing user goes on; a stale one (user deleted) signs in again.
  if (await currentPrincipal()) redirect(callbackUrl);
  const open = await openSignupAvailable(getDb(), webEnv().auth.allowSignup);
  const oauthError =
    typeof params.error === 'string' ? 'That sign-in did not work; your account may need an invite.' : null;
  return (
    <AuthCard title="Sign in" description="Welcome back.">
      {params.changed === '1' ? (
        <p role="status" className="mb-4 text-sm text-emerald-700 dark:text-emerald-400">
          Your password was changed and every session signed out: sign in with the new password.
        </p>
      ) : null}
      <SignInForm callbackUrl={callbackUrl} providers={oauthProviders()} initialError={oauthError} />
      <p className="mt-4 text-sm text-slate-500">
        {open ? (
          <>
            New here?{' '}
            <Link className="text-indigo-600 underline dark:text-indigo-400" href="/signup">
              Create an account
            </Link>
          </>
        ) : (
          'New here? Ask a team admin for an invite link.'
        )}
      </p>
    </AuthCard>
  );
}
