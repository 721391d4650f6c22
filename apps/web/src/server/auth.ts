import 'server-only';
import { loadSecretFile } from '@trainhub/api';
import { openSignupAvailable } from '@trainhub/api/services/signup';
import type { SessionUser } from '@trainhub/api/trpc';
import { getServerSession, type NextAuthOptions } from 'next-auth';
import CredentialsProvider from 'next-auth/providers/credentials';
import GitHubProvider from 'next-auth/providers/github';
import GoogleProvider from 'next-auth/providers/google';
import { credentialsAuthorize } from './credentials';
import { getDb } from './deps';
import { webEnv } from './config';
import { signedInAt } from './session-cookie';

/** OAuth sign-in: an existing account by email, or a new one where the sign-up policy allows it. */
async function oauthUserId(email: string | null | undefined, name: string | null | undefined) {
  if (!email) return null;
  const db = getDb();
  const normalized = email.trim().toLowerCase();
  const existing = await db.user.findUnique({ where: { email: normalized }, select: { id: true } });
  if (existing) return existing.id;
  if (!(await openSignupAvailable(db, webEnv().auth.allowSignup))) return null;
  const user = await db.user.create({ data: { email: normalized, name: name ?? null } });
  return user.id;
}

let cached: NextAuthOptions | undefined;

export function authOptions(): NextAuthOptions {
  if (cached) return cached;
  const env = webEnv();
  process.env.NEXTAUTH_URL ??= env.auth.url;
  const providers: NextAuthOptions['providers'] = [
    CredentialsProvider({
      name: 'Email and password',
      credentials: {
        email: { label: 'Email', type: 'email' },
        password: { label: 'Password', type: 'password' },
      },
      // Counted per email + client IP in the database, shared by every web instance (credentials.ts).
      authorize: credentialsAuthorize(getDb, () => env.trustProxyHops),
    }),
  ];
  if (env.auth.github) providers.push(GitHubProvider(env.auth.github));
  if (env.auth.google) providers.push(GoogleProvider(env.auth.google));
  cached = {
    // NEXTAUTH_SECRET, else a random one kept in DATA_DIR/nextauth-secret (`npm start` needs no setup).
    secret: loadSecretFile(env.dataDir, 'nextauth-secret', env.auth.secret),
    session: { strategy: 'jwt', maxAge: 30 * 24 * 3600 },
    pages: { signIn: '/signin', error: '/signin' },
    providers,
    callbacks: {
      async signIn({ user, account }) {
        if (!account || account.provider === 'credentials') return true;
        return (await oauthUserId(user.email, user.name)) !== null;
      },
      async jwt({ token, user, account }) {
        if (user && account && account.provider !== 'credentials') {
          // OAuth: the token names our user, not the provider's account.
          const id = await oauthUserId(user.email, user.name);
          if (id) token.sub = id;
        }
        // When the user signed in: kept through the token's refreshes (which renew `iat`), so a password
        // change can end every session signed in before it.
        if (user) token.signedInAt = Math.floor(Date.now() / 1000);
        return token;
      },
      async session({ session, token }) {
        if (session.user && token.sub) (session.user as { id?: string }).id = token.sub;
        (session as { signedInAt?: number }).signedInAt = signedInAt(token);
        return session;
      },
    },
  };
  return cached;
}

/** The signed-in user and when they signed in, or null. */
export async function sessionUser(): Promise<SessionUser | null> {
  const session = (await getServerSession(authOptions())) as {
    user?: { id?: string };
    signedInAt?: number;
  } | null;
  const userId = session?.user?.id;
  return userId ? { userId, issuedAt: session.signedInAt } : null;
}

export function oauthProviders(): { id: string; name: string }[] {
  const env = webEnv();
  return [
    ...(env.auth.github ? [{ id: 'github', name: 'GitHub' }] : []),
    ...(env.auth.google ? [{ id: 'google', name: 'Google' }] : []),
  ];
}
