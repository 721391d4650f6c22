// Generates the two Prisma clients (PostgreSQL and SQLite) from the one schema in prisma/schema.prisma.
// A Prisma client is bound to one provider, so the SQLite schema is derived here by swapping the provider
// and the output folder; the models stay identical by construction.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const source = join(root, 'prisma/schema.prisma');
const derivedDir = join(root, 'prisma/.generated');
mkdirSync(derivedDir, { recursive: true });

const schema = readFileSync(source, 'utf8');
const sqliteSchema = schema
  .replace('provider = "postgresql"', 'provider = "sqlite"')
  .replace(
    'output   = "../packages/db/src/generated/postgresql"',
    'output   = "../../packages/db/src/generated/sqlite"',
  );
if (sqliteSchema === schema || !sqliteSchema.includes('generated/sqlite')) {
  throw new Error(
    'prisma/schema.prisma: could not derive the SQLite schema (provider/output lines changed?)',
  );
}
const sqlitePath = join(derivedDir, 'sqlite.prisma');
writeFileSync(sqlitePath, sqliteSchema);

// `prisma generate` needs no schema engine, but tries to download one unless this points at a file.
const env = { ...process.env, PRISMA_HIDE_UPDATE_MESSAGE: '1' };
if (!env.PRISMA_SCHEMA_ENGINE_BINARY || !existsSync(env.PRISMA_SCHEMA_ENGINE_BINARY)) {
  const placeholder = join(derivedDir, 'schema-engine-placeholder');
  writeFileSync(
    placeholder,
    '#!/bin/sh\necho "schema engine is not used: migrations are plain SQL" >&2\nexit 1\n',
    {
      mode: 0o755,
    },
  );
  env.PRISMA_SCHEMA_ENGINE_BINARY = placeholder;
}

const require = createRequire(import.meta.url);
const prismaCli = join(dirname(require.resolve('prisma/package.json')), 'build/index.js');
for (const schemaPath of [source, sqlitePath]) {
  execFileSync(process.execPath, [prismaCli, 'generate', '--schema', schemaPath], { stdio: 'inherit', env });
}
