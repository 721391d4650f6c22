/**
 * A sliding-window limiter of failed sign-ins per key (email + client IP): after `max` failures within
 * `windowMs`, further attempts are refused until the oldest failure leaves the window. It lives in this
 * process's memory: each web instance counts on its own.
 */
export class SlidingWindowLimiter {
  private readonly failures = new Map<string, number[]>();
  constructor(
    private readonly max: number,
    private readonly windowMs: number,
  ) {}

  private recent(key: string, now: number): number[] {
    const list = (this.failures.get(key) ?? []).filter((t) => now - t < this.windowMs);
    if (list.length) this.failures.set(key, list);
    else this.failures.delete(key);
    return list;
  }

  allow(key: string, now = Date.now()): boolean {
    return this.recent(key, now).length < this.max;
  }

  fail(key: string, now = Date.now()) {
    const list = this.recent(key, now);
    list.push(now);
    this.failures.set(key, list);
    if (this.failures.size > 50_000) {
      // Bound memory under a spray of keys: forget the oldest entries.
      for (const k of [...this.failures.keys()].slice(0, 10_000)) this.failures.delete(k);
    }
  }

  reset(key: string) {
    this.failures.delete(key);
  }
}

const holder = globalThis as typeof globalThis & { trainhubSignInLimiter?: SlidingWindowLimiter };
/** 10 failed sign-ins per email and IP in 15 minutes. */
export const signInLimiter = (holder.trainhubSignInLimiter ??= new SlidingWindowLimiter(10, 15 * 60_000));
