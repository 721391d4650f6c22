import { decode } from 'next-auth/jwt';
import type { SessionUser } from '@trainhub/api/trpc';

const COOKIES = ['__Secure-next-auth.session-token', 'next-auth.session-token'];

/** When a session token's user signed in (seconds); tokens from before that claim existed: their `iat`. */
export function signedInAt(token: Record<string, unknown>): number | undefined {
  const value = token.signedInAt ?? token.iat;
  return typeof value === 'number' ? value : undefined;
}

/**
 * The user of the web UI's session (next-auth JWT cookie, signed with `secret`: next-auth's own) on a plain
 * Request, for handlers that build their own principal (the tRPC endpoint): null when there is no valid
 * session cookie. Free of server-only imports so the authorization suite (prove/) signs in exactly this way.
 */
export async function sessionUserFromRequest(request: Request, secret: string): Promise<SessionUser | null> {
  const cookies = new Map(
    (request.headers.get('cookie') ?? '')
      .split(';')
      .map((part) => part.trim())
      .filter(Boolean)
      .map((part) => {
        const eq = part.indexOf('=');
        const raw = part.slice(eq + 1);
        let value = raw;
        try {
          value = decodeURIComponent(raw);
        } catch {
          // Malformed encoding: kept as sent; it decodes to no session.
        }
        return [part.slice(0, eq), value] as const;
      }),
  );
  // Large sessions are split into `name.0`, `name.1`, ... chunks.
  for (const name of COOKIES) {
    const token =
      cookies.get(name) ??
      [...cookies.entries()]
        .filter(([k]) => k.startsWith(`${name}.`))
        .sort(([a], [b]) => Number(a.split('.').pop()) - Number(b.split('.').pop()))
        .map(([, v]) => v)
        .join('');
    if (!token) continue;
    try {
      const payload = await decode({ token, secret });
      if (payload?.sub) return { userId: payload.sub, issuedAt: signedInAt(payload) };
    } catch {
      // An unreadable cookie is no session.
    }
  }
  return null;
}
