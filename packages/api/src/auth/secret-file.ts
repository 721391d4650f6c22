import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The JWT signing secret: JWT_SECRET when set, else a random secret kept in DATA_DIR/jwt-secret (created
 * once, mode 0600), so every web process on the same data folder signs and verifies alike and tokens
 * survive restarts. Several processes on different machines must share JWT_SECRET.
 */
export function loadJwtSecret(dataDir: string, configured?: string | null): string {
  if (configured) return configured;
  const path = join(dataDir, 'jwt-secret');
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    mkdirSync(dataDir, { recursive: true });
    try {
      writeFileSync(path, randomBytes(48).toString('base64url'), { flag: 'wx', mode: 0o600 });
    } catch {
      // Another process created it first: use theirs.
    }
    return readFileSync(path, 'utf8').trim();
  }
}
