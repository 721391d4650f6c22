import type { Db, TeamRole } from '@trainhub/db';
import type { Principal } from '../auth/principal';
import { generateToken, hashToken } from '../auth/secrets';
import { requireTeamRole } from './access';
import { ROLE_RANK } from './accounts';
import { DomainError } from './errors';

/** Invite links: a token shown once (only its hash is stored), valid for a week, usable once. */
export const INVITE_PREFIX = 'thi';
export const INVITE_TTL_MS = 7 * 24 * 3600 * 1000;

/** A new invite link token (admin); never for a role above the creator's own. */
export async function createInvite(
  db: Db,
  principal: Principal,
  teamId: number,
  role: TeamRole,
  now = new Date(),
) {
  const mine = requireTeamRole(principal, teamId, 'ADMIN');
  if (ROLE_RANK[role] > ROLE_RANK[mine])
    throw new DomainError('FORBIDDEN', 'an invite cannot grant more rights than its creator has');
  const { token, hash } = generateToken(INVITE_PREFIX);
  const invite = await db.teamInvite.create({
    data: {
      teamId,
      role,
      tokenHash: hash,
      createdById: principal.userId,
      expiresAt: new Date(now.getTime() + INVITE_TTL_MS),
    },
  });
  return { token, invite: { id: invite.id, role: invite.role, expiresAt: invite.expiresAt } };
}

/** Invites not used yet and not expired (admin). */
export async function listInvites(db: Db, principal: Principal, teamId: number, now = new Date()) {
  requireTeamRole(principal, teamId, 'ADMIN');
  return db.teamInvite.findMany({
    where: { teamId, usedAt: null, expiresAt: { gt: now } },
    select: { id: true, role: true, expiresAt: true, createdAt: true },
    orderBy: { id: 'desc' },
  });
}

export async function revokeInvite(db: Db, principal: Principal, teamId: number, inviteId: number) {
  requireTeamRole(principal, teamId, 'ADMIN');
  const { count } = await db.teamInvite.deleteMany({ where: { id: inviteId, teamId, usedAt: null } });
  if (count === 0) throw new DomainError('NOT_FOUND', 'invite not found');
  return { id: inviteId };
}

/** What an invite link offers (team name and role), or null when unknown, used or expired. */
export async function describeInvite(db: Db, token: string, now = new Date()) {
  if (!token || token.length > 200) return null;
  const invite = await db.teamInvite.findUnique({
    where: { tokenHash: hashToken(token) },
    include: { team: { select: { id: true, name: true } } },
  });
  if (!invite || invite.usedAt || invite.expiresAt <= now) return null;
  return { teamId: invite.team.id, teamName: invite.team.name, role: invite.role };
}

/**
 * Uses an invite for a user: claims it with one conditional update (so it works exactly once), then adds
 * the membership. A user already in the team keeps the higher of the two roles.
 */
export async function acceptInvite(db: Db, userId: string, token: string, now = new Date()) {
  const offer = await describeInvite(db, token, now);
  if (!offer) throw new DomainError('INVALID', 'the invite link is invalid, used or expired');
  return db.$transaction(async (tx) => {
    const { count } = await tx.teamInvite.updateMany({
      where: { tokenHash: hashToken(token), usedAt: null, expiresAt: { gt: now } },
      data: { usedAt: now },
    });
    if (count !== 1) throw new DomainError('INVALID', 'the invite link is invalid, used or expired');
    const existing = await tx.membership.findUnique({
      where: { teamId_userId: { teamId: offer.teamId, userId } },
    });
    if (existing) {
      if (ROLE_RANK[offer.role] > ROLE_RANK[existing.role])
        await tx.membership.update({ where: { id: existing.id }, data: { role: offer.role } });
    } else {
      await tx.membership.create({ data: { teamId: offer.teamId, userId, role: offer.role } });
    }
    return offer;
  });
}
