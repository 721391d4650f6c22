import { Readable } from 'node:stream';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import busboy from 'busboy';
import type { IncomingFile } from '../../services/resources';
import { JSON_BODY_LIMIT } from '../http';
import { HttpException, formKind } from './fastapi';

// Starlette's `request.form()` for the session style's uploads, streaming: file parts are handed over one at
// a time while the body is read (never buffered whole), text parts are collected.

/** Starlette's largest text part (max_part_size, 1 MiB). */
const MAX_PART_BYTES = 1024 * 1024;

/** One part of a form: an uploaded file (a part with a non-empty filename) or a text value. */
export type FormPart =
  { name: string; kind: 'file'; file: IncomingFile } | { name: string; kind: 'str'; value: string };

async function readText(body: Readable, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += (chunk as Buffer).length;
    if (size > limit) {
      body.resume();
      throw new HttpException(400, `Part exceeded maximum size of ${Math.floor(limit / 1024)}KB.`);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * The parts of a request's form as Starlette reads them:
 * - `multipart/form-data`: each part; a part without a filename (or with an empty one) is a text value,
 *   as Starlette and browsers treat it. No boundary: 400 "Missing boundary in multipart."; a body that is
 *   not multipart: 400 "Invalid multipart data."; a text part over 1 MiB: 400 (Starlette's limit).
 * - `application/x-www-form-urlencoded`: text values.
 * - any other content type (JSON, text, none): no parts (FastAPI then reports each required field missing).
 *
 * A file part must be consumed (stored or drained) before the next part is read. Files are cut at
 * `maxFileBytes` (`truncated()` then says so).
 */
export async function* formParts(
  request: Request,
  options: { maxFileBytes: number },
): AsyncGenerator<FormPart> {
  const contentType = request.headers.get('content-type');
  const kind = formKind(contentType);
  if (!kind || !request.body) return;
  const source = Readable.fromWeb(request.body as NodeReadableStream<Uint8Array>);
  if (kind === 'urlencoded') {
    const text = await readText(source, JSON_BODY_LIMIT);
    for (const [name, value] of new URLSearchParams(text)) yield { name, kind: 'str', value };
    return;
  }
  if (!/;\s*boundary=/i.test(contentType ?? '')) {
    source.resume();
    throw new HttpException(400, 'Missing boundary in multipart.');
  }
  let parser: busboy.Busboy;
  try {
    parser = busboy({
      headers: { 'content-type': contentType! },
      limits: { fileSize: options.maxFileBytes, fieldSize: MAX_PART_BYTES, parts: 1000 },
    });
  } catch {
    source.resume();
    throw new HttpException(400, 'Missing boundary in multipart.');
  }
  type Event = FormPart | { kind: 'text-file'; name: string; body: Readable };
  const queue: Event[] = [];
  let finished = false;
  let failure: Error | null = null;
  let received = 0;
  let wake: (() => void) | null = null;
  const notify = () => {
    wake?.();
    wake = null;
  };
  parser.on('field', (name, value, info) => {
    if (info.valueTruncated) failure ??= new HttpException(400, 'Part exceeded maximum size of 1024KB.');
    queue.push({ name, kind: 'str', value });
    notify();
  });
  parser.on('file', (name, stream, info) => {
    if (!info.filename) {
      // busboy makes an application/octet-stream part without a filename a file; Starlette a text value.
      queue.push({ kind: 'text-file', name, body: stream });
    } else {
      let truncated = false;
      stream.on('limit', () => (truncated = true));
      queue.push({
        name,
        kind: 'file',
        file: {
          field: name,
          name: info.filename,
          contentType: info.mimeType ?? null,
          body: stream,
          truncated: () => truncated,
        },
      });
    }
    notify();
  });
  parser.on('close', () => {
    finished = true;
    notify();
  });
  parser.on('error', () => {
    // An empty body is an empty form for Starlette; busboy calls it an unexpected end.
    failure ??= received === 0 ? null : new HttpException(400, 'Invalid multipart data.');
    finished = true;
    notify();
  });
  source.on('data', (chunk: Buffer) => (received += chunk.length));
  source.on('error', (error) => {
    failure ??= new HttpException(400, `the upload was interrupted: ${error.message}`);
    notify();
  });
  source.pipe(parser);
  try {
    for (;;) {
      const event = queue.shift();
      if (event) {
        if (event.kind === 'text-file') {
          yield { name: event.name, kind: 'str', value: await readText(event.body, MAX_PART_BYTES) };
        } else yield event;
        continue;
      }
      if (failure) throw failure;
      if (finished) return;
      await new Promise<void>((resolve) => (wake = resolve));
    }
  } finally {
    if (!finished) {
      source.unpipe(parser);
      source.destroy();
    }
  }
}

/** Reads a file part to its end without keeping it. */
export async function drain(body: Readable | Buffer): Promise<void> {
  if (Buffer.isBuffer(body)) return;
  for await (const _ of body) {
    // discarded
  }
}
