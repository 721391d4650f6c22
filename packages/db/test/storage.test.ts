import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { createHash } from 'node:crypto';
// @ts-expect-error s3rver ships no types
import S3rver from 's3rver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ArtifactNotFoundError,
  ArtifactTooLargeError,
  createArtifactStore,
  LocalArtifactStore,
  S3ArtifactStore,
  type ArtifactStore,
} from '../src/storage';

// One contract, two implementations: the local folder, and S3 against a real S3-compatible server (s3rver,
// from the npm registry) on loopback.
let s3server: { close(): Promise<void> } | undefined;
let s3Endpoint = '';

beforeAll(async () => {
  const server = new S3rver({
    port: 0,
    address: '127.0.0.1',
    silent: true,
    directory: mkdtempSync(join(tmpdir(), 'trainhub-s3rver-')),
    configureBuckets: [{ name: 'artifacts' }],
  });
  const { port } = await server.run();
  s3server = server;
  s3Endpoint = `http://127.0.0.1:${port}`;
});
afterAll(async () => {
  await s3server?.close();
});

const stores: [string, () => ArtifactStore][] = [
  ['local', () => new LocalArtifactStore(mkdtempSync(join(tmpdir(), 'trainhub-store-')))],
  [
    's3',
    () =>
      new S3ArtifactStore({
        bucket: 'artifacts',
        prefix: `run-${Date.now()}/`,
        endpoint: s3Endpoint,
        region: 'us-east-1',
        accessKeyId: 'S3RVER',
        secretAccessKey: 'S3RVER',
        forcePathStyle: true,
      }),
  ],
];

const sha = (data: Buffer) => `sha256:${createHash('sha256').update(data).digest('hex')}`;

describe.each(stores)('%s artifact store', (_name, make) => {
  let store: ArtifactStore;
  beforeAll(() => {
    store = make();
  });

  it('stores a buffer and a stream, reporting size and content hash', async () => {
    const data = Buffer.from('a,b,label\n1,2,x\n');
    expect(await store.put('projects/1/a.csv', data)).toEqual({
      key: 'projects/1/a.csv',
      size: data.length,
      contentHash: sha(data),
    });
    expect(await store.get('projects/1/a.csv')).toEqual(data);
    const big = Buffer.alloc(6 * 1024 * 1024, 7);
    const stored = await store.put(
      'projects/1/big.bin',
      Readable.from([big.subarray(0, 1000), big.subarray(1000)]),
    );
    expect(stored).toMatchObject({ size: big.length, contentHash: sha(big) });
    const chunks: Buffer[] = [];
    for await (const chunk of await store.stream('projects/1/big.bin')) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).equals(big)).toBe(true);
  });

  it('replaces an object whole and deletes it', async () => {
    await store.put('k/x', Buffer.from('one'));
    await store.put('k/x', Buffer.from('two'));
    expect((await store.get('k/x')).toString()).toBe('two');
    expect(await store.exists('k/x')).toBe(true);
    await store.delete('k/x');
    expect(await store.exists('k/x')).toBe(false);
    await expect(store.get('k/x')).rejects.toBeInstanceOf(ArtifactNotFoundError);
  });

  it('refuses a body over the size limit and leaves nothing behind', async () => {
    await expect(store.put('k/too-big', Buffer.alloc(2048), { maxBytes: 1024 })).rejects.toBeInstanceOf(
      ArtifactTooLargeError,
    );
    expect(await store.exists('k/too-big')).toBe(false);
  });

  it('refuses keys that could escape the store', async () => {
    for (const key of ['../etc/passwd', '/abs', 'a/../../b', 'a//b', 'a\\b', '']) {
      await expect(store.put(key, Buffer.from('x'))).rejects.toThrow(/unsafe artifact key/);
    }
  });
});

describe('artifact store configuration', () => {
  it('defaults to a folder under DATA_DIR and requires a bucket for s3', () => {
    expect(createArtifactStore('/tmp/x', {}).kind).toBe('local');
    expect(() => createArtifactStore('/tmp/x', { ARTIFACT_STORE: 's3' })).toThrow(/S3_BUCKET: is required/);
    expect(
      createArtifactStore('/tmp/x', {
        ARTIFACT_STORE: 's3',
        S3_BUCKET: 'b',
        S3_ENDPOINT: 'http://127.0.0.1:9',
      }).kind,
    ).toBe('s3');
  });
});
