import type { Db } from '@trainhub/db';
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
