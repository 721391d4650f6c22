import { clientIpFromHeaders, LoginRateLimitedError, checkPassword } from '@trainhub/api';
import type { Db } from '@trainhub/db';

/** The credentials next-auth hands to `authorize` (form fields) and the request's headers. */
type Credentials = Record<string, string | undefined> | undefined;
type SignInRequest = { headers?: Record<string, unknown> } | undefined;

/**
 * next-auth's Credentials `authorize` for email + password sign-in: the user (`{ id, email }`) or null for a
 * wrong email or password. Failures are counted per email + client IP in the database, so every web
 * instance shares the count (@trainhub/api auth/login-limit.ts: the 11th attempt within 15 minutes is
 * refused even with the right password); a refused one throws `Error('RateLimited')`, which next-auth hands
 * to the sign-in form as the error code. The client IP comes from client-ip.ts (`X-Forwarded-For` only with
 * TRUST_PROXY). The password is never logged.
 */
export function credentialsAuthorize(getDb: () => Db, trustProxyHops: () => number) {
  return async function authorize(credentials: Credentials, req: SignInRequest) {
    const email = String(credentials?.email ?? '')
      .trim()
      .toLowerCase();
    const password = String(credentials?.password ?? '');
    if (!email || !password || password.length > 1024) return null;
    const headers = req?.headers;
    const ip = clientIpFromHeaders((name) => {
      const value = headers?.[name];
      return typeof value === 'string' ? value : null;
    }, trustProxyHops());
    let userId: string | null;
    try {
      userId = await checkPassword(getDb(), email, password, ip);
    } catch (error) {
      if (error instanceof LoginRateLimitedError) throw new Error('RateLimited', { cause: error });
      throw error;
    }
    return userId ? { id: userId, email } : null;
  };
}
