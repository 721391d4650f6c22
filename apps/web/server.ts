// The production web server: Next's request handler plus socket.io (Edge Impulse's live job updates,
// `job-data-{jobId}` / `job-finished-{jobId}`) on the same port. Run with `tsx server.ts` (scripts/serve.mjs
// does); `next start` still works for everything except the sockets.
import { createServer } from 'node:http';
import { attachEdgeImpulseSockets } from '@trainhub/api/socket';
import { loadJwtSecret } from '@trainhub/api';
import { createDb, loadDatabaseConfig } from '@trainhub/db';
import next from 'next';
import { Server } from 'socket.io';

const port = Number(process.env.PORT ?? 3000);
const hostname = process.env.HOSTNAME ?? '0.0.0.0';
const dev = process.env.NODE_ENV !== 'production';
const dir = import.meta.dirname;

const app = next({ dev, dir, hostname, port });
await app.prepare();
const handle = app.getRequestHandler();

const config = loadDatabaseConfig(process.env, 'web');
const db = createDb(config.databaseUrl);
const server = createServer((req, res) => void handle(req, res));
const io = new Server(server, { path: '/socket.io', cors: { origin: true, credentials: true } });
const feed = attachEdgeImpulseSockets(io, {
  db,
  jwtSecret: loadJwtSecret(config.dataDir, process.env.JWT_SECRET),
});

server.listen(port, hostname, () => {
  console.log(`web: listening on http://${hostname === '0.0.0.0' ? 'localhost' : hostname}:${port}`);
});

function shutdown() {
  feed.close();
  void io.close();
  server.close(() => {
    void db.$disconnect().finally(() => process.exit(0));
  });
  setTimeout(() => process.exit(0), 5000).unref();
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
