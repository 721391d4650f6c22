import Link from 'next/link';
import { describeInvite } from '@trainhub/api/services/invites';
import { MIN_PASSWORD_LENGTH, openSignupAvailable } from '@trainhub/api/services/signup';
import { AuthCard } from '@/components/auth/auth-card';
import { SignUpForm } from '@/components/auth/sign-up-form';
import { getDb } from '@/server/deps';
import { webEnv } from '@/server/config';
import { roleLabel } from '@/lib/utils';

export const dynamic = 'force-dynamic';

export default async function SignUpPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const params = await searchParams;
  const invite = typeof params.invite === 'string' ? params.invite : null;
  const db = getDb();
  const offer = invite ? await describeInvite(db, invite) : null;
  const open = await openSignupAvailable(db, webEnv().auth.allowSignup);
  const firstAccount = (await db.user.count()) === 0;
  const signInLink = (
    <Link className="text-indigo-600 underline dark:text-indigo-400" href="/signin">
      Sign in
    </Link>
  );
  if (!offer && !open) {
    return (
      <AuthCard title="Create an account">
        <p className="text-sm" role="alert">
          {invite
            ? 'This invite link is invalid, already used or expired. Ask a team admin for a new one.'
            : 'Accounts on this Trainhub are created with an invite link. Ask a team admin for one.'}
        </p>
        <p className="mt-4 text-sm text-slate-500">Already have an account? {signInLink}</p>
      </AuthCard>
    );
  }
  return (
    <AuthCard
      title="Create an account"
      description={
        offer
          ? `You are invited to join ${offer.teamName} as ${roleLabel(offer.role).toLowerCase()}.`
          : firstAccount
            ? 'This is the first account of this Trainhub: it needs no invite.'
            : 'Create your account, then a team.'
      }
    >
      <SignUpForm invite={offer ? invite : null} minPassword={MIN_PASSWORD_LENGTH} />
      <p className="mt-4 text-sm text-slate-500">Already have an account? {signInLink}</p>
    </AuthCard>
  );
}
