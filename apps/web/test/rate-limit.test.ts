import { describe, expect, it } from 'vitest';
import { SlidingWindowLimiter } from '../src/server/rate-limit';

describe('sign-in rate limiting', () => {
  it('refuses after max failures within the window and recovers as they age out', () => {
    const limiter = new SlidingWindowLimiter(3, 1000);
    const key = 'ada@example.com|1.2.3.4';
    for (let i = 0; i < 3; i++) {
      expect(limiter.allow(key, i * 100)).toBe(true);
      limiter.fail(key, i * 100);
    }
    expect(limiter.allow(key, 500)).toBe(false);
    expect(limiter.allow('ada@example.com|5.6.7.8', 500)).toBe(true);
    // The first failure (t=0) leaves the window at t=1000.
    expect(limiter.allow(key, 1000)).toBe(true);
    limiter.reset(key);
    expect(limiter.allow(key, 1001)).toBe(true);
  });
});
