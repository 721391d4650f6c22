import type { Db } from '@trainhub/db';
import { LoginRateLimitedError, limitPasswordCheck } from '../auth/login-limit';
import { hashPassword, verifyPassword } from '../auth/secrets';
import { DomainError } from './errors';
import { acceptInvite, describeInvite } from './invites';

export interface SignUpInput {
  email: string;
  password: string;
  name?: string | null;
  /** An invite link token: the new user joins that team with the invite's role. */
  inviteToken?: string | null;
}

export const MIN_PASSWORD_LENGTH = 8;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** The rules every new password meets (sign-up and change). */
function checkNewPassword(password: string) {
  if (password.length < MIN_PASSWORD_LENGTH)
    throw new DomainError('INVALID', `the password needs at least ${MIN_PASSWORD_LENGTH} characters`);
  if (password.length > 1024) throw new DomainError('INVALID', 'the password is too long');
}

/**
 * Self-service sign-up. The first account of a fresh install needs nothing; later ones need an invite link
 * unless `allowOpenSignup` (ALLOW_SIGNUP) is set. A user signing up without an invite has no team yet and
 * creates one.
 */
export async function signUp(db: Db, input: SignUpInput, options: { allowOpenSignup: boolean }) {
  const email = input.email.trim().toLowerCase();
  if (!EMAIL.test(email) || email.length > 254)
    throw new DomainError('INVALID', 'enter a valid email address');
  checkNewPassword(input.password);
  const token = input.inviteToken?.trim() || null;
  if (token) {
    if (!(await describeInvite(db, token)))
      throw new DomainError('INVALID', 'the invite link is invalid, used or expired');
  } else if (!options.allowOpenSignup && (await db.user.count()) > 0) {
    throw new DomainError('FORBIDDEN', 'sign-up needs an invite link from a team admin');
  }
  if (await db.user.findUnique({ where: { email }, select: { id: true } }))
    throw new DomainError('CONFLICT', 'an account with this email already exists');
  const passwordHash = await hashPassword(input.password);
  const user = await db.user.create({
    data: { email, passwordHash, name: input.name?.trim().slice(0, 100) || null },
  });
  const joined = token ? await acceptInvite(db, user.id, token) : null;
  return { user: { id: user.id, email: user.email }, joined };
}

/** Whether the sign-up form may be used without an invite right now. */
export async function openSignupAvailable(db: Db, allowOpenSignup: boolean) {
  return allowOpenSignup || (await db.user.count()) === 0;
}

/**
 * A signed-in user changes their password, proving the current one. Every session and token issued before
 * (web sessions, Edge Impulse JWTs) ends, and Basic-auth callers using the old password are refused at once
 * (their cached check is keyed by the stored hash). API keys are not affected. Wrong current passwords count
 * against the sign-in limits per user (login-limit.ts): a stolen session cannot guess the password either.
 * @throws DomainError FORBIDDEN for a wrong current password or too many recent wrong ones.
 */
export async function changePassword(db: Db, userId: string, current: string, next: string) {
  const user = await db.user.findUnique({ where: { id: userId }, select: { passwordHash: true } });
  const hash = user?.passwordHash;
  if (!hash || current.length > 1024) throw new DomainError('FORBIDDEN', 'the current password is wrong');
  let proven: true | null;
  try {
    proven = await limitPasswordCheck(db, { account: `user:${userId}`, ip: null }, async () =>
      (await verifyPassword(current, hash)) ? true : null,
    );
  } catch (error) {
    if (error instanceof LoginRateLimitedError) throw new DomainError('FORBIDDEN', error.message);
    throw error;
  }
  if (!proven) throw new DomainError('FORBIDDEN', 'the current password is wrong');
  checkNewPassword(next);
  const passwordHash = await hashPassword(next);
  // Every session and token issued before now stops working (see principalFromUserId).
  await db.$transaction([
    db.user.update({ where: { id: userId }, data: { passwordHash, passwordChangedAt: new Date() } }),
    db.session.deleteMany({ where: { userId } }),
  ]);
}
