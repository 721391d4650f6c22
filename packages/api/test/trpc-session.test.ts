import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { changePassword } from '../src/services/signup';
import { handleTrpc, type SessionUser } from '../src/trpc';
import { makeWorld, PASSWORD, type World } from './helpers';

// The web UI's users reach tRPC with their own session (a cookie the host app decodes), not an API key.
describe('tRPC with the host app session', () => {
  let w: World;
  beforeAll(async () => {
    w = await makeWorld('sqlite');
  });
  afterAll(async () => {
    await w?.drop();
  });

  const list = (sessionUser?: (r: Request) => Promise<SessionUser | null>) =>
    handleTrpc(
      new Request('http://localhost/api/trpc/projects.list', { headers: { cookie: 'ui-session=opaque' } }),
      w.deps,
      '/api/trpc',
      sessionUser ? { sessionUser } : {},
    );

  it('acts as the user the host recognizes, seeing only that user’s team', async () => {
    const response = await list(async (request) =>
      request.headers.get('cookie') === 'ui-session=opaque' ? { userId: w.a.users.VIEWER.id } : null,
    );
    expect(response.status).toBe(200);
    const projects = (await response.json()).result.data.json as { id: number }[];
    expect(projects.map((p) => p.id)).toEqual([w.a.projectId]);
  });

  it('is unauthenticated when the host recognizes no session', async () => {
    expect((await list(async () => null)).status).toBe(401);
    expect((await list()).status).toBe(401);
  });

  it('refuses a session issued before the user changed their password, accepts one issued after', async () => {
    const user = w.a.users.EDITOR;
    const before = Math.floor(Date.now() / 1000) - 60;
    const session = (issuedAt: number) => async () => ({ userId: user.id, issuedAt });
    expect((await list(session(before))).status).toBe(200);
    await changePassword(w.t.db, user.id, PASSWORD, 'a brand new password');
    expect((await list(session(before))).status).toBe(401);
    expect((await list(session(Math.floor(Date.now() / 1000)))).status).toBe(200);
  });
});
