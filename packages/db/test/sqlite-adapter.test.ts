import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../src/testing';

// Regressions for the embedded database under concurrent requests (the load suite's starved SQLite writers).
describe('SQLite adapter', () => {
  let test: TestDatabase;
  beforeEach(async () => {
    test = await createTestDatabase('sqlite');
  });
  afterEach(async () => {
    await test.drop();
  });

  it('keeps statements outside an open transaction out of it', async () => {
    const { db } = test;
    let inside!: () => void;
    const transactionWrote = new Promise<void>((resolve) => (inside = resolve));
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));

    const rolledBack = db
      .$transaction(async (tx) => {
        await tx.team.create({ data: { name: 'uncommitted', slug: 'uncommitted' } });
        inside();
        await gate;
        throw new Error('roll back');
      })
      .catch((error: Error) => error.message);
    await transactionWrote;

    // Another request's read sees only committed rows; its write is its own, not the transaction's.
    expect(await db.team.findMany({ where: { slug: 'uncommitted' } })).toEqual([]);
    const outsideWrite = db.team.create({ data: { name: 'independent', slug: 'independent' } });
    release();
    expect(await rolledBack).toBe('roll back');
    await outsideWrite;

    const slugs = (await db.team.findMany()).map((t) => t.slug);
    expect(slugs).toEqual(['independent']);
  });

  it('keeps column lists per statement, and drops them when the schema changes under the process', async () => {
    const { db, url } = test;
    await db.team.create({ data: { name: 'a', slug: 'a' } });
    const read = () => db.$queryRaw<Record<string, unknown>[]>`SELECT * FROM "Team"`;
    expect(Object.keys((await read())[0]!)).not.toContain('extra');
    // A migration by another process adds a column while this one keeps the compiled statement.
    const other = new Database(url.slice('file:'.length));
    other.exec(`ALTER TABLE "Team" ADD COLUMN "extra" TEXT DEFAULT 'x'`);
    other.close();
    await read().catch(() => undefined); // the width changed: the kept list is dropped
    expect((await read())[0]).toMatchObject({ slug: 'a', extra: 'x' });
  });

  it('waits for a write lock held by another process without freezing the event loop', async () => {
    const { db, url } = test;
    const other = new Database(url.slice('file:'.length));
    other.prepare('BEGIN IMMEDIATE').run();
    const holdMs = 1500;

    let longestGap = 0;
    let last = Date.now();
    const ticker = setInterval(() => {
      const now = Date.now();
      longestGap = Math.max(longestGap, now - last);
      last = now;
    }, 5);
    setTimeout(() => other.prepare('COMMIT').run(), holdMs);
    try {
      const started = Date.now();
      await Promise.all([
        db.team.create({ data: { name: 'a', slug: 'a' } }),
        db.$transaction(async (tx) => tx.team.create({ data: { name: 'b', slug: 'b' } })),
      ]);
      // Both writes waited for the other process's lock and then went through.
      expect(Date.now() - started).toBeGreaterThanOrEqual(holdMs - 50);
    } finally {
      clearInterval(ticker);
      other.close();
    }
    expect(await db.team.count()).toBe(2);
    // A synchronous busy wait would have stalled the timer for the whole hold.
    expect(longestGap).toBeLessThan(holdMs / 2);
  });
});
