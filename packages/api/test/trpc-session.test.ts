import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handleTrpc } from '../src/trpc';
import { makeWorld, type World } from './helpers';

// The web UI's users reach tRPC with their own session (a cookie the host app decodes), not an API key.
describe('tRPC with the host app session', () => {
  let w: World;
  beforeAll(async () => {
    w = await makeWorld('sqlite');
  });
  afterAll(async () => {
    await w?.drop();
  });

  const list = (sessionUserId?: (r: Request) => Promise<string | null>) =>
    handleTrpc(
      new Request('http://localhost/api/trpc/projects.list', { headers: { cookie: 'ui-session=opaque' } }),
      w.deps,
      '/api/trpc',
      sessionUserId ? { sessionUserId } : {},
    );

  it('acts as the user the host recognizes, seeing only that user’s team', async () => {
    const response = await list(async (request) =>
      request.headers.get('cookie') === 'ui-session=opaque' ? w.a.users.VIEWER.id : null,
    );
    expect(response.status).toBe(200);
    const projects = (await response.json()).result.data as { id: number }[];
    expect(projects.map((p) => p.id)).toEqual([w.a.projectId]);
  });

  it('is unauthenticated when the host recognizes no session', async () => {
    expect((await list(async () => null)).status).toBe(401);
    expect((await list()).status).toBe(401);
  });
});
