import type { ArtifactStore, Db } from '@trainhub/db';
import type { Principal } from '../auth/principal';
import { requireTeamRole } from './access';
import { slugify } from './accounts';
import { DomainError } from './errors';

function teamName(raw: string): string {
  const name = raw.trim();
  if (!name) throw new DomainError('INVALID', 'a team needs a name');
  if (name.length > 100) throw new DomainError('INVALID', 'a team name has at most 100 characters');
  return name;
}

/** A new team with the signed-in user as its owner. */
export async function createTeam(db: Db, principal: Principal, rawName: string) {
  if (principal.kind !== 'user') throw new DomainError('FORBIDDEN', 'only people create teams');
  const name = teamName(rawName);
  const base = slugify(name);
  for (let n = 1; n < 1000; n++) {
    const slug = n === 1 ? base : `${base}-${n}`;
    if (await db.team.findUnique({ where: { slug }, select: { id: true } })) continue;
    try {
      return await db.$transaction(async (tx) => {
        const team = await tx.team.create({ data: { name, slug } });
        await tx.membership.create({ data: { teamId: team.id, userId: principal.userId, role: 'OWNER' } });
        return team;
      });
    } catch (error) {
      // Someone took the slug between the check and the insert: try the next one.
      if ((error as { code?: string }).code !== 'P2002') throw error;
    }
  }
  throw new DomainError('CONFLICT', 'no free slug for this team name');
}

/** Renames a team (admin); the slug stays, so links and Basic-auth tenants keep working. */
export async function renameTeam(db: Db, principal: Principal, teamId: number, rawName: string) {
  requireTeamRole(principal, teamId, 'ADMIN');
  return db.team.update({ where: { id: teamId }, data: { name: teamName(rawName) } });
}

/**
 * Deletes a team and everything in it: projects, resources and their files, tasks, runs and their
 * checkpoints, API keys, invites, memberships (the database cascades from the team row). Owners only, naming
 * the team to confirm. Refused while any of its trainings is queued or running: stop them first, so that no
 * trainer is writing into rows that are going away.
 */
export async function deleteTeam(
  deps: { db: Db; store: ArtifactStore },
  principal: Principal,
  teamId: number,
  confirmName: string,
) {
  if (principal.kind !== 'user') throw new DomainError('FORBIDDEN', 'only people delete teams');
  requireTeamRole(principal, teamId, 'OWNER');
  const { team, files } = await deps.db.$transaction(async (tx) => {
    const team = await tx.team.findUnique({ where: { id: teamId } });
    if (!team) throw new DomainError('NOT_FOUND', 'team not found');
    if (confirmName.trim() !== team.name) {
      throw new DomainError('INVALID', 'type the team name exactly to confirm');
    }
    const inTeam = { project: { teamId } };
    const active = await tx.execution.count({ where: { ...inTeam, status: { in: ['QUEUED', 'RUNNING'] } } });
    if (active > 0) {
      throw new DomainError(
        'CONFLICT',
        `${active} of this team's trainings are queued or running: stop them first`,
      );
    }
    // One after the other: statements of one transaction share its connection.
    const resources = await tx.resource.findMany({
      where: { ...inTeam, deletedAt: null },
      select: { storageKey: true },
    });
    const checkpoints = await tx.execution.findMany({
      where: { ...inTeam, checkpointKey: { not: null } },
      select: { checkpointKey: true },
    });
    await tx.team.delete({ where: { id: teamId } });
    return {
      team,
      files: [...resources.map((r) => r.storageKey), ...checkpoints.map((c) => c.checkpointKey!)],
    };
  });
  // Files go after the rows are gone: a failure leaves an unreferenced file, never a row without its file.
  await Promise.all(files.map((key) => deps.store.delete(key).catch(() => undefined)));
  return team;
}
