import { createHmac, timingSafeEqual } from 'node:crypto';

// A minimal HS256 JWT (RFC 7519) for the Edge Impulse style's api-login tokens and socket tokens. Only the
// algorithm we sign with is accepted, so an `alg: none` or RS/HS confusion token is rejected.

const HEADER = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');

export interface JwtClaims {
  sub: string;
  /** What the token is for: `user` (api-login) or `socket` (socket-token). */
  typ: string;
  iat: number;
  exp: number;
  [claim: string]: unknown;
}

export function signJwt(
  claims: Omit<JwtClaims, 'iat' | 'exp'>,
  secret: string,
  ttlSeconds: number,
  now = Date.now(),
) {
  const iat = Math.floor(now / 1000);
  const payload = Buffer.from(JSON.stringify({ ...claims, iat, exp: iat + ttlSeconds })).toString(
    'base64url',
  );
  const signature = createHmac('sha256', secret).update(`${HEADER}.${payload}`).digest('base64url');
  return { token: `${HEADER}.${payload}.${signature}`, expires: new Date((iat + ttlSeconds) * 1000) };
}

/** The claims of a valid, unexpired token of the given type, or null. */
export function verifyJwt(token: string, secret: string, typ: string, now = Date.now()): JwtClaims | null {
  const parts = token.split('.');
  if (parts.length !== 3 || parts[0] !== HEADER) return null;
  const expected = createHmac('sha256', secret).update(`${parts[0]}.${parts[1]}`).digest();
  const given = Buffer.from(parts[2]!, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  let claims: JwtClaims;
  try {
    claims = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as JwtClaims;
  } catch {
    return null;
  }
  if (typeof claims !== 'object' || claims === null || claims.typ !== typ || typeof claims.sub !== 'string') {
    return null;
  }
  if (typeof claims.exp !== 'number' || claims.exp * 1000 <= now) return null;
  return claims;
}
