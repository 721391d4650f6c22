import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * `configured` when set, else a random secret kept in `DATA_DIR/<fileName>` (created once, mode 0600), so
 * every process on the same data folder agrees and restarts keep it. Processes on different machines must
 * be configured with one shared value.
 */
export function loadSecretFile(dataDir: string, fileName: string, configured?: string | null): string {
  if (configured) return configured;
  const path = join(dataDir, fileName);
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

/** The JWT signing secret: JWT_SECRET when set, else DATA_DIR/jwt-secret (see loadSecretFile). */
export function loadJwtSecret(dataDir: string, configured?: string | null): string {
  return loadSecretFile(dataDir, 'jwt-secret', configured);
}
