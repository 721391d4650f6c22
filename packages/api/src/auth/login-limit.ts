import type { Db } from '@trainhub/db';
import { RateLimiterPrisma, RateLimiterRes } from 'rate-limiter-flexible';
import { hashToken } from './secrets';

// Password guessing limits, shared by every entry point that checks a password (web sign-in, Edge Impulse
// api-login, MLW Basic auth, the password change) and by every web instance: the counters are rows of the
// `RateLimit` table, kept by rate-limiter-flexible's RateLimiterPrisma through our Prisma client. That store
// works on SQLite and PostgreSQL alike (its writes are a Prisma upsert with `increment`, which both databases
// run as one INSERT ... ON CONFLICT DO UPDATE, so concurrent failures from several instances are all
// counted); the library's RateLimiterPostgres / RateLimiterSQLite would each need a raw driver of their own
// database, beside the Prisma driver adapters.

/** Failed password checks allowed per account and client IP within the window; the next one is refused. */
export const LOGIN_MAX_FAILURES = 10;
/** Failed password checks allowed per client IP (any accounts) within the window (password spraying). */
export const LOGIN_MAX_FAILURES_PER_IP = 100;
/** The window, in seconds: counting starts at the first failure and ends this long after it. */
export const LOGIN_WINDOW_SECONDS = 15 * 60;

/** A password check refused because of too many recent failures; `retryAfterSeconds` until it may work. */
export class LoginRateLimitedError extends Error {
  override name = 'LoginRateLimitedError';
  constructor(readonly retryAfterSeconds: number) {
    super(`too many failed sign-in attempts: try again in ${retryAfterSeconds} s`);
  }
}

interface Limiters {
  account: RateLimiterPrisma;
  ip: RateLimiterPrisma;
  /** When this process last deleted expired rows (ms). */
  sweptAt: number;
}

/** Expired rows are deleted at most this often per process, by the next counted attempt (no timer). */
const SWEEP_EVERY_MS = 5 * 60_000;

// One pair of limiters per database client (each web process has one client; a test may build several).
const limiters = new WeakMap<Db, Limiters>();

function limitersFor(db: Db): Limiters {
  let found = limiters.get(db);
  if (!found) {
    // The library's own cleanup is a timer per limiter that outlives the client (closed databases, tests):
    // expired rows are swept by sweepExpired instead.
    const common = {
      storeClient: db,
      tableName: 'rateLimit',
      duration: LOGIN_WINDOW_SECONDS,
      clearExpiredByTimeout: false,
    };
    found = {
      account: new RateLimiterPrisma({ ...common, keyPrefix: 'login', points: LOGIN_MAX_FAILURES }),
      ip: new RateLimiterPrisma({ ...common, keyPrefix: 'login-ip', points: LOGIN_MAX_FAILURES_PER_IP }),
      sweptAt: 0,
    };
    limiters.set(db, found);
  }
  return found;
}

/**
 * Who is trying: the account as typed (an email, lower-cased here; a user id for a signed-in user's password
 * change) and the client's IP address (see client-ip.ts), or null where there is no meaningful one. Stored
 * only as SHA-256 hashes, so the table holds no typed emails. An `'unknown'` address (no socket and no trusted
 * proxy header) gets no IP count of its own: all such clients would share it, and 100 failures by anyone
 * would lock everyone out; the account count still applies.
 */
export interface LoginAttempt {
  account: string;
  ip: string | null;
}

const keysOf = (attempt: LoginAttempt) => ({
  account: hashToken(`${attempt.account.trim().toLowerCase()}\0${attempt.ip ?? ''}`),
  ip: attempt.ip === null || attempt.ip === 'unknown' ? null : hashToken(attempt.ip),
});

/**
 * Deletes rows whose window ended over an hour ago (a guessing spray leaves one per email + IP tried), at
 * the first counted attempt of a process and then at most every SWEEP_EVERY_MS; best effort, never awaited.
 */
function sweepExpired(db: Db, limiters: Limiters): void {
  const now = Date.now();
  if (now - limiters.sweptAt < SWEEP_EVERY_MS) return;
  limiters.sweptAt = now;
  db.rateLimit.deleteMany({ where: { expire: { lt: new Date(now - 3_600_000) } } }).catch(() => undefined);
}

const retryAfter = (res: RateLimiterRes) => Math.max(1, Math.ceil(res.msBeforeNext / 1000));

/**
 * Runs one password check under the limits: the attempt is counted before `check` runs (so parallel guesses
 * cannot slip past the count), a success clears the account's count and gives the IP its point back, a
 * failure (`check` answering null) stays counted. The 11th attempt within the window is refused before
 * `check` runs, even with the right password.
 * @throws LoginRateLimitedError when the account + IP or the IP is over its limit (nothing is checked).
 */
export async function limitPasswordCheck<T>(
  db: Db,
  attempt: LoginAttempt,
  check: () => Promise<T | null>,
): Promise<T | null> {
  const limiters = limitersFor(db);
  const { account, ip } = limiters;
  sweepExpired(db, limiters);
  const keys = keysOf(attempt);
  const consumed = await Promise.allSettled([
    account.consume(keys.account),
    ...(keys.ip ? [ip.consume(keys.ip)] : []),
  ]);
  const refused = consumed.find((r) => r.status === 'rejected');
  if (refused) {
    const reason = (refused as PromiseRejectedResult).reason as unknown;
    if (reason instanceof RateLimiterRes) throw new LoginRateLimitedError(retryAfter(reason));
    throw reason;
  }
  const result = await check();
  if (result !== null) {
    await Promise.all([account.delete(keys.account), ...(keys.ip ? [ip.reward(keys.ip, 1)] : [])]);
  }
  return result;
}

/**
 * Refuses a credential this process already verified (MLW Basic auth's short-lived cache) while its account
 * + IP or IP is over the limit, without counting anything: one indexed read of both rows (keys as the
 * limiters store them), since it runs on every such call.
 * @throws LoginRateLimitedError as limitPasswordCheck.
 */
export async function assertNotLimited(db: Db, attempt: LoginAttempt): Promise<void> {
  const { account, ip } = limitersFor(db);
  const keys = keysOf(attempt);
  const accountKey = account.getKey(keys.account);
  const ipKey = keys.ip ? ip.getKey(keys.ip) : null;
  const now = new Date();
  const rows = await db.rateLimit.findMany({
    where: {
      key: { in: ipKey ? [accountKey, ipKey] : [accountKey] },
      OR: [{ expire: null }, { expire: { gt: now } }],
    },
  });
  for (const row of rows) {
    const max = row.key === accountKey ? LOGIN_MAX_FAILURES : LOGIN_MAX_FAILURES_PER_IP;
    if (row.points >= max) {
      const ms = row.expire ? row.expire.getTime() - now.getTime() : LOGIN_WINDOW_SECONDS * 1000;
      throw new LoginRateLimitedError(Math.max(1, Math.ceil(ms / 1000)));
    }
  }
}
