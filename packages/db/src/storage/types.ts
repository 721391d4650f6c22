import { createHash } from 'node:crypto';
import { Transform, type Readable } from 'node:stream';

export interface StoredObject {
  key: string;
  size: number;
  /** `sha256:<hex>` of the bytes. */
  contentHash: string;
}

/**
 * Where resource bytes, checkpoints and models live. Keys are relative paths made by the platform
 * (`projects/12/resources/...`), never raw user input. Writes are atomic: a reader sees the old object or the
 * whole new one.
 */
export interface ArtifactStore {
  readonly kind: 'local' | 's3';
  put(key: string, body: Buffer | Readable, options?: { maxBytes?: number }): Promise<StoredObject>;
  get(key: string): Promise<Buffer>;
  stream(key: string): Promise<Readable>;
  exists(key: string): Promise<boolean>;
  delete(key: string): Promise<void>;
}

/**
 * A pass-through stream that counts and hashes what a store writes, failing with ArtifactTooLargeError past
 * `maxBytes` (every store measures its uploads the same way).
 */
export class Meter extends Transform {
  private size = 0;
  private readonly hash = createHash('sha256');

  constructor(private readonly maxBytes?: number) {
    super();
  }

  override _transform(
    chunk: Buffer,
    _encoding: BufferEncoding,
    done: (error?: Error | null, data?: Buffer) => void,
  ) {
    this.size += chunk.length;
    if (this.maxBytes !== undefined && this.size > this.maxBytes) {
      done(new ArtifactTooLargeError(this.maxBytes));
      return;
    }
    this.hash.update(chunk);
    done(null, chunk);
  }

  /** Size and `sha256:<hex>` of everything that went through (call once, at the end). */
  measured(): { size: number; contentHash: string } {
    return { size: this.size, contentHash: `sha256:${this.hash.digest('hex')}` };
  }
}

export class ArtifactTooLargeError extends Error {
  override name = 'ArtifactTooLargeError';
  constructor(readonly maxBytes: number) {
    super(`the file is larger than the limit of ${maxBytes} bytes`);
  }
}

export class ArtifactNotFoundError extends Error {
  override name = 'ArtifactNotFoundError';
  constructor(readonly key: string) {
    super(`no stored object ${key}`);
  }
}

/** Rejects keys that could escape the store's root (`..`, absolute paths, backslashes, empty segments). */
export function assertSafeKey(key: string): void {
  const segments = key.split('/');
  if (
    key.length === 0 ||
    key.length > 1024 ||
    key.startsWith('/') ||
    key.includes('\\') ||
    key.includes('\0') ||
    segments.some((s) => s === '' || s === '.' || s === '..')
  ) {
    throw new Error(`unsafe artifact key: ${JSON.stringify(key)}`);
  }
}
