import Link from 'next/link';
import { describeInvite } from '@trainhub/api/services/invites';
import { AuthCard } from '@/components/auth/auth-card';
import { AcceptInviteButton } from '@/components/team/accept-invite';
import { Button } from '@/components/ui/button';
import { getDb } from '@/server/deps';
import { currentPrincipal } from '@/server/request-context';
import { roleLabel } from '@/lib/utils';

export const dynamic = 'force-dynamic';

export default async function InvitePage({ params }: { params: Promise<{ token: string }> }) {
  const { token } = await params;
  const offer = await describeInvite(getDb(), token);
  if (!offer) {
    return (
      <AuthCard title="Invite">
        <p role="alert" className="text-sm">
          This invite link is invalid, already used or expired. Ask a team admin for a new one.
        </p>
      </AuthCard>
    );
  }
  const principal = await currentPrincipal();
  return (
    <AuthCard
      title={`Join ${offer.teamName}`}
      description={`You are invited as ${roleLabel(offer.role).toLowerCase()}.`}
    >
      {principal ? (
        <AcceptInviteButton token={token} />
      ) : (
        <div className="flex flex-col gap-2">
          <Button asChild>
            <Link href={`/signup?invite=${encodeURIComponent(token)}`}>Create an account and join</Link>
          </Button>
          <Button asChild variant="outline">
            <Link href={`/signin?callbackUrl=${encodeURIComponent(`/invite/${token}`)}`}>
              I have an account: sign in
            </Link>
          </Button>
        </div>
      )}
    </AuthCard>
  );
}
