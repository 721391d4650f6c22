import { createHmac } from 'node:crypto';
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { encode } from 'cborg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testProviders } from '@trainhub/db/testing';
import { createRestHandler, nodeRequestHandler } from '../src/rest';
import { edgeImpulseIngestionStyle } from '../src/rest/edge-impulse/ingestion';
import { edgeImpulseStyle } from '../src/rest/edge-impulse/routes';
import { makeWorld, type World } from './helpers';

// The ingestion service's CBOR documents and info.labels files. CBOR data acquisition documents are written
// the way Edge Impulse's ingestion SDK
// (sensor_aq.h) writes them: maps in the order protected, signature, payload; `values` an indefinite-length
// array streamed row by row; the signature a 64-character text string holding 64 '0's while every byte is
// hashed (HMAC-SHA256 with the project's HMAC key), then overwritten in place with the hex digest.

const PLACEHOLDER = '0'.repeat(64);
const keepOrder = () => 0; // cborg sorts map keys by default; the SDK writes them in this order

/** A CBOR document as the SDK streams it, signed in place with `signWith` (HS256) or unsigned (alg none). */
function sdkCbor(values: number[][], signWith: string | null): Buffer {
  const head = encode(
    {
      protected: { ver: 'v1', alg: signWith ? 'HS256' : 'none' },
      signature: PLACEHOLDER,
      payload: {
        device_name: 'ac:87:a3:0a:2d:1b',
        device_type: 'CBOR_TEST',
        interval_ms: 16,
        sensors: [
          { name: 'accX', units: 'm/s2' },
          { name: 'accY', units: 'm/s2' },
        ],
        values: [],
      },
    },
    { mapSorter: keepOrder },
  );
  // The empty `values` array is the last byte (0x80): reopen it as an indefinite-length array (0x9f), append
  // each row, close it with a break (0xff), as the SDK does.
  expect(head[head.length - 1]).toBe(0x80);
  const bytes = Buffer.concat([
    Buffer.from(head.subarray(0, head.length - 1)),
    Buffer.from([0x9f]),
    ...values.map((row) => Buffer.from(encode(row))),
    Buffer.from([0xff]),
  ]);
  if (signWith) {
    const at = bytes.indexOf(PLACEHOLDER);
    const mac = createHmac('sha256', signWith).update(bytes).digest('hex');
    bytes.write(mac, at, 'ascii');
  }
  return bytes;
}

const rows = (n: number, seed: number) =>
  Array.from({ length: n }, (_, i) => [Number(Math.sin(i + seed).toFixed(3)), i * 0.5 + seed]);

describe.each(testProviders)('Ingestion (CBOR, info.labels) on %s', (provider) => {
  let w: World;
  let server: HttpServer;
  let base: string;
  let hmacKey: string;

  const sampleCount = () => w.t.db.sample.count({ where: { projectId: w.a.projectId } });
  const uploadFiles = async (
    files: { name: string; bytes: Buffer; type?: string }[],
    headers: Record<string, string> = {},
  ) => {
    const form = new FormData();
    for (const f of files)
      form.append(
        'data',
        new Blob([new Uint8Array(f.bytes)], { type: f.type ?? 'application/cbor' }),
        f.name,
      );
    const response = await fetch(`${base}/ingestion/api/training/files`, {
      method: 'POST',
      headers: { 'x-api-key': w.a.projectKey, ...headers },
      body: form,
    });
    return {
      status: response.status,
      body: (await response.json()) as {
        success: boolean;
        error?: string;
        files?: { sampleId: number; fileName: string }[];
      },
    };
  };

  beforeAll(async () => {
    w = await makeWorld(provider, 512 * 1024);
    const serve = nodeRequestHandler([
      { prefix: '/v1', handle: createRestHandler(edgeImpulseStyle, () => w.deps) },
      { prefix: '/ingestion', handle: createRestHandler(edgeImpulseIngestionStyle, () => w.deps) },
    ]);
    server = createServer((req, res) => {
      void serve(req, res).then((served) => {
        if (!served) res.writeHead(404).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const keys = await fetch(`${base}/v1/api/${w.a.projectId}/devkeys`, {
      headers: { 'x-api-key': w.a.keys.ADMIN },
    });
    hmacKey = ((await keys.json()) as { hmacKey: string }).hmacKey;
    expect(hmacKey).toMatch(/^[0-9a-f]{64}$/);
  });
  afterAll(async () => {
    await new Promise((resolve) => server?.close(resolve));
    await w?.drop();
  });

  it('stores a signed (HS256) CBOR sample and an unsigned one on the legacy endpoint', async () => {
    const values = rows(40, 1);
    const signed = await uploadFiles([{ name: 'wave.1.cbor', bytes: sdkCbor(values, hmacKey) }]);
    expect(signed.status).toBe(200);
    expect(signed.body.success).toBe(true);
    const sample = await w.t.db.sample.findUniqueOrThrow({ where: { id: signed.body.files![0]!.sampleId } });
    expect(sample).toMatchObject({
      projectId: w.a.projectId,
      filename: 'wave.1',
      label: 'wave',
      category: 'training',
      intervalMs: 16,
      valuesCount: 40,
      deviceName: 'ac:87:a3:0a:2d:1b',
      deviceType: 'CBOR_TEST',
    });
    expect(sample.values).toEqual(values);
    expect((sample.sensors as { name: string }[]).map((s) => s.name)).toEqual(['accX', 'accY']);

    const legacy = await fetch(`${base}/ingestion/api/testing/data`, {
      method: 'POST',
      headers: {
        'x-api-key': w.a.projectKey,
        'content-type': 'application/cbor',
        'x-file-name': 'idle.legacy',
        'x-label': 'idle',
      },
      body: new Uint8Array(sdkCbor(rows(10, 2), null)),
    });
    expect([legacy.status, await legacy.text()]).toEqual([200, 'idle.legacy']);
    const stored = await w.t.db.sample.findFirstOrThrow({ where: { filename: 'idle.legacy' } });
    expect([stored.category, stored.label, stored.values]).toEqual(['testing', 'idle', rows(10, 2)]);
  });

  it('refuses a wrong signature, ragged values and undecodable bytes, storing nothing', async () => {
    const before = await sampleCount();
    const good = { name: 'idle.ok.cbor', bytes: sdkCbor(rows(20, 3), hmacKey) };
    // A byte changed after signing: the signature no longer matches.
    const tampered = sdkCbor(rows(20, 4), hmacKey);
    tampered.writeUInt8(tampered.readUInt8(tampered.length - 3) ^ 0x01, tampered.length - 3);
    const ragged = sdkCbor([[1, 2], [3], [4, 5]], null);
    const cases: [string, { name: string; bytes: Buffer }, RegExp][] = [
      ['other key', { name: 'wave.k.cbor', bytes: sdkCbor(rows(20, 6), 'not-the-project-key') }, /signature/],
      ['tampered', { name: 'wave.t.cbor', bytes: tampered }, /signature/],
      ['ragged', { name: 'wave.r.cbor', bytes: ragged }, /values\[1\] has 1 values, not 2/],
      ['not CBOR', { name: 'wave.x.cbor', bytes: Buffer.from([0x78, 0x40, 0x41]) }, /cannot be decoded/],
    ];
    for (const [what, bad, message] of cases) {
      // The good file first: all or none, so it is not stored either.
      const answer = await uploadFiles([good, bad]);
      expect({ what, status: answer.status, success: answer.body.success }).toEqual({
        what,
        status: 400,
        success: false,
      });
      expect(answer.body.error).toMatch(message);
    }
    // Credentials and the path: /files answers JSON (a team-wide key is refused: samples belong to one
    // project), the legacy /data text, its 401 and unknown category included.
    const teamKey = await uploadFiles([good], { 'x-api-key': w.a.keys.EDITOR });
    expect([teamKey.status, teamKey.body.error]).toEqual([401, expect.stringMatching(/project API key/)]);
    const legacy = async (category: string, headers: Record<string, string>) => {
      const r = await fetch(`${base}/ingestion/api/${category}/data`, {
        method: 'POST',
        headers: { 'content-type': 'application/cbor', 'x-file-name': 'x', ...headers },
        body: new Uint8Array(good.bytes),
      });
      return [r.status, r.headers.get('content-type'), await r.text()];
    };
    expect(await legacy('training', {})).toEqual([401, 'text/plain', 'Missing x-api-key header']);
    expect(await legacy('anomalies', { 'x-api-key': w.a.projectKey })).toEqual([
      400,
      'text/plain',
      expect.stringMatching(/^Unknown category "anomalies"/),
    ]);
    expect(await sampleCount()).toBe(before);
    // The same good file alone is stored (the refusals were the bad files').
    expect((await uploadFiles([good])).status).toBe(200);
    expect(await sampleCount()).toBe(before + 1);
  });

  it('applies an info.labels file to the files of its request: name, category, label, metadata', async () => {
    const info = {
      version: 1,
      files: [
        {
          path: 'collected/run1/a.cbor',
          name: 'left-swipe.001',
          category: 'testing',
          label: { type: 'label', label: 'left swipe' },
          metadata: { person: 'ada', take: 3 },
        },
        { path: 'b.cbor', category: 'training', label: { type: 'unlabeled' } },
        { path: 'not-sent.cbor', category: 'testing', label: { type: 'label', label: 'ghost' } },
      ],
    };
    const labelsPart = {
      name: 'info.labels',
      type: 'application/json',
      bytes: Buffer.from(JSON.stringify(info)),
    };
    const answer = await uploadFiles(
      [
        { name: 'a.cbor', bytes: sdkCbor(rows(12, 7), null) },
        labelsPart,
        { name: 'b.cbor', bytes: sdkCbor(rows(12, 8), null) },
        { name: 'idle.c.cbor', bytes: sdkCbor(rows(12, 9), null) },
      ],
      { 'x-label': 'from-header', 'x-metadata': JSON.stringify({ site: 'lab' }) },
    );
    expect(answer.status).toBe(200);
    // Three samples: the labels file is no sample, and its entry for a file not sent is ignored.
    expect(answer.body.files!.map((f) => f.fileName)).toEqual(['left-swipe.001', 'b', 'idle.c']);
    const stored = await w.t.db.sample.findMany({
      where: { id: { in: answer.body.files!.map((f) => f.sampleId) } },
      orderBy: { id: 'asc' },
    });
    expect(stored.map((s) => [s.filename, s.category, s.label, s.metadata])).toEqual([
      ['left-swipe.001', 'testing', 'left swipe', { site: 'lab', person: 'ada', take: '3' }],
      ['b', 'training', '', { site: 'lab' }],
      // Not in info.labels: the headers and the URL's category, as without a labels file.
      ['idle.c', 'training', 'from-header', { site: 'lab' }],
    ]);

    // A bad labels file, or a kind this platform does not take, fails the request: nothing stored.
    const before = await sampleCount();
    const bad: [object, RegExp][] = [
      [{ ...info, version: 2 }, /version must be 1/],
      [
        { version: 1, files: [{ path: 'a.cbor', category: 'anomaly', label: { type: 'unlabeled' } }] },
        /category must be one of training, testing, split/,
      ],
      [
        { version: 1, files: [{ path: 'a.cbor', label: { type: 'multi-label', labels: [] } }] },
        /multi-label/,
      ],
      [{ version: 1, type: 'bounding-box-labels', boundingBoxes: {} }, /bounding-box-labels/],
    ];
    for (const [doc, message] of bad) {
      const refused = await uploadFiles([
        { name: 'a.cbor', bytes: sdkCbor(rows(12, 10), null) },
        { ...labelsPart, bytes: Buffer.from(JSON.stringify(doc)) },
      ]);
      expect([refused.status, refused.body.success]).toEqual([400, false]);
      expect(refused.body.error).toMatch(/^info\.labels: /);
      expect(refused.body.error).toMatch(message);
    }
    expect(await sampleCount()).toBe(before);
  });
});
