import type { Db, ExecutionEvent } from '@trainhub/db';
import { TERMINAL_STATUSES } from '@trainhub/db';
import type { Server, Socket } from 'socket.io';
import { verifyJwt } from '../../auth/jwt';

// Edge Impulse's live updates over socket.io. A client gets a token from GET /v1/api/{projectId}/socket-token
// and passes it in the handshake (`auth: { token }` or `?token=`) or, as Edge Impulse's own tools do, in a
// `hello` event `{ jwtToken }`. It then receives, for every job of that project:
//   job-data-{jobId}      { data: "<log text>\n" }      (log lines, stage changes, epoch summaries)
//   job-finished-{jobId}  { success: boolean }
// Events are read from the database (ExecutionEvent rows, Execution.finishedAt), so they reach the client
// whichever trainer and whichever web process handled what: nothing is shared in memory between processes.

export interface SocketFeedOptions {
  pollMs?: number;
}

const room = (projectId: number) => `project:${projectId}`;

function authorize(socket: Socket, token: unknown, secret: string): number | null {
  if (typeof token !== 'string') return null;
  const claims = verifyJwt(token, secret, 'socket');
  const projectId = claims?.projectId;
  if (typeof projectId !== 'number') return null;
  socket.data.projectId = projectId;
  void socket.join(room(projectId));
  return projectId;
}

export function eventText(event: Pick<ExecutionEvent, 'kind' | 'message' | 'data' | 'epoch'>): string {
  if (event.kind === 'STAGE') return `Stage ${event.message ?? ''}\n`;
  if (event.kind === 'EPOCH') {
    const data = (event.data ?? {}) as { epoch?: number; loss?: number; metrics?: Record<string, number> };
    const metrics = Object.entries(data.metrics ?? {})
      .map(([k, v]) => ` - ${k}: ${Number(v).toFixed(4)}`)
      .join('');
    return `Epoch ${data.epoch ?? event.epoch ?? '?'} - loss: ${Number(data.loss ?? NaN).toFixed(4)}${metrics}\n`;
  }
  return `${event.message ?? ''}\n`;
}

/** Wires authentication and the database-fed event stream onto a socket.io server. */
export function attachEdgeImpulseSockets(
  io: Server,
  deps: { db: Db; jwtSecret: string },
  options: SocketFeedOptions = {},
) {
  const pollMs = options.pollMs ?? 500;
  io.on('connection', (socket) => {
    const handshake = socket.handshake.auth?.token ?? socket.handshake.query?.token;
    if (handshake !== undefined) {
      if (authorize(socket, handshake, deps.jwtSecret) === null) {
        socket.emit('auth-error', { success: false, error: 'Invalid or expired socket token' });
        socket.disconnect(true);
        return;
      }
      socket.emit('hello', { hello: true });
      return;
    }
    const timer = setTimeout(() => socket.disconnect(true), 10_000);
    socket.on('hello', (payload: { jwtToken?: unknown } | undefined) => {
      clearTimeout(timer);
      if (authorize(socket, payload?.jwtToken, deps.jwtSecret) === null) {
        socket.emit('hello', { hello: false, err: 'Invalid or expired socket token' });
        socket.disconnect(true);
        return;
      }
      socket.emit('hello', { hello: true });
    });
  });

  let lastEventId: number | null = null;
  const announced = new Map<number, number>();
  let lastFinishedCheck = new Date();
  let running = false;
  let stopped = false;

  async function poll() {
    if (running || stopped) return;
    running = true;
    try {
      if (lastEventId === null) {
        lastEventId = (await deps.db.executionEvent.aggregate({ _max: { id: true } }))._max.id ?? 0;
      }
      const projects = [...io.sockets.adapter.rooms.keys()]
        .filter((name) => name.startsWith('project:'))
        .map((name) => Number(name.slice('project:'.length)));
      if (projects.length === 0) {
        lastEventId = (await deps.db.executionEvent.aggregate({ _max: { id: true } }))._max.id ?? lastEventId;
        lastFinishedCheck = new Date();
        return;
      }
      // Finished jobs first (a window back in time: trainers' clocks and commits lag; deduplicated), then
      // the events: a trainer writes its last lines before it finishes, so they are emitted before the finish.
      const since = new Date(lastFinishedCheck.getTime() - 30_000);
      lastFinishedCheck = new Date();
      const finished = await deps.db.execution.findMany({
        where: {
          projectId: { in: projects },
          status: { in: [...TERMINAL_STATUSES] },
          finishedAt: { gte: since },
        },
        select: { id: true, projectId: true, status: true },
      });
      const events = await deps.db.executionEvent.findMany({
        where: { id: { gt: lastEventId }, execution: { projectId: { in: projects } } },
        include: { execution: { select: { projectId: true } } },
        orderBy: { id: 'asc' },
        take: 1000,
      });
      for (const event of events) {
        io.to(room(event.execution.projectId)).emit(`job-data-${event.executionId}`, {
          data: eventText(event),
        });
        lastEventId = event.id;
      }
      if (events.length < 1000) {
        for (const execution of finished) {
          if (announced.has(execution.id)) continue;
          io.to(room(execution.projectId)).emit(`job-finished-${execution.id}`, {
            success: execution.status === 'COMPLETED',
          });
          announced.set(execution.id, Date.now());
        }
      }
      for (const [id, at] of announced) if (Date.now() - at > 120_000) announced.delete(id);
    } catch (error) {
      console.error('socket feed: poll failed:', error instanceof Error ? error.message : String(error));
    } finally {
      running = false;
    }
  }

  const interval = setInterval(() => void poll(), pollMs);
  interval.unref?.();
  return {
    poll,
    close() {
      stopped = true;
      clearInterval(interval);
    },
  };
}
