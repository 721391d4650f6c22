import { describe, expect, it } from 'vitest';
import {
  ConflictError,
  createClient,
  InvalidInputError,
  NotFoundError,
  ServerError,
  TooLargeError,
  TrainhubError,
  UnauthenticatedError,
} from '../src/index';

/**
 * A fetch that answers every tRPC call with the given error, as the server's fetch adapter does (a batch of
 * one, in superjson's envelope).
 */
const failing = (code: string, httpStatus: number) => async () =>
  new Response(
    JSON.stringify([
      { error: { json: { message: `${code} answer`, code: -32000, data: { code, httpStatus, path: 'x' } } } },
    ]),
    { status: httpStatus, headers: { 'content-type': 'application/json' } },
  );

describe('typed errors', () => {
  it.each([
    ['NOT_FOUND', 404, NotFoundError, 'NOT_FOUND'],
    ['UNAUTHORIZED', 401, UnauthenticatedError, 'UNAUTHENTICATED'],
    ['CONFLICT', 409, ConflictError, 'CONFLICT'],
    ['BAD_REQUEST', 400, InvalidInputError, 'INVALID'],
    ['PAYLOAD_TOO_LARGE', 413, TooLargeError, 'TOO_LARGE'],
    ['INTERNAL_SERVER_ERROR', 500, ServerError, 'SERVER_ERROR'],
  ] as const)('a tRPC %s answer is a %s with the domain code', async (trpcCode, status, Class, domain) => {
    const client = createClient({ url: 'http://platform', apiKey: 'th_x', fetch: failing(trpcCode, status) });
    const error = await client.trpc.projects.get.query({ projectId: 1 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Class);
    expect(error).toBeInstanceOf(TrainhubError);
    expect(error).toMatchObject({
      code: domain,
      status,
      message: `${trpcCode} answer`,
      data: { code: trpcCode },
    });
  });

  it('a REST answer (download) and a failed connection are typed too', async () => {
    const notFound = createClient({
      url: 'http://platform',
      apiKey: 'th_x',
      fetch: async () => new Response(JSON.stringify({ message: 'no such resource' }), { status: 404 }),
    });
    await expect(notFound.download(1, 2)).rejects.toMatchObject({
      name: 'NotFoundError',
      code: 'NOT_FOUND',
      status: 404,
      message: expect.stringContaining('no such resource'),
    });
    const down = createClient({
      url: 'http://platform',
      apiKey: 'th_x',
      fetch: async () => {
        throw new TypeError('fetch failed');
      },
    });
    const error = await down.trpc.projects.list.query().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServerError);
    expect(error).toMatchObject({ code: 'SERVER_ERROR', status: 0 });
  });
});
