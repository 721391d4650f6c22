import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ArtifactNotFoundError, assertSafeKey, Meter, type ArtifactStore, type StoredObject } from './types';

/** Artifacts as files under a root folder; written to a temp file, fsynced by close, then renamed in place. */
export class LocalArtifactStore implements ArtifactStore {
  readonly kind = 'local' as const;
  constructor(private readonly root: string) {}

  private path(key: string): string {
    assertSafeKey(key);
    return join(this.root, key);
  }

  async put(
    key: string,
    body: Buffer | Readable,
    options: { maxBytes?: number } = {},
  ): Promise<StoredObject> {
    const target = this.path(key);
    await mkdir(dirname(target), { recursive: true });
    const temp = `${target}.${randomUUID()}.tmp`;
    const meter = new Meter(options.maxBytes);
    try {
      const source = Buffer.isBuffer(body) ? Readable.from([body]) : body;
      await pipeline(source, meter, createWriteStream(temp, { flush: true }));
      await rename(temp, target);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
    return { key, ...meter.measured() };
  }

  async get(key: string): Promise<Buffer> {
    try {
      return await readFile(this.path(key));
    } catch (error) {
      throw notFound(error, key);
    }
  }

  async stream(key: string): Promise<Readable> {
    const path = this.path(key);
    if (!(await this.exists(key))) throw new ArtifactNotFoundError(key);
    return createReadStream(path);
  }

  async exists(key: string): Promise<boolean> {
    try {
      return (await stat(this.path(key))).isFile();
    } catch {
      return false;
    }
  }

  async delete(key: string): Promise<void> {
    await rm(this.path(key), { force: true });
  }
}

function notFound(error: unknown, key: string): Error {
  return (error as NodeJS.ErrnoException).code === 'ENOENT'
    ? new ArtifactNotFoundError(key)
    : (error as Error);
}
