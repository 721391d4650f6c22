import { testProviders } from '@trainhub/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRestHandler, type RestDeps } from '../src/rest/http';
import { edgeImpulseStyle } from '../src/rest/edge-impulse/routes';
import { mlwStyle } from '../src/rest/mlw/routes';
import { trainingModuleStyle } from '../src/rest/training-module/routes';
import { handleTrpc } from '../src/trpc';
import { makeWorld, type World } from './helpers';

// JSON request bodies are cut at RestDeps.jsonBodyLimitBytes (JSON_BODY_LIMIT_BYTES) on every surface that
// reads one: 413 in the style's own error shape, whether the body declares its length or streams it chunked.

const LIMIT = 4096;

/** A JSON body of about `size` bytes: `{"name":"…","pad":"xxxx…"}`. */
const jsonOf = (size: number) =>
  JSON.stringify({ name: 'limit test', pad: 'x'.repeat(Math.max(0, size - 40)) });

/** The same bytes as a stream without Content-Length (chunked), in 1 KiB pieces. */
function chunked(text: string): ReadableStream<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  let offset = 0;
  return new ReadableStream({
    pull(controller) {
      if (offset >= bytes.length) return controller.close();
      controller.enqueue(bytes.slice(offset, offset + 1024));
      offset += 1024;
    },
  });
}

type Sender = (body: string | ReadableStream<Uint8Array>) => Promise<Response>;

describe.each(testProviders)('JSON body limits on %s', (provider) => {
  let w: World;
  let deps: RestDeps;
  const surfaces: Record<string, { send: Sender; shape: (status: number, body: unknown) => void }> = {};

  beforeAll(async () => {
    w = await makeWorld(provider);
    deps = { ...w.deps, jsonBodyLimitBytes: LIMIT };
    const mlw = createRestHandler(mlwStyle, () => deps);
    const ei = createRestHandler(edgeImpulseStyle, () => deps);
    const tm = createRestHandler(trainingModuleStyle, () => deps);
    const init = (body: string | ReadableStream<Uint8Array>, headers: Record<string, string>) =>
      ({
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body,
        duplex: 'half',
      }) as RequestInit;
    surfaces.mlw = {
      send: (body) =>
        mlw(
          new Request(
            'http://x/service/mlw/projects',
            init(body, { authorization: `Bearer ${w.a.keys.OWNER}` }),
          ),
        ),
      shape: (status, body) => expect(body).toMatchObject({ errorCode: status, message: expect.any(String) }),
    };
    surfaces.edgeImpulse = {
      send: (body) => ei(new Request('http://x/v1/api-login', init(body, {}))),
      shape: (_status, body) => expect(body).toMatchObject({ success: false, error: expect.any(String) }),
    };
    surfaces.trainingModule = {
      send: (body) => tm(new Request('http://x/training-module/parameters/no-such-key', init(body, {}))),
      shape: (_status, body) => expect(body).toMatchObject({ detail: expect.anything() }),
    };
    surfaces.trpc = {
      send: (body) =>
        handleTrpc(
          new Request('http://x/api/trpc/projects.create', init(body, { 'x-api-key': w.a.keys.OWNER })),
          deps,
        ),
      shape: (status, body) =>
        expect(body).toMatchObject({
          error: { json: { data: { code: 'PAYLOAD_TOO_LARGE', httpStatus: status } } },
        }),
    };
  });
  afterAll(async () => {
    await w?.drop();
  });

  for (const name of ['mlw', 'edgeImpulse', 'trainingModule', 'trpc']) {
    it(`${name}: over the limit is 413 in the style's shape, declared or chunked; under it is read`, async () => {
      const surface = surfaces[name]!;
      const over = jsonOf(LIMIT + 500);
      for (const body of [over, chunked(over)]) {
        const response = await surface.send(body);
        expect(response.status).toBe(413);
        surface.shape(413, await response.json());
      }
      // Under the limit the body is read and judged on its content: anything but 413.
      const under = await surface.send(jsonOf(LIMIT - 500));
      expect(under.status).not.toBe(413);
      expect(under.status).toBeLessThan(500);
    });
  }

  it('the default limit is 1 MiB', async () => {
    const plain = createRestHandler(edgeImpulseStyle, () => w.deps);
    const send = (size: number) =>
      plain(
        new Request('http://x/v1/api-login', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: jsonOf(size),
        }),
      );
    expect((await send(1024 * 1024 + 100)).status).toBe(413);
    expect((await send(1024 * 1024 - 100)).status).toBe(400);
  });
});
