import NextAuth from 'next-auth';
import { NextRequest } from 'next/server';
import { authOptions } from '@/server/auth';
import { readBodyUpTo } from '@/server/body-limit';

export const dynamic = 'force-dynamic';

type Context = { params: Promise<{ nextauth: string[] }> };

/** Sign-in, sign-out and CSRF forms are a few hundred bytes: anything over this is refused with 413. */
const AUTH_BODY_LIMIT = 64 * 1024;

async function handler(request: NextRequest, context: Context) {
  let req = request;
  if (request.method === 'POST') {
    // next-auth reads the whole body into memory: read it here, under a limit, and hand it on.
    const body = await readBodyUpTo(request, AUTH_BODY_LIMIT);
    if (!body) {
      return Response.json(
        { error: 'PayloadTooLarge', message: `the request body is larger than ${AUTH_BODY_LIMIT} bytes` },
        { status: 413 },
      );
    }
    req = new NextRequest(request.url, { method: 'POST', headers: request.headers, body: body as BodyInit });
  }
  return NextAuth(req as never, { params: await context.params } as never, authOptions());
}

export { handler as GET, handler as POST };
