import type { Db } from '@trainhub/db';
import { hashToken, verifyPassword } from './secrets';
import { assertNotLimited, limitPasswordCheck } from './login-limit';
import { verifyJwt } from './jwt';
import type { Principal } from './principal';

// Turning credentials into a principal. Each function answers null for unknown, revoked or wrong
// credentials; callers answer in their own style.

const LAST_USED_RESOLUTION_MS = 60_000;

// Every API call resolves its key; a status poller calls many times a second. A resolved key is kept for a
// few seconds, keyed by the SHA-256 of the token (never the token). Revoking through the services drops it
// at once (forgetApiKey); anything else (a revocation written by another process) is seen within the TTL.
const apiKeyCache = new Map<string, { principal: Principal; until: number; lastUsedAt: number }>();
const API_KEY_CACHE_MS = 5_000;
const CACHE_MAX = 10_000;

/** Drops cached resolutions of a key (after revoking it). */
export function forgetApiKey(keyId: number): void {
  for (const [hash, entry] of apiKeyCache)
    if (entry.principal.kind === 'apiKey' && entry.principal.keyId === keyId) apiKeyCache.delete(hash);
}

/** Drops every cached credential (tests; a process that changed keys or passwords in bulk). */
export function clearCredentialCaches(): void {
  apiKeyCache.clear();
  basicCache.clear();
}

function touchLastUsed(db: Db, keyId: number, now: Date) {
  // Best effort and at most once a minute per key: a read must not wait on (or fail for) bookkeeping.
  db.apiKey
    .updateMany({
      where: {
        id: keyId,
        OR: [{ lastUsedAt: null }, { lastUsedAt: { lt: new Date(now.getTime() - LAST_USED_RESOLUTION_MS) } }],
      },
      data: { lastUsedAt: now },
    })
    .catch(() => undefined);
}

export async function principalFromApiKey(
  db: Db,
  token: string,
  now = new Date(),
): Promise<Principal | null> {
  if (!token || token.length > 200) return null;
  const keyHash = hashToken(token);
  const cached = apiKeyCache.get(keyHash);
  if (cached && cached.until > now.getTime()) {
    if (now.getTime() - cached.lastUsedAt > LAST_USED_RESOLUTION_MS && cached.principal.kind === 'apiKey') {
      cached.lastUsedAt = now.getTime();
      touchLastUsed(db, cached.principal.keyId, now);
    }
    return { ...cached.principal };
  }
  const key = await db.apiKey.findUnique({ where: { keyHash } });
  if (!key || key.revokedAt) {
    apiKeyCache.delete(keyHash);
    return null;
  }
  if (!key.lastUsedAt || now.getTime() - key.lastUsedAt.getTime() > LAST_USED_RESOLUTION_MS) {
    touchLastUsed(db, key.id, now);
  }
  const principal: Principal = {
    kind: 'apiKey',
    keyId: key.id,
    teamId: key.teamId,
    projectId: key.projectId,
    role: key.role,
    userId: key.createdById,
  };
  if (apiKeyCache.size >= CACHE_MAX) apiKeyCache.clear();
  apiKeyCache.set(keyHash, {
    principal,
    until: now.getTime() + API_KEY_CACHE_MS,
    lastUsedAt: Math.max(key.lastUsedAt?.getTime() ?? 0, now.getTime()),
  });
  return { ...principal };
}

/**
 * The principal of a signed-in user. `issuedAt` (seconds, a JWT session's or token's `iat`): one issued
 * before the user's last password change is refused, so changing a password signs out everywhere. Callers
 * without one (database sessions, which a password change deletes) are not checked.
 */
export async function principalFromUserId(
  db: Db,
  userId: string,
  options: { issuedAt?: number } = {},
): Promise<Principal | null> {
  const user = await db.user.findUnique({
    where: { id: userId },
    select: {
      id: true,
      email: true,
      passwordChangedAt: true,
      memberships: { select: { teamId: true, role: true } },
    },
  });
  if (!user || !issuedAfterPasswordChange(options.issuedAt, user.passwordChangedAt)) return null;
  return { kind: 'user', userId: user.id, email: user.email, memberships: user.memberships };
}

/** Whether a session issued at `issuedAt` (seconds) postdates the last password change (to the second). */
function issuedAfterPasswordChange(issuedAt: number | undefined, changedAt: Date | null): boolean {
  if (!changedAt || issuedAt === undefined) return true;
  return issuedAt >= Math.floor(changedAt.getTime() / 1000);
}

// bcrypt is slow by design; a client sending Basic auth on every request would pay it every time. Remember
// a successful check briefly, keyed by a hash of the credentials and the stored hash (a password change
// invalidates it). Only this process uses it; nothing depends on it being there.
const basicCache = new Map<string, { userId: string; until: number }>();
const BASIC_CACHE_MS = 60_000;

// Compared against when the account is unknown (or has no password), so that an unknown email costs the
// same bcrypt work (cost 11, as hashPassword) as a wrong password. The hash of a random, discarded string.
const DUMMY_PASSWORD_HASH = '$2b$11$tl0HwkQA42tT9PRlhwq9NeDU5gbgdXDJSsKsp2ym.2EXnpbltXqRq';

/**
 * HTTP Basic: `user:password` or Cumulocity's `tenant/user:password`, where tenant is a team slug that
 * limits the principal to that team. Both forms count against the sign-in limits of the same account
 * (login-limit.ts) per `clientIp` (null: per account alone).
 * @throws LoginRateLimitedError after too many failures, even for the right password.
 */
export async function principalFromBasic(
  db: Db,
  username: string,
  password: string,
  clientIp: string | null = null,
): Promise<Principal | null> {
  let tenant: string | undefined;
  let email = username;
  const slash = username.indexOf('/');
  if (slash > 0) {
    tenant = username.slice(0, slash);
    email = username.slice(slash + 1);
  }
  email = email.trim().toLowerCase();
  if (!email || !password || password.length > 1024) return null;
  // One query: the stored hash (the cache key includes it, so a password change invalidates) and the
  // memberships (read on every call: a role change applies at once).
  const user = await db.user.findUnique({
    where: { email },
    select: {
      id: true,
      email: true,
      passwordHash: true,
      memberships: { select: { teamId: true, role: true, team: { select: { slug: true } } } },
    },
  });
  const attempt = { account: email, ip: clientIp };
  const cacheKey = user?.passwordHash ? hashToken(`${email}\0${password}\0${user.passwordHash}`) : '';
  const cached = basicCache.get(cacheKey);
  if (user && cached && cached.until >= Date.now()) {
    // Verified here before: no bcrypt, but a blocked account + IP stays blocked.
    await assertNotLimited(db, attempt);
  } else {
    const verified = await limitPasswordCheck(db, attempt, async () => {
      const ok = await verifyPassword(password, user?.passwordHash ?? DUMMY_PASSWORD_HASH);
      return ok && user?.passwordHash ? user : null;
    });
    if (!verified) return null;
    if (basicCache.size > CACHE_MAX) basicCache.clear();
    basicCache.set(cacheKey, { userId: verified.id, until: Date.now() + BASIC_CACHE_MS });
  }
  if (!user) return null;
  const memberships = user.memberships
    .filter((m) => tenant === undefined || m.team.slug === tenant)
    .map((m) => ({ teamId: m.teamId, role: m.role }));
  if (tenant !== undefined && memberships.length === 0) return null;
  return { kind: 'user', userId: user.id, email: user.email, memberships };
}

/**
 * Email + password (web sign-in, Edge Impulse api-login): the user id, or null. Counted by the sign-in
 * limits (login-limit.ts) per email and `clientIp` (null: per email alone); an unknown email costs one
 * bcrypt comparison, as a wrong password does.
 * @throws LoginRateLimitedError after too many failures, even for the right password.
 */
export async function checkPassword(
  db: Db,
  email: string,
  password: string,
  clientIp: string | null,
): Promise<string | null> {
  const account = email.trim().toLowerCase();
  return limitPasswordCheck(db, { account, ip: clientIp }, async () => {
    const user = await db.user.findUnique({
      where: { email: account },
      select: { id: true, passwordHash: true },
    });
    const ok = await verifyPassword(password, user?.passwordHash ?? DUMMY_PASSWORD_HASH);
    return ok && user?.passwordHash ? user.id : null;
  });
}

export async function principalFromJwt(db: Db, token: string, secret: string): Promise<Principal | null> {
  const claims = verifyJwt(token, secret, 'user');
  return claims ? principalFromUserId(db, claims.sub, { issuedAt: claims.iat }) : null;
}

/** `Authorization` header value -> scheme + credentials. */
export function parseAuthorization(
  header: string | null,
): { scheme: 'basic'; user: string; password: string } | { scheme: 'bearer'; token: string } | null {
  if (!header) return null;
  const [scheme, ...rest] = header.trim().split(/\s+/);
  const value = rest.join(' ');
  if (!scheme || !value) return null;
  if (scheme.toLowerCase() === 'bearer') return { scheme: 'bearer', token: value };
  if (scheme.toLowerCase() === 'basic') {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return null;
    return { scheme: 'basic', user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
  }
  return null;
}
