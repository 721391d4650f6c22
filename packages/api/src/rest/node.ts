import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import { jsonTextOf, setSocketAddress } from './http';

/** A fetch-style handler mounted under a path prefix. */
export interface Mount {
  prefix: string;
  handle: (request: Request) => Promise<Response>;
}

/**
 * Serves fetch-style handlers straight from a Node HTTP server (no framework in between): the REST styles
 * are plain request -> response functions, so a host process may answer them before its web framework.
 * Returns false when no mount matches the path (the caller hands the request on).
 */
export function nodeRequestHandler(mounts: Mount[]) {
  return async function serve(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const path = (req.url ?? '/').split('?')[0]!;
    const mount = mounts.find((m) => path === m.prefix || path.startsWith(`${m.prefix}/`));
    if (!mount) return false;
    const headers = new Headers();
    for (const [name, value] of Object.entries(req.headers)) {
      if (value === undefined) continue;
      for (const v of Array.isArray(value) ? value : [value]) headers.append(name, v);
    }
    const method = req.method ?? 'GET';
    const hasBody = method !== 'GET' && method !== 'HEAD';
    const request = new Request(`http://${req.headers.host ?? 'localhost'}${req.url ?? '/'}`, {
      method,
      headers,
      ...(hasBody
        ? { body: Readable.toWeb(req) as unknown as ReadableStream<Uint8Array>, duplex: 'half' as const }
        : {}),
    } as RequestInit);
    let response: Response;
    try {
      setSocketAddress(request, req.socket?.remoteAddress);
      response = await mount.handle(request);
    } catch {
      response = new Response('internal server error', { status: 500 });
    }
    res.statusCode = response.status;
    response.headers.forEach((value, name) => res.appendHeader(name, value));
    if (!response.body || method === 'HEAD') {
      res.end();
      return true;
    }
    // Answers built in memory (JSON, plain text) go out in one write: piping a web stream through a Node
    // stream cost more than the handler itself on a status read. Files and event streams are piped.
    const text = jsonTextOf(response);
    if (text !== undefined) {
      res.end(text);
      return true;
    }
    const type = response.headers.get('content-type') ?? '';
    if (
      type.startsWith('application/json') ||
      (type.startsWith('text/') && !type.startsWith('text/event-stream'))
    ) {
      res.end(Buffer.from(await response.arrayBuffer()));
      return true;
    }
    await new Promise<void>((resolve) => {
      const body = Readable.fromWeb(response.body as unknown as NodeReadableStream<Uint8Array>);
      body.on('error', () => {
        res.destroy();
        resolve();
      });
      res.on('close', resolve);
      body.pipe(res);
    });
    return true;
  };
}
