import { PassThrough, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  NotFound,
  NoSuchKey,
  S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { ArtifactNotFoundError, assertSafeKey, Meter, type ArtifactStore, type StoredObject } from './types';

export interface S3StoreOptions {
  bucket: string;
  /** Key prefix inside the bucket, e.g. `trainhub/`. */
  prefix?: string;
  endpoint?: string;
  region: string;
  accessKeyId?: string;
  secretAccessKey?: string;
  /** Path-style URLs (`endpoint/bucket/key`), which MinIO and most self-hosted S3 servers need. */
  forcePathStyle: boolean;
}

/**
 * Artifacts in an S3-compatible bucket. A PUT is atomic on S3 (readers see the old object or the whole new
 * one); bodies stream through a multipart upload while their size and SHA-256 are measured.
 */
export class S3ArtifactStore implements ArtifactStore {
  readonly kind = 's3' as const;
  private readonly client: S3Client;

  constructor(private readonly options: S3StoreOptions) {
    this.client = new S3Client({
      region: options.region,
      forcePathStyle: options.forcePathStyle,
      ...(options.endpoint ? { endpoint: options.endpoint } : {}),
      ...(options.accessKeyId && options.secretAccessKey
        ? { credentials: { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey } }
        : {}),
    });
  }

  private key(key: string): string {
    assertSafeKey(key);
    return `${this.options.prefix ?? ''}${key}`;
  }

  async put(
    key: string,
    body: Buffer | Readable,
    options: { maxBytes?: number } = {},
  ): Promise<StoredObject> {
    const meter = new Meter(options.maxBytes);
    const source = Buffer.isBuffer(body) ? Readable.from([body]) : body;
    const passThrough = new PassThrough();
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.options.bucket, Key: this.key(key), Body: passThrough },
    });
    // Measure while uploading; if the source fails (or is too large) the upload is aborted, leaving nothing.
    const feeding = pipeline(source, meter, passThrough).catch(async (error: unknown) => {
      await upload.abort().catch(() => undefined);
      throw error;
    });
    const [fed, uploaded] = await Promise.allSettled([feeding, upload.done()]);
    // The source's error (e.g. too large) explains an aborted upload better than the abort itself.
    if (fed.status === 'rejected') throw fed.reason;
    if (uploaded.status === 'rejected') throw uploaded.reason;
    return { key, ...meter.measured() };
  }

  async get(key: string): Promise<Buffer> {
    const stream = await this.stream(key);
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }

  async stream(key: string): Promise<Readable> {
    try {
      const result = await this.client.send(
        new GetObjectCommand({ Bucket: this.options.bucket, Key: this.key(key) }),
      );
      return result.Body as Readable;
    } catch (error) {
      if (error instanceof NoSuchKey || error instanceof NotFound) throw new ArtifactNotFoundError(key);
      throw error;
    }
  }

  async exists(key: string): Promise<boolean> {
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: this.options.bucket, Key: this.key(key) }));
      return true;
    } catch (error) {
      if (error instanceof NotFound || (error as { name?: string }).name === 'NotFound') return false;
      throw error;
    }
  }

  async delete(key: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.options.bucket, Key: this.key(key) }));
  }
}
