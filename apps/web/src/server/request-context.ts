import 'server-only';
import { cookies } from 'next/headers';
import { notFound, redirect } from 'next/navigation';
import { cache } from 'react';
import { DomainError, type Principal, principalFromUserId, roleIn } from '@trainhub/api';
import { getProject } from '@trainhub/api/services/projects';
import { getDb } from './deps';
import { sessionUser } from './auth';

export type UserPrincipal = Extract<Principal, { kind: 'user' }>;
export const TEAM_COOKIE = 'th-team';

/** The signed-in user's principal (cached per request), or null. */
export const currentPrincipal = cache(async (): Promise<UserPrincipal | null> => {
  const session = await sessionUser();
  if (!session) return null;
  const principal = await principalFromUserId(getDb(), session.userId, {
    issuedAt: session.issuedAt,
  });
  return principal?.kind === 'user' ? principal : null;
});

/** The principal, or a redirect to sign in. */
export async function requireUser(): Promise<UserPrincipal> {
  const principal = await currentPrincipal();
  if (!principal) redirect('/signin');
  return principal;
}

/** The team the UI works in: the one chosen in the switcher (a cookie) if still a member, else the first. */
export const currentTeam = cache(async () => {
  const principal = await requireUser();
  const db = getDb();
  const teams = await db.team.findMany({
    where: { id: { in: principal.memberships.map((m) => m.teamId) } },
    orderBy: { id: 'asc' },
  });
  const withRole = teams.map((t) => ({
    ...t,
    role: principal.memberships.find((m) => m.teamId === t.id)!.role,
  }));
  const chosen = Number((await cookies()).get(TEAM_COOKIE)?.value);
  const team = withRole.find((t) => t.id === chosen) ?? withRole[0] ?? null;
  return { principal, teams: withRole, team };
});

/** Turns a service's NOT_FOUND (also another team's id) into the 404 page. */
export async function orNotFound<T>(promise: Promise<T>): Promise<T> {
  try {
    return await promise;
  } catch (error) {
    if (error instanceof DomainError && (error.code === 'NOT_FOUND' || error.code === 'INVALID')) notFound();
    throw error;
  }
}

export function parseId(raw: string): number {
  const id = Number(raw);
  if (!/^\d{1,12}$/.test(raw) || !Number.isSafeInteger(id)) notFound();
  return id;
}

/** A project the signed-in user can see, with their role in it; another team's project is a 404. */
export const projectContext = cache(async (rawId: string) => {
  const principal = await requireUser();
  const id = parseId(rawId);
  const project = await orNotFound(getProject(getDb(), principal, id));
  const role = roleIn(principal, project.teamId, project.id)!;
  return { principal, project, role };
});
