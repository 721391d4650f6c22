import type { TeamRole } from '@trainhub/db';
import { ROLE_RANK } from '../services/accounts';

/**
 * Who is calling. Every service call takes one, and every read and write checks it.
 * - user: a signed-in person (Basic auth, JWT, next-auth session) with their role in each team.
 * - apiKey: acts for one team (or one project of it) with the key's role.
 */
export type Principal =
  | {
      kind: 'user';
      userId: string;
      email: string;
      memberships: { teamId: number; role: TeamRole }[];
    }
  | {
      kind: 'apiKey';
      keyId: number;
      teamId: number;
      /** Set when the key is scoped to one project: it sees nothing else. */
      projectId: number | null;
      role: TeamRole;
      userId: string | null;
    };

/**
 * The caller's role in a team, or inside one project of it when `projectId` is given; null when it has none
 * there. This is the one rule for project-scoped API keys: such a key has a role only inside its project and
 * none at team level, so every team-level check (keys, invites, members, team settings, creating projects),
 * which asks without a project id, refuses it.
 */
export function roleIn(principal: Principal, teamId: number, projectId?: number): TeamRole | null {
  if (principal.kind === 'user') {
    return principal.memberships.find((m) => m.teamId === teamId)?.role ?? null;
  }
  if (principal.teamId !== teamId) return null;
  if (principal.projectId !== null && principal.projectId !== projectId) return null;
  return principal.role;
}

/** Whether the caller is an API key limited to one project (it acts inside that project and nowhere else). */
export function isProjectScoped(principal: Principal): boolean {
  return principal.kind === 'apiKey' && principal.projectId !== null;
}

export function atLeast(role: TeamRole | null, min: TeamRole): boolean {
  return role !== null && ROLE_RANK[role] >= ROLE_RANK[min];
}

/** Team ids the caller can read in. */
export function visibleTeamIds(principal: Principal): number[] {
  return principal.kind === 'user' ? principal.memberships.map((m) => m.teamId) : [principal.teamId];
}

/**
 * The Prisma filter for the projects a principal can see. `canSeeProject` is the same rule for a project
 * row already read (the status reads fetch rows in plain SQL and check them): change both.
 */
export function projectScope(principal: Principal): {
  teamId: { in: number[] };
  id?: number;
  deletedAt: null;
} {
  if (principal.kind === 'apiKey' && principal.projectId !== null) {
    return { teamId: { in: [principal.teamId] }, id: principal.projectId, deletedAt: null };
  }
  return { teamId: { in: visibleTeamIds(principal) }, deletedAt: null };
}

/** Whether the principal can see this project (the rule of `projectScope`, applied to a read row). */
export function canSeeProject(
  principal: Principal,
  project: { id: number; teamId: number; deletedAt: Date | null },
): boolean {
  if (project.deletedAt !== null || !visibleTeamIds(principal).includes(project.teamId)) return false;
  return principal.kind === 'user' || principal.projectId === null || principal.projectId === project.id;
}

export function principalUserId(principal: Principal): string | null {
  return principal.userId;
}
