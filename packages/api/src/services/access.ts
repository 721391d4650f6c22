import type { Db, Project, TeamRole } from '@trainhub/db';
import { atLeast, isProjectScoped, roleIn, visibleTeamIds, type Principal } from '../auth/principal';
import { DomainError } from './errors';

/**
 * The project if the caller may act on it with at least `min`. Another team's project answers exactly like
 * an unknown id (NOT_FOUND); a project the caller can see but not change answers FORBIDDEN.
 */
export async function requireProject(
  db: Db,
  principal: Principal,
  projectId: number,
  min: TeamRole,
): Promise<Project> {
  const project = Number.isSafeInteger(projectId)
    ? await db.project.findFirst({ where: { id: projectId, deletedAt: null } })
    : null;
  const role = project ? roleIn(principal, project.teamId, project.id) : null;
  if (!project || role === null) throw new DomainError('NOT_FOUND', 'project not found');
  if (!atLeast(role, min)) throw new DomainError('FORBIDDEN', `this needs the ${min.toLowerCase()} role`);
  return project;
}

/**
 * Checks the caller's role in a team for a team-level operation (or inside `projectId` when given). A team the
 * caller is not in answers NOT_FOUND; a project-scoped API key of this team answers FORBIDDEN, since it acts
 * only inside its project (see `roleIn`), and NOT_FOUND for another project of the team.
 */
export function requireTeamRole(
  principal: Principal,
  teamId: number,
  min: TeamRole,
  projectId?: number,
): TeamRole {
  const role = roleIn(principal, teamId, projectId);
  if (role === null) {
    if (isProjectScoped(principal) && visibleTeamIds(principal).includes(teamId)) {
      // Another project of its team is as unknown to it as any other project.
      if (projectId !== undefined) throw new DomainError('NOT_FOUND', 'project not found');
      throw new DomainError('FORBIDDEN', 'a project API key acts only inside its project');
    }
    throw new DomainError('NOT_FOUND', 'team not found');
  }
  if (!atLeast(role, min)) throw new DomainError('FORBIDDEN', `this needs the ${min.toLowerCase()} role`);
  return role;
}

/** The team a new project goes to: the key's team, or the user's first team where they may create. */
export function defaultTeamFor(principal: Principal, min: TeamRole, teamId?: number): number {
  if (teamId !== undefined) {
    requireTeamRole(principal, teamId, min);
    return teamId;
  }
  if (principal.kind === 'apiKey') {
    requireTeamRole(principal, principal.teamId, min);
    return principal.teamId;
  }
  const team = principal.memberships.find((m) => atLeast(m.role, min));
  if (!team) {
    if (visibleTeamIds(principal).length === 0)
      throw new DomainError('FORBIDDEN', 'you are not a member of any team');
    throw new DomainError('FORBIDDEN', `this needs the ${min.toLowerCase()} role`);
  }
  return team.teamId;
}
