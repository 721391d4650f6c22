import { forgetApiKey } from '../auth/resolve';
import type { Db, TeamRole } from '@trainhub/db';
import { atLeast, roleIn, visibleTeamIds, type Principal } from '../auth/principal';
import { generateToken } from '../auth/secrets';
import { requireProject, requireTeamRole } from './access';
import { API_KEY_PREFIX, ROLE_RANK } from './accounts';
import { DomainError } from './errors';

export async function listTeams(db: Db, principal: Principal) {
  const teams = await db.team.findMany({
    where: { id: { in: visibleTeamIds(principal) } },
    orderBy: { id: 'asc' },
  });
  return teams.map((team) => ({ ...team, role: roleIn(principal, team.id) }));
}

export async function listMembers(db: Db, principal: Principal, teamId: number) {
  requireTeamRole(principal, teamId, 'VIEWER');
  return db.membership.findMany({
    where: { teamId },
    include: { user: { select: { id: true, email: true, name: true } } },
    orderBy: { id: 'asc' },
  });
}

/** Changes a member's role (admin); only an owner grants or removes ownership, and the last owner stays. */
export async function setMemberRole(
  db: Db,
  principal: Principal,
  teamId: number,
  userId: string,
  role: TeamRole,
) {
  const mine = requireTeamRole(principal, teamId, 'ADMIN');
  const member = await db.membership.findUnique({ where: { teamId_userId: { teamId, userId } } });
  if (!member) throw new DomainError('NOT_FOUND', 'member not found');
  if ((role === 'OWNER' || member.role === 'OWNER') && mine !== 'OWNER')
    throw new DomainError('FORBIDDEN', 'only an owner can change ownership');
  if (member.role === 'OWNER' && role !== 'OWNER') await keepAnOwner(db, teamId);
  return db.membership.update({ where: { id: member.id }, data: { role } });
}

/** Refuses a change that would leave the team without an owner (run before demoting or removing one). */
async function keepAnOwner(db: Db, teamId: number) {
  if ((await db.membership.count({ where: { teamId, role: 'OWNER' } })) <= 1)
    throw new DomainError('CONFLICT', 'a team keeps at least one owner: make someone else owner first');
}

export async function removeMember(db: Db, principal: Principal, teamId: number, userId: string) {
  const mine = requireTeamRole(principal, teamId, 'ADMIN');
  const member = await db.membership.findUnique({ where: { teamId_userId: { teamId, userId } } });
  if (!member) throw new DomainError('NOT_FOUND', 'member not found');
  if (member.role === 'OWNER') {
    if (mine !== 'OWNER') throw new DomainError('FORBIDDEN', 'only an owner can remove an owner');
    await keepAnOwner(db, teamId);
  }
  await db.membership.delete({ where: { id: member.id } });
  return member;
}

/** A signed-in member leaves a team (any role); its last owner first makes someone else owner. */
export async function leaveTeam(db: Db, principal: Principal, teamId: number) {
  if (principal.kind !== 'user') throw new DomainError('FORBIDDEN', 'an API key cannot leave a team');
  const mine = requireTeamRole(principal, teamId, 'VIEWER');
  if (mine === 'OWNER') await keepAnOwner(db, teamId);
  await db.membership.delete({ where: { teamId_userId: { teamId, userId: principal.userId } } });
}

/**
 * The team's API keys (admin), or with `projectId` only the keys scoped to that project: a project-scoped admin
 * key manages its own project's keys (Edge Impulse's project API keys) and nothing wider.
 */
export async function listApiKeys(db: Db, principal: Principal, teamId: number, projectId?: number) {
  requireTeamRole(principal, teamId, 'ADMIN', projectId);
  return db.apiKey.findMany({
    where: { teamId, ...(projectId !== undefined ? { projectId } : {}) },
    select: {
      id: true,
      name: true,
      prefix: true,
      role: true,
      projectId: true,
      lastUsedAt: true,
      revokedAt: true,
      createdAt: true,
    },
    orderBy: { id: 'desc' },
  });
}

/**
 * A new key (admin), never above the creator's own role nor wider than its scope: a team-wide key needs a team
 * admin; a key for one project needs an admin of that project (a project-scoped admin key may make keys for its
 * own project only). The key is returned once.
 */
export async function createTeamApiKey(
  db: Db,
  principal: Principal,
  input: { teamId: number; name: string; role: Exclude<TeamRole, 'OWNER'>; projectId?: number | null },
) {
  const mine = requireTeamRole(principal, input.teamId, 'ADMIN', input.projectId ?? undefined);
  if (ROLE_RANK[input.role] > ROLE_RANK[mine])
    throw new DomainError('FORBIDDEN', 'a key cannot have more rights than its creator');
  if (input.projectId != null) {
    const project = await requireProject(db, principal, input.projectId, 'ADMIN');
    if (project.teamId !== input.teamId) throw new DomainError('NOT_FOUND', 'project not found');
  }
  const { token, hash, displayPrefix } = generateToken(API_KEY_PREFIX);
  const key = await db.apiKey.create({
    data: {
      teamId: input.teamId,
      projectId: input.projectId ?? null,
      name: input.name,
      prefix: displayPrefix,
      keyHash: hash,
      role: input.role,
      createdById: principal.userId,
    },
  });
  return { id: key.id, key: token, prefix: displayPrefix, role: key.role, projectId: key.projectId };
}

export async function revokeApiKey(db: Db, principal: Principal, teamId: number, keyId: number) {
  requireTeamRole(principal, teamId, 'ADMIN');
  const { count } = await db.apiKey.updateMany({
    where: { id: keyId, teamId, revokedAt: null },
    data: { revokedAt: new Date() },
  });
  if (count === 0) throw new DomainError('NOT_FOUND', 'API key not found');
  forgetApiKey(keyId);
  return { id: keyId };
}

export { atLeast };
