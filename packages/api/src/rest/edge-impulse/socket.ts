import type { Db, ExecutionEvent } from '@trainhub/db';
import { TERMINAL_STATUSES, isTerminal } from '@trainhub/db';
import type { Server, ServerOptions, Socket } from 'socket.io';
import { signJwt, verifyJwt } from '../../auth/jwt';
import type { Principal } from '../../auth/principal';
import {
  changedModelTestingJobs,
  isModelTestingJobId,
  modelTestingFeedItem,
  type ModelTestingFeedItem,
} from '../../services/model-testing';

// Edge Impulse's live job updates over socket.io (fidelity note docs/fidelity/edge-impulse.md, section 1).
// What both official clients speak:
// - Engine.IO v3 (the Node bindings: raw WebSocket, `EIO=3`, no namespace CONNECT) and v4 (the Python SDK,
//   socket.io-client v4): the server must be created with EI_SOCKET_OPTIONS (`allowEIO3: true`).
// - The socket token from GET /v1/api/{projectId}/socket-token, in `?token=` (both official clients), in
//   `auth: { token }`, or in a `hello { jwtToken }` event. The server answers `hello { hello: { version: 1 } }`
//   (the Node bindings accept nothing else).
// - `start-log-stream { jobId, lastReceivedTimestamp }` (ms since the epoch): that job's lines written after the
//   timestamp are replayed to this socket, then the live stream continues; a job that already ended is
//   announced as ended to this socket.
// - For every job of the token's project:
//     job-data-{jobId}      { data: "<log line>\n" }   (log lines and stage changes; each epoch once, as the
//                                                       trainer's own "Epoch n/N: ..." log line)
//     job-finished-{jobId}  { jobId, success }          (Node bindings: ignored except `.data`)
//     job-finished          { jobId, success }          (the Python SDK waits for this one)
//   Each socket hears a job's end once, and once more after the lines a start-log-stream replayed.
// Model testing jobs (services/model-testing.ts: jobs/evaluate, jobs/classify) get the same events: their log
// lines (the stdout lines of jobs/{id}/stdout) as job-data, and their end.
// Events are read from the database (ExecutionEvent rows, Execution.finishedAt; ModelJob rows), so they reach
// the client whichever trainer and whichever web process handled what: nothing is shared in memory between
// processes.

/** socket.io server options for the Edge Impulse feed: the path both official clients use, EIO v3 and v4. */
export const EI_SOCKET_OPTIONS = {
  path: '/socket.io',
  allowEIO3: true,
  cors: { origin: true, credentials: true },
} satisfies Partial<ServerOptions>;

/** The greeting the Node bindings wait for (`payload.hello.version === 1`). */
export const HELLO = { hello: { version: 1 } } as const;

export interface SocketFeedOptions {
  pollMs?: number;
}

/** How many earlier lines `start-log-stream` replays at most (the newest ones). */
export const REPLAY_MAX_LINES = 10_000;

/** How long a socket token lives, in seconds. */
export const SOCKET_TOKEN_TTL_S = 3600;

/**
 * A socket token (GET /v1/api/{projectId}/socket-token) for the caller, good for `projectId`'s feed for
 * SOCKET_TOKEN_TTL_S: a JWT of type `socket` (an api-login token is refused here, and this one everywhere
 * else). The caller's access to the project is checked before; `expires` is when it stops working.
 */
export function signSocketToken(
  principal: Principal,
  projectId: number,
  secret: string,
): { token: string; expires: Date } {
  const sub = principal.kind === 'user' ? principal.userId : `key:${principal.keyId}`;
  return signJwt({ sub, typ: 'socket', projectId }, secret, SOCKET_TOKEN_TTL_S);
}

const room = (projectId: number) => `project:${projectId}`;
const STREAMED_KINDS = ['LOG', 'STAGE'] as const;

function authorize(socket: Socket, token: unknown, secret: string): number | null {
  if (typeof token !== 'string') return null;
  const claims = verifyJwt(token, secret, 'socket');
  const projectId = claims?.projectId;
  if (typeof projectId !== 'number') return null;
  socket.data.projectId = projectId;
  void socket.join(room(projectId));
  return projectId;
}

/**
 * One event as a log line with its newline, as Edge Impulse sends `job-data-{jobId}.data` and stdout lines:
 * LOG rows as written, STAGE rows as `Stage <STAGE>`. EPOCH rows are summaries of the trainer's own epoch log
 * line; the feed does not send them (so each epoch is sent once).
 */
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

interface Subscription {
  socket: Socket;
  jobId: number;
  after: Date | null;
}

function finishedSet(socket: Socket): Set<number> {
  return (socket.data.finished ??= new Set<number>()) as Set<number>;
}

/** The model testing job lines sent to this socket (by job id; `created` + text), so each goes once. */
function testingLinesSent(socket: Socket, jobId: number): Set<string> {
  const sent = (socket.data.testingLines ??= new Map<number, Set<string>>()) as Map<number, Set<string>>;
  let lines = sent.get(jobId);
  if (!lines) {
    if (sent.size >= 1000) sent.delete(sent.keys().next().value!);
    sent.set(jobId, (lines = new Set()));
  }
  return lines;
}

/**
 * Sends a model testing job's lines created after `after` (null: all) that this socket has not had; returns
 * how many it sent.
 */
function sendTestingLines(socket: Socket, item: ModelTestingFeedItem, after: Date | null): number {
  const sent = testingLinesSent(socket, item.job.id);
  let count = 0;
  for (const line of item.lines) {
    const key = `${line.created} ${line.data}`;
    if (sent.has(key) || (after && Date.parse(line.created) <= after.getTime())) continue;
    sent.add(key);
    socket.emit(`job-data-${item.job.id}`, { data: line.data });
    count++;
  }
  return count;
}

const INT32_MAX = 2_147_483_647;

/**
 * Wires authentication, `start-log-stream` and the database-fed event stream onto a socket.io server
 * (create it with EI_SOCKET_OPTIONS). Returns `poll` (one round, for tests) and `close`.
 */
export function attachEdgeImpulseSockets(
  io: Server,
  deps: { db: Db; jwtSecret: string },
  options: SocketFeedOptions = {},
) {
  const pollMs = options.pollMs ?? 500;
  const subscriptions: Subscription[] = [];

  io.on('connection', (socket) => {
    socket.on('start-log-stream', (payload: { jobId?: unknown; lastReceivedTimestamp?: unknown }) => {
      const jobId = Number(payload?.jobId);
      if (typeof socket.data.projectId !== 'number' || !Number.isSafeInteger(jobId) || jobId <= 0) return;
      const ts = Number(payload?.lastReceivedTimestamp);
      const after = Number.isFinite(ts) && ts > 0 && ts < 8.64e15 ? new Date(ts) : null;
      if (subscriptions.length < 10_000) subscriptions.push({ socket, jobId, after });
    });
    const handshake = socket.handshake.auth?.token ?? socket.handshake.query?.token;
    if (handshake !== undefined) {
      if (authorize(socket, handshake, deps.jwtSecret) === null) {
        socket.emit('auth-error', { success: false, error: 'Invalid or expired socket token' });
        socket.disconnect(true);
        return;
      }
      socket.emit('hello', HELLO);
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
      socket.emit('hello', HELLO);
    });
  });

  let lastEventId: number | null = null;
  let lastFinishedCheck = new Date();
  let running = false;
  let stopped = false;

  /** `job-finished-{id}` and `job-finished`, once per socket (`again`: once more, after a replay). */
  function announceFinished(
    sockets: Iterable<Socket>,
    execution: { id: number; status: string },
    again = false,
  ): void {
    const payload = { jobId: execution.id, success: execution.status === 'COMPLETED' };
    for (const socket of sockets) {
      const sent = finishedSet(socket);
      if (sent.has(execution.id) && !again) continue;
      sent.add(execution.id);
      if (sent.size > 10_000) sent.delete(sent.values().next().value!);
      socket.emit(`job-finished-${execution.id}`, payload);
      socket.emit('job-finished', payload);
    }
  }

  function socketsIn(projectId: number): Socket[] {
    const ids = io.sockets.adapter.rooms.get(room(projectId));
    return ids ? [...ids].map((id) => io.sockets.sockets.get(id)).filter((s): s is Socket => !!s) : [];
  }

  async function poll() {
    if (running || stopped) return;
    running = true;
    try {
      if (lastEventId === null) {
        lastEventId = (await deps.db.executionEvent.aggregate({ _max: { id: true } }))._max.id ?? 0;
      }
      const cursor: number = lastEventId;
      const projects = [...io.sockets.adapter.rooms.keys()]
        .filter((name) => name.startsWith('project:'))
        .map((name) => Number(name.slice('project:'.length)));
      const subs = subscriptions.splice(0);
      if (projects.length === 0) {
        lastEventId = (await deps.db.executionEvent.aggregate({ _max: { id: true } }))._max.id ?? lastEventId;
        lastFinishedCheck = new Date();
        return;
      }
      // A socket hears the live stream from the first round it is in a room: it has been sent every line after
      // that round's cursor, so a replay stops there (a client that asks for a replay after live lines reached
      // it does not get them twice).
      for (const socket of io.sockets.sockets.values())
        if (typeof socket.data.projectId === 'number' && socket.data.liveFrom === undefined) {
          socket.data.liveFrom = cursor;
          // Model testing lines have no event ids: live from the previous round's time on.
          socket.data.liveAt = lastFinishedCheck;
        }
      // Replays first: the lines up to the cursor (what the live stream below does not send), to the
      // subscriber only.
      const lateFinished: {
        socket: Socket;
        execution: { id: number; status: string };
        replayed: boolean;
      }[] = [];
      for (const sub of subs) {
        if (!sub.socket.connected) continue;
        if (isModelTestingJobId(sub.jobId)) {
          const item = await modelTestingFeedItem(deps.db, sub.socket.data.projectId as number, sub.jobId);
          if (!item) continue;
          const replayed = sendTestingLines(sub.socket, item, sub.after);
          if (item.job.finished !== undefined)
            lateFinished.push({ socket: sub.socket, execution: testingEnd(item), replayed: replayed > 0 });
          continue;
        }
        // An id past 32 bits is no job (PostgreSQL would refuse the read).
        if (sub.jobId > INT32_MAX) continue;
        const execution = await deps.db.execution.findFirst({
          where: { id: sub.jobId, projectId: sub.socket.data.projectId as number },
          select: { id: true, status: true },
        });
        if (!execution) continue;
        const replay = await deps.db.executionEvent.findMany({
          where: {
            executionId: execution.id,
            id: { lte: Math.min(cursor, (sub.socket.data.liveFrom as number | undefined) ?? cursor) },
            kind: { in: [...STREAMED_KINDS] },
            ...(sub.after ? { createdAt: { gt: sub.after } } : {}),
          },
          orderBy: { seq: 'desc' },
          take: REPLAY_MAX_LINES,
        });
        for (const event of replay.reverse()) {
          sub.socket.emit(`job-data-${execution.id}`, { data: eventText(event) });
        }
        if (isTerminal(execution.status))
          lateFinished.push({ socket: sub.socket, execution, replayed: replay.length > 0 });
      }
      // Finished jobs (a window back in time: trainers' clocks and commits lag; each socket hears an end once),
      // read before the events: a trainer writes its last lines before it finishes, so they are emitted before
      // the finish.
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
      const testing = await changedModelTestingJobs(deps.db, projects, since);
      const events = await deps.db.executionEvent.findMany({
        where: { id: { gt: cursor }, execution: { projectId: { in: projects } } },
        include: { execution: { select: { projectId: true } } },
        orderBy: { id: 'asc' },
        take: 1000,
      });
      for (const event of events) {
        if ((STREAMED_KINDS as readonly string[]).includes(event.kind)) {
          io.to(room(event.execution.projectId)).emit(`job-data-${event.executionId}`, {
            data: eventText(event),
          });
        }
        lastEventId = event.id;
      }
      if (events.length < 1000) {
        // After a replay the end follows the replayed lines, even if this socket heard it before; first, so
        // the announcements to the room below skip these sockets.
        for (const { socket, execution, replayed } of lateFinished)
          announceFinished([socket], execution, replayed);
        for (const execution of finished) announceFinished(socketsIn(execution.projectId), execution);
        // Model testing jobs: their new lines, then their end (each socket hears both once).
        for (const item of testing) {
          const sockets = socketsIn(item.projectId);
          for (const socket of sockets) sendTestingLines(socket, item, socket.data.liveAt as Date);
          if (item.job.finished !== undefined) announceFinished(sockets, testingEnd(item));
        }
      } else {
        // More lines are waiting: announce late ends next round, after them.
        for (const { socket, execution } of lateFinished)
          subscriptions.push({ socket, jobId: execution.id, after: new Date(8.64e15) });
      }
    } catch (error) {
      console.error('socket feed: poll failed:', error instanceof Error ? error.message : String(error));
    } finally {
      running = false;
    }
  }

  /** A finished model testing job as announceFinished reads an execution. */
  function testingEnd(item: ModelTestingFeedItem) {
    return { id: item.job.id, status: item.job.finishedSuccessful ? 'COMPLETED' : 'FAILED' };
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
