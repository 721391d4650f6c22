import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, testProviders, type TestDatabase } from '@trainhub/db/testing';
import { runAdmin } from '../src/admin/cli';
import { hashToken, verifyPassword } from '../src/auth/secrets';

const root = join(import.meta.dirname, '../../..');

describe.each(testProviders)('admin CLI on %s', (provider) => {
  let t: TestDatabase;
  const out: string[] = [];
  beforeAll(async () => {
    t = await createTestDatabase(provider);
  });
  afterAll(async () => {
    await t?.drop();
  });

  it('creates a user as owner of a new team, with the password hashed', async () => {
    await runAdmin(
      ['create-user', '--email', 'Ada@Example.com', '--password', 'correct horse', '--team', 'Lab'],
      t.db,
      (l) => out.push(l),
    );
    const user = await t.db.user.findUniqueOrThrow({
      where: { email: 'ada@example.com' },
      include: { memberships: { include: { team: true } } },
    });
    expect(user.passwordHash).not.toContain('correct horse');
    expect(await verifyPassword('correct horse', user.passwordHash!)).toBe(true);
    expect(user.memberships).toHaveLength(1);
    expect(user.memberships[0]).toMatchObject({ role: 'OWNER', team: { name: 'Lab', slug: 'lab' } });
  });

  it('refuses a second user with the same email', async () => {
    await expect(
      runAdmin(['create-user', '--email', 'ada@example.com', '--password', 'another one'], t.db, () => {}),
    ).rejects.toThrow(/already exists/);
  });

  it('creates an API key shown once and stored only as a hash', async () => {
    const lines: string[] = [];
    await runAdmin(
      ['create-api-key', '--email', 'ada@example.com', '--team', 'Lab', '--role', 'editor'],
      t.db,
      (l) => lines.push(l),
    );
    const key = lines.at(-1)!;
    expect(key).toMatch(/^ei_[A-Za-z0-9_-]{43}$/);
    const stored = await t.db.apiKey.findFirstOrThrow({ where: { role: 'EDITOR' } });
    expect(stored.keyHash).toBe(hashToken(key));
    expect(JSON.stringify(stored)).not.toContain(key);
    expect(key.startsWith(stored.prefix)).toBe(true);
  });

  it('scopes a key to a project of the team, and refuses an unknown project or team', async () => {
    const team = await t.db.team.findUniqueOrThrow({ where: { slug: 'lab' } });
    await t.db.project.create({ data: { teamId: team.id, name: 'Digits' } });
    const lines: string[] = [];
    const args = ['create-api-key', '--email', 'ada@example.com', '--team', 'lab', '--role', 'viewer'];
    await runAdmin([...args, '--project', 'Digits'], t.db, (l) => lines.push(l));
    const stored = await t.db.apiKey.findFirstOrThrow({ where: { role: 'VIEWER' } });
    expect(stored.projectId).not.toBeNull();
    await expect(runAdmin([...args, '--project', 'Nope'], t.db, () => {})).rejects.toThrow(
      /no project named Nope/,
    );
    await expect(
      runAdmin(
        ['create-api-key', '--email', 'ada@example.com', '--team', 'Other', '--role', 'viewer'],
        t.db,
        () => {},
      ),
    ).rejects.toThrow(/not a member/);
  });

  it('rejects bad arguments with a usage error', async () => {
    await expect(
      runAdmin(['create-user', '--email', 'not-an-email', '--password', 'x'], t.db, () => {}),
    ).rejects.toThrow(/email/);
    await expect(
      runAdmin(['create-api-key', '--email', 'ada@example.com', '--team', 'Lab'], t.db, () => {}),
    ).rejects.toThrow(/--role/);
    await expect(runAdmin(['create-user', '--bogus', 'x'], t.db, () => {})).rejects.toThrow(/bogus/);
    await expect(runAdmin(['drop-everything'], t.db, () => {})).rejects.toThrow(/unknown command/);
  });
});

describe('admin CLI process', () => {
  it('prints usage and exits non-zero on bad arguments', () => {
    const result = spawnSync(
      process.execPath,
      [join(root, 'node_modules/.bin/tsx'), 'packages/api/src/admin/cli.ts', 'create-user'],
      {
        cwd: root,
        encoding: 'utf8',
        env: { ...process.env, DATABASE_URL: 'file:/tmp/trainhub-admin-usage-test.db' },
      },
    );
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('--email is required');
    expect(result.stderr).toContain('usage: npm run admin');
  });
});
