import { createDb, type Db } from '@trainhub/db';
import { testProviders } from '@trainhub/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientIpOf } from '../src/auth/client-ip';
import {
  LOGIN_MAX_FAILURES,
  LOGIN_MAX_FAILURES_PER_IP,
  LoginRateLimitedError,
  limitPasswordCheck,
} from '../src/auth/login-limit';
import { clearCredentialCaches } from '../src/auth/resolve';
import { changePassword } from '../src/services/signup';
import { createRestHandler, type RestDeps } from '../src/rest/http';
import { cumulocityStyle } from '../src/rest/cumulocity/routes';
import { edgeImpulseStyle } from '../src/rest/edge-impulse/routes';
import { mlwStyle } from '../src/rest/mlw/routes';
import { basic, makeWorld, PASSWORD, type World } from './helpers';

// The sign-in limits on every REST entry point that takes a password, from two web instances: two handler
// sets, each over its own Prisma client of the same database, so the count can only be shared through the
// database (the web UI's sign-in is tested in apps/web/test/sign-in-limit.test.ts).

const WRONG = 'wrong horse battery';

describe.each(testProviders)('sign-in limits across two web instances on %s', (provider) => {
  let w: World;
  let secondDb: Db;
  type Handle = (r: Request) => Promise<Response>;
  const instances: { ei: Handle; mlw: Handle; c8y: Handle }[] = [];

  beforeAll(async () => {
    w = await makeWorld(provider);
    secondDb = createDb(w.t.url, { poolSize: 5 });
    for (const db of [w.t.db, secondDb]) {
      // TRUST_PROXY=1: the tests choose the client address with X-Forwarded-For.
      const deps: RestDeps = { ...w.deps, db, trustProxyHops: 1 };
      instances.push({
        ei: createRestHandler(edgeImpulseStyle, () => deps),
        mlw: createRestHandler(mlwStyle, () => deps),
        c8y: createRestHandler(cumulocityStyle, () => deps),
      });
    }
  });
  afterAll(async () => {
    await secondDb?.$disconnect();
    await w?.drop();
  });

  const apiLogin = (i: number, username: string, password: string, ip = '203.0.113.7') =>
    instances[i % 2]!.ei(
      new Request('http://x/v1/api-login', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-for': ip },
        body: JSON.stringify({ username, password }),
      }),
    );
  const mlwGet = (i: number, user: string, password: string, ip = '203.0.113.7') =>
    instances[i % 2]!.mlw(
      new Request('http://x/service/mlw/projects', {
        headers: { authorization: basic(user, password), 'x-forwarded-for': ip },
      }),
    );

  it('Edge Impulse api-login: the 11th attempt is 429 even with the right password; other IPs and accounts go on', async () => {
    const email = w.a.users.OWNER.email;
    for (let i = 0; i < LOGIN_MAX_FAILURES; i++) {
      const response = await apiLogin(i, email, WRONG);
      expect(response.status).toBe(401);
      expect(await response.json()).toEqual({ success: false, error: 'Invalid username or password' });
    }
    const refused = await apiLogin(LOGIN_MAX_FAILURES, email, PASSWORD);
    expect(refused.status).toBe(429);
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(800);
    expect(retryAfter).toBeLessThanOrEqual(900);
    const body = (await refused.json()) as { success: boolean; error: string };
    expect(body.success).toBe(false);
    expect(body.error).toMatch(/too many failed sign-in attempts/);
    // Per account and IP: the same account from another address, and another account from this one, work.
    expect((await apiLogin(0, email, PASSWORD, '198.51.100.9')).status).toBe(200);
    expect((await apiLogin(1, w.a.users.ADMIN.email, PASSWORD)).status).toBe(200);
    // The count lives in the database, once per account + IP and once per IP.
    expect(await w.t.db.rateLimit.count()).toBeGreaterThanOrEqual(2);
  });

  it('an unknown email counts like a wrong password and costs a bcrypt comparison', async () => {
    const started = performance.now();
    for (let i = 0; i < LOGIN_MAX_FAILURES; i++) {
      expect((await apiLogin(i, 'nobody@nowhere.test', WRONG, '192.0.2.1')).status).toBe(401);
    }
    // Ten bcrypt comparisons at cost 11 take well over 100 ms; a lookup miss alone would take a few ms.
    expect(performance.now() - started).toBeGreaterThan(100);
    expect((await apiLogin(0, 'nobody@nowhere.test', WRONG, '192.0.2.1')).status).toBe(429);
  });

  it('MLW Basic user:password: the 11th is refused with the MLW 401 shape, even for a credential cached as good', async () => {
    const email = w.a.users.EDITOR.email;
    clearCredentialCaches();
    // A good call first: both instances now remember this credential as verified.
    expect((await mlwGet(0, email, PASSWORD)).status).toBe(200);
    expect((await mlwGet(1, email, PASSWORD)).status).toBe(200);
    for (let i = 0; i < LOGIN_MAX_FAILURES; i++) {
      const response = await mlwGet(i, email, WRONG);
      expect(response.status).toBe(401);
      expect(await response.json()).toMatchObject({
        error: 'security/Unauthorized',
        message: 'Invalid credentials!',
      });
    }
    for (const i of [0, 1]) {
      const refused = await mlwGet(i, email, PASSWORD);
      expect(refused.status).toBe(401);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
      const body = (await refused.json()) as { error: string; message: string; info: string };
      expect(body.error).toBe('security/Unauthorized');
      expect(body.message).toMatch(/^Invalid credentials! : too many failed sign-in attempts/);
      expect(body.info).toContain('cumulocity');
    }
    // An API key is no password: it is not limited.
    const key = await instances[0]!.mlw(
      new Request('http://x/service/mlw/projects', {
        headers: { authorization: `Bearer ${w.a.keys.EDITOR}`, 'x-forwarded-for': '203.0.113.7' },
      }),
    );
    expect(key.status).toBe(200);
  });

  it('MLW Basic tenant/user:password: counted for the same account as user:password', async () => {
    const email = w.b.users.VIEWER.email;
    clearCredentialCaches();
    for (let i = 0; i < LOGIN_MAX_FAILURES; i++) {
      // Half the guesses as tenant/user, half as plain user: one count.
      const user = i % 2 ? `${w.b.slug}/${email}` : email;
      expect((await mlwGet(i, user, WRONG)).status).toBe(401);
    }
    const refused = await mlwGet(0, `${w.b.slug}/${email}`, PASSWORD);
    expect(refused.status).toBe(401);
    expect(((await refused.json()) as { message: string }).message).toMatch(/too many failed/);
    expect((await mlwGet(1, email, PASSWORD)).status).toBe(401);
    // Another address is not blocked.
    expect((await mlwGet(1, `${w.b.slug}/${email}`, PASSWORD, '198.51.100.20')).status).toBe(200);
  });

  it('Cumulocity surface (GET /user/currentUser, Basic): the 11th is refused in its 401 shape, not a 500', async () => {
    const email = w.a.users.ADMIN.email;
    const currentUser = (i: number, password: string) =>
      instances[i % 2]!.c8y(
        new Request('http://x/user/currentUser', {
          headers: {
            authorization: basic(`${w.a.slug}/${email}`, password),
            'x-forwarded-for': '192.0.2.70',
          },
        }),
      );
    clearCredentialCaches();
    for (let i = 0; i < LOGIN_MAX_FAILURES; i++) expect((await currentUser(i, WRONG)).status).toBe(401);
    const refused = await currentUser(0, PASSWORD);
    expect(refused.status).toBe(401);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await refused.json()).toMatchObject({
      error: 'security/Unauthorized',
      message: expect.stringMatching(/^Invalid credentials! : too many failed/),
    });
  });

  it('parallel guesses from both instances: exactly 10 are checked, the rest refused', async () => {
    const email = w.b.users.EDITOR.email;
    const answers = await Promise.all(
      Array.from({ length: 24 }, (_, i) => apiLogin(i, email, WRONG, '192.0.2.50').then((r) => r.status)),
    );
    expect(answers.filter((s) => s === 401)).toHaveLength(LOGIN_MAX_FAILURES);
    expect(answers.filter((s) => s === 429)).toHaveLength(24 - LOGIN_MAX_FAILURES);
  });

  it('a success clears the account count', async () => {
    const email = w.b.users.ADMIN.email;
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < LOGIN_MAX_FAILURES - 1; i++)
        expect((await apiLogin(i, email, WRONG, '192.0.2.60')).status).toBe(401);
      expect((await apiLogin(round, email, PASSWORD, '192.0.2.60')).status).toBe(200);
    }
  });

  it('without TRUST_PROXY a forged X-Forwarded-For does not buy new attempts', async () => {
    const deps: RestDeps = { ...w.deps, trustProxyHops: 0 };
    const ei = createRestHandler(edgeImpulseStyle, () => deps);
    const email = w.b.users.OWNER.email;
    const statuses: number[] = [];
    for (let i = 0; i <= LOGIN_MAX_FAILURES; i++) {
      const response = await ei(
        new Request('http://x/v1/api-login', {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-forwarded-for': `10.0.0.${i}` },
          body: JSON.stringify({ username: email, password: i === LOGIN_MAX_FAILURES ? PASSWORD : WRONG }),
        }),
      );
      statuses.push(response.status);
    }
    expect(statuses.slice(0, LOGIN_MAX_FAILURES).every((s) => s === 401)).toBe(true);
    expect(statuses[LOGIN_MAX_FAILURES]).toBe(429);
  });

  it('one IP spraying many accounts is refused after 100 failures; an unknown address has no shared IP count', async () => {
    const spray = async (ip: string) => {
      let refusedAt = -1;
      for (let i = 0; i <= LOGIN_MAX_FAILURES_PER_IP && refusedAt < 0; i++) {
        // A different account each time (no bcrypt here: the check itself always fails).
        const db = i % 2 ? secondDb : w.t.db;
        await limitPasswordCheck(db, { account: `spray-${i}@x.test`, ip }, async () => null).catch(
          (e: unknown) => {
            if (!(e instanceof LoginRateLimitedError)) throw e;
            refusedAt = i;
          },
        );
      }
      return refusedAt;
    };
    expect(await spray('192.0.2.99')).toBe(LOGIN_MAX_FAILURES_PER_IP);
    expect(await spray('unknown')).toBe(-1);
  });

  it('expired counts are swept by the next process that counts an attempt (no timer)', async () => {
    const old = new Date(Date.now() - 2 * 3_600_000);
    await w.t.db.rateLimit.createMany({
      data: [
        { key: 'login:stale', points: 3, expire: old },
        { key: 'login:fresh', points: 3, expire: new Date(Date.now() + 60_000) },
      ],
    });
    const third = createDb(w.t.url, { poolSize: 2 });
    try {
      await limitPasswordCheck(third, { account: 'sweeper@x.test', ip: '192.0.2.80' }, async () => null);
      await expect.poll(() => w.t.db.rateLimit.count({ where: { key: 'login:stale' } })).toBe(0);
      expect(await w.t.db.rateLimit.count({ where: { key: 'login:fresh' } })).toBe(1);
    } finally {
      await third.$disconnect();
    }
  });

  it('the password change is limited per user too', async () => {
    const user = w.a.users.VIEWER;
    for (let i = 0; i < LOGIN_MAX_FAILURES; i++) {
      await expect(
        changePassword(i % 2 ? secondDb : w.t.db, user.id, WRONG, 'a new password 1'),
      ).rejects.toMatchObject({
        code: 'FORBIDDEN',
        message: 'the current password is wrong',
      });
    }
    await expect(changePassword(secondDb, user.id, PASSWORD, 'a new password 1')).rejects.toMatchObject({
      code: 'FORBIDDEN',
      message: expect.stringMatching(/too many failed/),
    });
  });
});

describe('client address', () => {
  it('reads X-Forwarded-For only for trusted hops, from the right', () => {
    expect(clientIpOf('6.6.6.6', '::ffff:127.0.0.1', 0)).toBe('127.0.0.1');
    expect(clientIpOf('6.6.6.6, 198.51.100.1', '10.0.0.2', 1)).toBe('198.51.100.1');
    expect(clientIpOf('6.6.6.6, 198.51.100.1, 10.0.0.3', '10.0.0.2', 2)).toBe('198.51.100.1');
    expect(clientIpOf('198.51.100.1', '10.0.0.2', 3)).toBe('198.51.100.1');
    expect(clientIpOf('not an address', '10.0.0.2', 1)).toBe('10.0.0.2');
    expect(clientIpOf(null, undefined, 1)).toBe('unknown');
    expect(clientIpOf(null, '[2001:db8::1]', 0)).toBe('2001:db8::1');
  });
});
