import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { migrate, MigrationError } from '../src/migrate';

function fixture(files: Record<string, string>): { dir: string; url: string } {
  const root = mkdtempSync(join(tmpdir(), 'trainhub-migrate-'));
  const dir = join(root, 'migrations');
  mkdirSync(dir);
  for (const [name, sql] of Object.entries(files)) writeFileSync(join(dir, name), sql);
  return { dir, url: `file:${join(root, 'db.sqlite')}` };
}

describe('migration runner', () => {
  it('applies files in order once, and nothing on a second run', async () => {
    const { dir, url } = fixture({
      '0002_b.sql': 'ALTER TABLE t ADD COLUMN b TEXT;',
      '0001_a.sql': 'CREATE TABLE t (a INTEGER);\nCREATE INDEX t_a ON t(a);',
    });
    expect(await migrate(url, { dir })).toEqual({ applied: ['0001_a.sql', '0002_b.sql'], alreadyApplied: 0 });
    expect(await migrate(url, { dir })).toEqual({ applied: [], alreadyApplied: 2 });
    const db = new Database(url.slice(5));
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
  });

  it('refuses an applied file whose contents changed', async () => {
    const { dir, url } = fixture({ '0001_a.sql': 'CREATE TABLE t (a INTEGER);' });
    await migrate(url, { dir });
    writeFileSync(join(dir, '0001_a.sql'), 'CREATE TABLE t (a INTEGER, b TEXT);');
    await expect(migrate(url, { dir })).rejects.toThrow(MigrationError);
    await expect(migrate(url, { dir })).rejects.toThrow(/0001_a\.sql was changed/);
  });

  it('rolls back a failing file as a whole and records nothing for it', async () => {
    const { dir, url } = fixture({
      '0001_a.sql': 'CREATE TABLE t (a INTEGER);',
      '0002_bad.sql': 'CREATE TABLE u (x INTEGER);\nTHIS IS NOT SQL;',
    });
    await expect(migrate(url, { dir })).rejects.toThrow(MigrationError);
    const db = new Database(url.slice(5));
    const tables = db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
      .pluck()
      .all();
    const applied = db.prepare('SELECT name FROM _migrations').pluck().all();
    db.close();
    expect(tables).toContain('t');
    expect(tables).not.toContain('u');
    expect(applied).toEqual(['0001_a.sql']);
  });
});
