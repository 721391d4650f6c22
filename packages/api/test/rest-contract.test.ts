import { describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import type { Principal } from '../src/auth/principal';
import {
  ContractError,
  createRestHandler,
  json,
  route,
  type RestDeps,
  type RestStyle,
} from '../src/rest/http';

// The dispatcher applies each route's declared contracts (issue 15): it authenticates with the style's
// reader, parses path, query and body, and words every failure with the style's mapper. These tests use a
// made-up style whose mapper echoes what it was given, so each step's effect is visible.

const caller: Principal = {
  kind: 'apiKey',
  keyId: 7,
  teamId: 1,
  projectId: null,
  role: 'EDITOR',
  userId: null,
};
const deps = { jsonBodyLimitBytes: 64 } as RestDeps;

class Unauthorized extends Error {}

function styleOf(routes: RestStyle['routes'], extra: Partial<RestStyle> = {}): RestStyle {
  return {
    basePath: '/t',
    routes,
    authenticate: async (ctx, required) => {
      const key = ctx.request.headers.get('x-key');
      if (key === 'good') return caller;
      if (key || required) throw new Unauthorized(key ? 'bad key' : 'no key');
      return null;
    },
    errorResponse: (error) => {
      if (error instanceof Unauthorized) return json({ auth: error.message }, 401);
      if (error instanceof ContractError)
        return json(
          {
            first: error.location,
            failures: error.failures.map((f) => ({
              location: f.location,
              paths: f.issues.map((i) => i.path.join('.')),
              received: f.received ?? null,
            })),
          },
          400,
        );
      return json({ other: String(error) }, 500);
    },
    notFound: () => json({ notFound: true }, 404),
    ...extra,
  };
}

const call = async (
  style: RestStyle,
  path: string,
  init: RequestInit & { headers?: Record<string, string> } = {},
) => {
  const response = await createRestHandler(style, () => deps)(new Request(`http://x/t${path}`, init));
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
};

const itemRoute = route({
  method: 'POST',
  path: '/items/{id}',
  operationId: 'postItem',
  summary: 'a typed route',
  response: z.object({}),
  params: z.object({ id: z.coerce.number().int().positive() }),
  query: z.object({ verbose: z.enum(['yes', 'no']).default('no') }),
  body: z.object({ name: z.string().min(1) }),
  async handler({ principal, params, query, body }) {
    expectTypeOf(principal).toEqualTypeOf<Principal>();
    expectTypeOf(params.id).toEqualTypeOf<number>();
    expectTypeOf(query.verbose).toEqualTypeOf<'yes' | 'no'>();
    expectTypeOf(body.name).toEqualTypeOf<string>();
    return json({ key: principal.kind === 'apiKey' ? principal.keyId : null, id: params.id, query, body });
  },
});

describe('route contracts', () => {
  it('hands the handler parsed input and the authenticated caller', async () => {
    const result = await call(styleOf([itemRoute]), '/items/12?verbose=yes', {
      method: 'POST',
      headers: { 'x-key': 'good' },
      body: JSON.stringify({ name: 'n', extra: 1 }),
    });
    expect(result).toEqual({
      status: 200,
      body: { key: 7, id: 12, query: { verbose: 'yes' }, body: { name: 'n' } },
    });
  });

  it('authenticates before reading or checking anything (required: the style 401s without credentials)', async () => {
    const style = styleOf([itemRoute]);
    expect(await call(style, '/items/x', { method: 'POST', body: '{' })).toEqual({
      status: 401,
      body: { auth: 'no key' },
    });
    expect(await call(style, '/items/x', { method: 'POST', headers: { 'x-key': 'nope' } })).toEqual({
      status: 401,
      body: { auth: 'bad key' },
    });
  });

  it('collects every failed contract in path, query, body order with what each received', async () => {
    const result = await call(styleOf([itemRoute]), '/items/0?verbose=maybe', {
      method: 'POST',
      headers: { 'x-key': 'good' },
      body: JSON.stringify({ name: '' }),
    });
    expect(result).toEqual({
      status: 400,
      body: {
        first: 'path',
        failures: [
          { location: 'path', paths: ['id'], received: { id: '0' } },
          { location: 'query', paths: ['verbose'], received: { verbose: 'maybe' } },
          { location: 'body', paths: ['name'], received: { name: '' } },
        ],
      },
    });
  });

  it('lets a route word its own contract failures (onInvalid)', async () => {
    const worded = route({
      method: 'PUT',
      path: '/worded',
      operationId: 'worded',
      summary: 'x',
      response: z.object({}),
      auth: 'none',
      body: z.object({ n: z.number() }),
      onInvalid: (error) =>
        new Unauthorized(`worded: ${error.location} ${JSON.stringify(error.failures[0]!.received)}`),
      async handler() {
        return json({});
      },
    });
    expect(await call(styleOf([worded]), '/worded', { method: 'PUT', body: '{"n":"1"}' })).toEqual({
      status: 401,
      body: { auth: 'worded: body {"n":"1"}' },
    });
  });

  it('optional and none: principal null without credentials, bad credentials still refused', async () => {
    const optional = route({
      method: 'GET',
      path: '/optional',
      operationId: 'optional',
      summary: 'x',
      response: z.object({}),
      auth: 'optional',
      async handler({ principal, params, query, body }) {
        expectTypeOf(principal).toEqualTypeOf<Principal | null>();
        expectTypeOf(params).toEqualTypeOf<Record<string, string>>();
        expectTypeOf(body).toEqualTypeOf<undefined>();
        return json({ principal: principal?.kind ?? null, query });
      },
    });
    const open = route({
      method: 'GET',
      path: '/open/{name}',
      operationId: 'open',
      summary: 'x',
      response: z.object({}),
      auth: 'none',
      async handler({ principal, params }) {
        expectTypeOf(principal).toEqualTypeOf<null>();
        return json({ principal, params });
      },
    });
    const style = styleOf([optional, open]);
    expect(await call(style, '/optional?a=1&a=2')).toEqual({
      status: 200,
      body: { principal: null, query: { a: '2' } },
    });
    expect(await call(style, '/optional', { headers: { 'x-key': 'good' } })).toEqual({
      status: 200,
      body: { principal: 'apiKey', query: {} },
    });
    expect((await call(style, '/optional', { headers: { 'x-key': 'bad' } })).status).toBe(401);
    expect(await call(style, '/open/a%20b', { headers: { 'x-key': 'bad' } })).toEqual({
      status: 200,
      body: { principal: null, params: { name: 'a b' } },
    });
  });

  it("uses the style's body reader and its before hook", async () => {
    const echo = route({
      method: 'POST',
      path: '/echo',
      operationId: 'echo',
      summary: 'x',
      response: z.object({}),
      auth: 'none',
      body: z.string(),
      async handler({ body }) {
        return json({ body });
      },
    });
    const style = styleOf([echo], {
      readBody: async (request, limit) => `${limit}:${await request.text()}`,
      before: (_route, ctx) => (ctx.url.searchParams.has('stop') ? json({ stopped: true }, 409) : null),
    });
    expect(await call(style, '/echo', { method: 'POST', body: 'raw' })).toEqual({
      status: 200,
      body: { body: '64:raw' },
    });
    expect(await call(style, '/echo?stop', { method: 'POST', body: 'raw' })).toEqual({
      status: 409,
      body: { stopped: true },
    });
  });

  it('refuses a JSON body over the limit with a 413 BadRequestError (default reader)', async () => {
    const response = await createRestHandler(
      styleOf([itemRoute], {
        errorResponse: (error) =>
          json({ error: String(error), status: (error as { status?: number }).status }, 499),
      }),
      () => deps,
    )(
      new Request('http://x/t/items/1', {
        method: 'POST',
        headers: { 'x-key': 'good' },
        body: JSON.stringify({ name: 'x'.repeat(100) }),
      }),
    );
    expect(await response.json()).toMatchObject({ status: 413 });
  });
});
