import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRestHandler, edgeImpulseStyle, mlwStyle, nodeRequestHandler } from '../src/rest';
import { makeWorld, multipart, type World } from './helpers';

// nodeRequestHandler: the REST styles served from a plain Node HTTP server (bench:api measures it against
// the Next route handlers).
describe('nodeRequestHandler', () => {
  let w: World;
  let server: Server;
  let base: string;
  beforeAll(async () => {
    w = await makeWorld('sqlite');
    const serve = nodeRequestHandler(
      [mlwStyle, edgeImpulseStyle].map((style) => ({
        prefix: style.basePath,
        handle: createRestHandler(style, () => w.deps),
      })),
    );
    server = createServer((req, res) => {
      void serve(req, res).then((served) => {
        if (!served) res.writeHead(418).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server?.close();
    await w?.drop();
  });

  it('serves reads, streamed uploads and errors in the style, and passes other paths on', async () => {
    const auth = { authorization: `Bearer ${w.a.keys.EDITOR}` };
    const project = await fetch(`${base}/service/mlw/projects/${w.a.projectId}_Project`, { headers: auth });
    expect(project.status).toBe(200);
    expect(((await project.json()) as { name: string }).name).toBe('alpha project');
    const upload = await fetch(`${base}/service/mlw/projects/${w.a.projectId}_Project/resources`, {
      method: 'POST',
      headers: auth,
      body: multipart({ file: { name: 'a.csv', content: 'a,b\n1,2\n' } }),
    });
    expect(upload.status).toBe(200);
    const download = await fetch(
      `${base}/service/mlw/projects/${w.a.projectId}_Project/resources/${((await upload.json()) as { resources: { data: { id: string }[] } }).resources.data[0]!.id}/download`,
      { headers: auth },
    );
    expect(await download.text()).toBe('a,b\n1,2\n');
    const denied = await fetch(`${base}/v1/api/${w.a.projectId}/impulse`);
    expect(denied.status).toBe(401);
    expect(await denied.json()).toMatchObject({ success: false });
    expect((await fetch(`${base}/elsewhere`)).status).toBe(418);
  });

  it('writes JSON answers whole, with their type and byte length (non-ASCII included)', async () => {
    const name = 'Ünïcødé ✓ project';
    const { id } = await w.t.db.project.create({ data: { teamId: w.a.id, name } });
    const response = await fetch(`${base}/service/mlw/projects/${id}_Project`, {
      headers: { authorization: `Bearer ${w.a.keys.EDITOR}` },
    });
    const text = await response.text();
    expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(Number(response.headers.get('content-length'))).toBe(Buffer.byteLength(text));
    expect((JSON.parse(text) as { name: string }).name).toBe(name);
  });
});
