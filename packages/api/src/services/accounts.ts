import type { Db, TeamRole } from '@trainhub/db';
import { generateToken, hashPassword } from '../auth/secrets';
import { DomainError } from './errors';

export function slugify(name: string): string {
  const slug = name
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 48);
  return slug || 'team';
}

/** A slug not taken yet: `name`, else `name-2`, `name-3`, ... */
async function freeSlug(db: Db, name: string): Promise<string> {
  const base = slugify(name);
  for (let n = 1; ; n++) {
    const slug = n === 1 ? base : `${base}-${n}`;
    if (!(await db.team.findUnique({ where: { slug }, select: { id: true } }))) return slug;
  }
}

export interface CreateUserInput {
  email: string;
  password: string;
  name?: string;
  /** Team to join as owner; created when missing. Defaults to a personal team named after the email. */
  team?: string;
}

/** Creates a user with a bcrypt-hashed password and makes them owner of the named (or a new) team. */
export async function createUserWithTeam(db: Db, input: CreateUserInput) {
  const email = input.email.trim().toLowerCase();
  if (await db.user.findUnique({ where: { email }, select: { id: true } })) {
    throw new DomainError('CONFLICT', `a user with email ${email} already exists`);
  }
  const passwordHash = await hashPassword(input.password);
  const teamName = input.team?.trim() || email.split('@')[0] || 'team';
  const existingTeam = await db.team.findFirst({ where: { name: teamName }, orderBy: { id: 'asc' } });
  const slug = existingTeam ? null : await freeSlug(db, teamName);
  return db.$transaction(async (tx) => {
    const user = await tx.user.create({ data: { email, passwordHash, name: input.name ?? null } });
    const team = existingTeam ?? (await tx.team.create({ data: { name: teamName, slug: slug! } }));
    const role: TeamRole = 'OWNER';
    await tx.membership.create({ data: { teamId: team.id, userId: user.id, role } });
    return {
      user: { id: user.id, email: user.email },
      team: { id: team.id, name: team.name, slug: team.slug },
      role,
    };
  });
}

export interface CreateApiKeyInput {
  email: string;
  team: string;
  project?: string;
  role: Extract<TeamRole, 'VIEWER' | 'EDITOR' | 'ADMIN'>;
  name?: string;
}

/**
 * Creates an API key acting for a team (or one project of it) with a role, on behalf of a member who holds
 * at least that role. Returns the key once; only its hash is stored.
 */
export async function createApiKey(db: Db, input: CreateApiKeyInput) {
  const email = input.email.trim().toLowerCase();
  const user = await db.user.findUnique({ where: { email }, select: { id: true } });
  if (!user) throw new DomainError('NOT_FOUND', `no user with email ${email}`);
  const team = await db.team.findFirst({
    where: { OR: [{ slug: input.team }, { name: input.team }], memberships: { some: { userId: user.id } } },
    include: { memberships: { where: { userId: user.id } } },
  });
  if (!team) throw new DomainError('NOT_FOUND', `${email} is not a member of a team named ${input.team}`);
  const memberRole = team.memberships[0]!.role;
  if (ROLE_RANK[memberRole] < ROLE_RANK[input.role]) {
    throw new DomainError(
      'FORBIDDEN',
      `${email} is ${memberRole.toLowerCase()} of ${team.name} and cannot grant ${input.role.toLowerCase()}`,
    );
  }
  let projectId: number | null = null;
  if (input.project) {
    const project = await db.project.findFirst({
      where: { teamId: team.id, name: input.project, deletedAt: null },
      select: { id: true },
    });
    if (!project)
      throw new DomainError('NOT_FOUND', `team ${team.name} has no project named ${input.project}`);
    projectId = project.id;
  }
  const { token, hash, displayPrefix } = generateToken(API_KEY_PREFIX);
  const key = await db.apiKey.create({
    data: {
      teamId: team.id,
      projectId,
      name: input.name ?? `${input.role.toLowerCase()} key`,
      prefix: displayPrefix,
      keyHash: hash,
      role: input.role,
      createdById: user.id,
    },
  });
  return { id: key.id, key: token, teamId: team.id, projectId, role: key.role };
}

/**
 * Prefix of new API keys (`ei_` + 43 url-safe chars). Edge Impulse's clients refuse a key that does not start
 * with `ei_` before sending anything (fidelity note, section 4), so every key is made that way; keys are looked
 * up by the SHA-256 of the whole token, so keys issued earlier with `th_` keep working on every surface.
 */
export const API_KEY_PREFIX = 'ei';

export const ROLE_RANK: Record<TeamRole, number> = { VIEWER: 1, EDITOR: 2, ADMIN: 3, OWNER: 4 };
