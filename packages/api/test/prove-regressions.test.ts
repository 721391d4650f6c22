import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testProviders } from '@trainhub/db/testing';
import { createRestHandler } from '../src/rest/http';
import { edgeImpulseStyle } from '../src/rest/edge-impulse/routes';
import { handleTrpc } from '../src/trpc';
import { parseCookies } from '../src/auth/cookies';
import { makeWorld, type World } from './helpers';

// Regressions found by the prove suites (prove/src/fuzz.ts, prove/src/authz.ts).

describe('parseCookies', () => {
  it('keeps malformed percent-encoding as sent instead of throwing', () => {
    expect(parseCookies('jwt=%E0%A4%A; a=b%20c; =x; bare')).toEqual({ jwt: '%E0%A4%A', a: 'b c' });
    expect(parseCookies(null)).toEqual({});
  });
});

describe.each(testProviders)('prove regressions on %s', (provider) => {
  let w: World;
  beforeAll(async () => {
    w = await makeWorld(provider);
  });
  afterAll(async () => {
    await w?.drop();
  });

  it('Edge Impulse: a malformed jwt cookie answers 401 in the style shape (was 500 URIError)', async () => {
    const handle = createRestHandler(edgeImpulseStyle, () => w.deps);
    const response = await handle(
      new Request(`http://localhost/v1/api/${w.a.projectId}/impulse`, { headers: { cookie: 'jwt=%' } }),
    );
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ success: false });
  });

  it('tRPC: a malformed session cookie answers UNAUTHORIZED (was 500 URIError)', async () => {
    const response = await handleTrpc(
      new Request('http://localhost/api/trpc/projects.list', {
        headers: { cookie: 'next-auth.session-token=%E0%A4%A' },
      }),
      w.deps,
    );
    expect(response.status).toBe(401);
    const body = (await response.json()) as { error: { data: { code: string } } };
    expect(body.error.data.code).toBe('UNAUTHORIZED');
  });

  it("tRPC executions.listForTask: another team's task answers NOT_FOUND, not an empty list", async () => {
    const task = await w.t.db.task.create({
      data: {
        projectId: w.a.projectId,
        name: 't',
        source: 'mlw',
        definition: { version: 1 },
        hyperparameters: { epochs: 1, batchSize: 1 },
      },
    });
    const call = (key: string) =>
      handleTrpc(
        new Request(
          `http://localhost/api/trpc/executions.listForTask?input=${encodeURIComponent(JSON.stringify({ taskId: task.id }))}`,
          { headers: { 'x-api-key': key } },
        ),
        w.deps,
      );
    expect((await call(w.a.keys.VIEWER)).status).toBe(200);
    expect((await call(w.b.keys.OWNER)).status).toBe(404);
  });
});
