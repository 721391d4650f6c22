import { hashPassword, LOGIN_MAX_FAILURES } from '@trainhub/api';
import { createDb, type Db } from '@trainhub/db';
import { createTestDatabase, testProviders, type TestDatabase } from '@trainhub/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readBodyUpTo } from '../src/server/body-limit';
import { credentialsAuthorize } from '../src/server/credentials';

// The web UI's email + password sign-in (next-auth's Credentials `authorize`) from two web instances: each
// over its own Prisma client of one database, so failures can only be shared through the database.

const PASSWORD = 'correct horse battery';

describe.each(testProviders)('web sign-in limits across two web instances on %s', (provider) => {
  let t: TestDatabase;
  let second: Db;
  let instances: ReturnType<typeof credentialsAuthorize>[];

  beforeAll(async () => {
    t = await createTestDatabase(provider);
    second = createDb(t.url, { poolSize: 5 });
    const passwordHash = await hashPassword(PASSWORD);
    await t.db.user.createMany({
      data: [
        { email: 'ada@example.com', passwordHash },
        { email: 'bob@example.com', passwordHash },
      ],
    });
    // TRUST_PROXY=1, so that the test picks the client address with X-Forwarded-For.
    instances = [
      credentialsAuthorize(
        () => t.db,
        () => 1,
      ),
      credentialsAuthorize(
        () => second,
        () => 1,
      ),
    ];
  });
  afterAll(async () => {
    await second?.$disconnect();
    await t?.drop();
  });

  const signIn = (i: number, email: string, password: string, ip = '203.0.113.5') =>
    instances[i % 2]!({ email, password }, { headers: { 'x-forwarded-for': ip } });

  it('the 11th attempt within the window is refused (RateLimited) even with the right password', async () => {
    expect(await signIn(0, 'ada@example.com', PASSWORD)).toMatchObject({ email: 'ada@example.com' });
    for (let i = 0; i < LOGIN_MAX_FAILURES; i++) {
      expect(await signIn(i, 'Ada@Example.com ', 'wrong horse battery')).toBeNull();
    }
    await expect(signIn(0, 'ada@example.com', PASSWORD)).rejects.toThrow('RateLimited');
    await expect(signIn(1, 'ada@example.com', PASSWORD)).rejects.toThrow('RateLimited');
    // Per account and address: another account from here, and this account from elsewhere, sign in.
    expect(await signIn(0, 'bob@example.com', PASSWORD)).toMatchObject({ email: 'bob@example.com' });
    expect(await signIn(1, 'ada@example.com', PASSWORD, '198.51.100.3')).toMatchObject({
      email: 'ada@example.com',
    });
  });
});

describe('next-auth request bodies', () => {
  it('are read up to the limit, declared or streamed, and refused past it', async () => {
    const post = (body: BodyInit) =>
      new Request('http://x/api/auth/callback/credentials', {
        method: 'POST',
        body,
        duplex: 'half',
      } as RequestInit);
    expect(new TextDecoder().decode((await readBodyUpTo(post('email=a%40b.c'), 100))!)).toBe('email=a%40b.c');
    expect(await readBodyUpTo(post('x'.repeat(101)), 100)).toBeNull();
    let pulls = 0;
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulls++;
        controller.enqueue(new Uint8Array(64));
      },
    });
    expect(await readBodyUpTo(post(endless), 1000)).toBeNull();
    // It stopped reading soon after the limit instead of draining the stream.
    expect(pulls).toBeLessThan(40);
  });
});
