import type { Principal } from '../../auth/principal';
import { LoginRateLimitedError } from '../../auth/login-limit';
import { parseAuthorization, principalFromApiKey, principalFromBasic } from '../../auth/resolve';
import { json, type RouteContext } from '../http';

// Cumulocity's credentials, shared by the MLW style and the Cumulocity platform surface (both are served to
// Cumulocity clients, which send the same headers and read the same 401 bodies).

const INFO = 'https://cumulocity.com/guides/reference/rest-implementation/#error_reporting';

/** No (`missing`) or bad credentials, answered in Cumulocity's auth error shape. */
export class CumulocityAuthError extends Error {
  override name = 'CumulocityAuthError';
  constructor(readonly missing: boolean) {
    super(missing ? 'No auth information found' : 'Invalid credentials!');
  }
}

/**
 * The caller of a Cumulocity-style request: `Authorization: Basic user:password | tenant/user:password`
 * (the tenant a team slug, limiting the caller to that team) or `Bearer <api key>`. Passwords count
 * against the sign-in limits per client IP.
 * @throws CumulocityAuthError without an Authorization header (when `required`), or with one that is
 *   unreadable or names no valid credentials; LoginRateLimitedError after too many failed passwords.
 */
export async function authenticateCumulocity(
  ctx: RouteContext,
  required: boolean,
): Promise<Principal | null> {
  const header = ctx.request.headers.get('authorization');
  if (!header && !required) return null;
  const auth = parseAuthorization(header);
  if (!auth) throw new CumulocityAuthError(!header);
  const principal =
    auth.scheme === 'bearer'
      ? await principalFromApiKey(ctx.deps.db, auth.token)
      : await principalFromBasic(ctx.deps.db, auth.user, auth.password, ctx.clientIp);
  if (!principal) throw new CumulocityAuthError(false);
  return principal;
}

/**
 * Cumulocity's 401 for a credential failure (fidelity mlw.md: `general/internalError` "No auth information
 * found" without credentials, `security/Unauthorized` "Invalid credentials!" for bad ones, the same with the
 * wait and a Retry-After header when sign-ins are limited); null for any other error.
 */
export function cumulocityAuthResponse(error: unknown): Response | null {
  if (error instanceof CumulocityAuthError) {
    return json(
      error.missing
        ? { error: 'general/internalError', message: 'No auth information found', info: INFO }
        : { error: 'security/Unauthorized', message: 'Invalid credentials!', info: INFO },
      401,
    );
  }
  if (error instanceof LoginRateLimitedError) {
    const message = `Invalid credentials! : ${error.message}`;
    return json({ error: 'security/Unauthorized', message, info: INFO }, 401, {
      'retry-after': String(error.retryAfterSeconds),
    });
  }
  return null;
}
