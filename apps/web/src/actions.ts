'use server';
import { revalidatePath } from 'next/cache';
import { cookies } from 'next/headers';
import { redirect } from 'next/navigation';
import { DomainError } from '@trainhub/api';
import { acceptInvite } from '@trainhub/api/services/invites';
import { changePassword, signUp } from '@trainhub/api/services/signup';
import { act, field, type ActionState } from '@/server/actions-util';
import { getDb } from '@/server/deps';
import { webEnv } from '@/server/config';
import { requireUser, TEAM_COOKIE } from '@/server/request-context';

// The few server actions left: everything else the UI changes goes through tRPC (src/trpc). These stay
// because they belong to the session, not to a service: signing up happens before there is a session (and
// tRPC callers are signed in or hold a key), a password change ends every session including this one, and
// the team the UI works in is a cookie of the UI (accepting an invite and switching teams set it).

async function chooseTeam(teamId: number) {
  (await cookies()).set(TEAM_COOKIE, String(teamId), { path: '/', sameSite: 'lax', httpOnly: true });
}

// ------------------------------------------------------------------ accounts

export async function signUpAction(_prev: ActionState, formData: FormData): Promise<ActionState> {
  return act(async () => {
    if (field(formData, 'password') !== field(formData, 'confirm'))
      throw new DomainError('INVALID', 'the two passwords differ');
    await signUp(
      getDb(),
      {
        email: field(formData, 'email'),
        password: field(formData, 'password'),
        name: field(formData, 'name'),
        inviteToken: field(formData, 'invite') || null,
      },
      { allowOpenSignup: webEnv().auth.allowSignup },
    );
    // No cookie is set here (that would re-render the sign-up page): an invited user has one team anyway.
    return { ok: true };
  });
}

export async function changePasswordAction(_prev: ActionState, formData: FormData): Promise<ActionState> {
  const principal = await requireUser();
  return act(async () => {
    if (field(formData, 'password') !== field(formData, 'confirm'))
      throw new DomainError('INVALID', 'the two new passwords differ');
    await changePassword(getDb(), principal.userId, field(formData, 'current'), field(formData, 'password'));
    // Every session signed in before the change has ended, this one too: sign in with the new password.
    redirect('/signin?changed=1');
  });
}

export async function acceptInviteAction(token: string): Promise<ActionState> {
  const principal = await requireUser();
  const result = await act(async () => {
    const offer = await acceptInvite(getDb(), principal.userId, token);
    await chooseTeam(offer.teamId);
  });
  if (result.error) return result;
  redirect('/projects');
}

// ------------------------------------------------------------------ teams

/** Makes `teamId` the team the UI works in (a cookie), when the user is a member of it. */
export async function switchTeamAction(teamId: number) {
  const principal = await requireUser();
  if (principal.memberships.some((m) => m.teamId === teamId)) await chooseTeam(teamId);
  revalidatePath('/', 'layout');
}
