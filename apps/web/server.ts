// The production web server: Next's request handler plus socket.io (Edge Impulse's live job updates,
// `job-data-{jobId}` / `job-finished-{jobId}`) on the same port. Run with `tsx server.ts` (scripts/serve.mjs
// does); `next start` still works for everything except the sockets.
import { createServer } from 'node:http';
import { CLIENT_IP_HEADER, clientIpOf, trustClientIpHeader } from '@trainhub/api';
import {
  CUMULOCITY_PREFIXES,
  createRestHandler,
  cumulocityStyle,
  edgeImpulseIngestionStyle,
  edgeImpulseStyle,
  mlwStyle,
  nodeRequestHandler,
  trainingModuleStyle,
} from '@trainhub/api/rest';
import { EI_SOCKET_OPTIONS, attachEdgeImpulseSockets } from '@trainhub/api/socket';
import next from 'next';
import { Server } from 'socket.io';
import { webEnv } from './src/server/config';
import { restDeps } from './src/server/deps';

const port = Number(process.env.PORT ?? 3000);
const hostname = process.env.HOSTNAME ?? '0.0.0.0';
const dev = process.env.NODE_ENV !== 'production';
const dir = import.meta.dirname;

const app = next({ dev, dir, hostname, port });
await app.prepare();
const handle = app.getRequestHandler();

// The same configuration, Prisma client and RestDeps as Next's route handlers and pages get (one per process).
const env = webEnv();
const deps = restDeps();
const db = deps.db;
// The three REST styles are plain request -> response functions: answer them here, before Next, which
// roughly halves their throughput. Everything else (UI, tRPC, health) goes to Next. `next start` alone still
// serves the same styles through the route handlers in app/.
const cumulocity = createRestHandler(cumulocityStyle, () => deps);
const serveRest = nodeRequestHandler([
  ...[mlwStyle, edgeImpulseStyle, edgeImpulseIngestionStyle, trainingModuleStyle].map((style) => ({
    prefix: style.basePath,
    handle: createRestHandler(style, () => deps),
  })),
  // Cumulocity's login calls (tenant/currentTenant, user/currentUser) for Cumulocity clients of MLW.
  ...CUMULOCITY_PREFIXES.map((prefix) => ({ prefix, handle: cumulocity })),
]);
// Next's handlers (sign-in, tRPC) see no socket: hand them the client address worked out here (X-Forwarded-For
// only with TRUST_PROXY), replacing any value the client sent. The sign-in limits count per this address.
trustClientIpHeader();
const server = createServer((req, res) => {
  void serveRest(req, res).then((served) => {
    if (served) return;
    const forwardedFor = req.headers['x-forwarded-for'];
    req.headers[CLIENT_IP_HEADER] = clientIpOf(
      Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor,
      req.socket.remoteAddress,
      env.trustProxyHops,
    );
    return handle(req, res);
  });
});
// Engine.IO v3 and v4 (the Edge Impulse Node bindings speak v3), at /socket.io/.
const io = new Server(server, EI_SOCKET_OPTIONS);
const feed = attachEdgeImpulseSockets(io, {
  db,
  jwtSecret: deps.jwtSecret,
});

server.listen(port, hostname, () => {
  console.log(`web: listening on http://${hostname === '0.0.0.0' ? 'localhost' : hostname}:${port}`);
});

// Optionally Edge Impulse's ingestion service at the root of a port of its own (EI_INGESTION_PORT), as the
// Edge Impulse CLI expects it (`{host}:4810` for a local host); it is always served under /ingestion too.
const ingestionPort = Number(process.env.EI_INGESTION_PORT ?? 0);
const serveIngestion = nodeRequestHandler([
  { prefix: '', handle: createRestHandler({ ...edgeImpulseIngestionStyle, basePath: '' }, () => deps) },
]);
const ingestion =
  ingestionPort > 0
    ? createServer((req, res) => {
        void serveIngestion(req, res).then((served) => {
          if (!served) res.writeHead(404).end();
        });
      }).listen(ingestionPort, hostname, () => console.log(`web: ingestion on port ${ingestionPort}`))
    : null;

function shutdown() {
  feed.close();
  ingestion?.close();
  void io.close();
  server.close(() => {
    void db.$disconnect().finally(() => process.exit(0));
  });
  setTimeout(() => process.exit(0), 5000).unref();
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
