import { createHash, randomBytes } from 'node:crypto';
import bcrypt from 'bcryptjs';

// Passwords: bcrypt (slow on purpose). API keys, session keys and invite tokens are 256-bit random
// strings, so a fast SHA-256 is enough to keep them unusable at rest while letting us look them up by hash.

const BCRYPT_ROUNDS = 11;

export function hashPassword(password: string): Promise<string> {
  return bcrypt.hash(password, BCRYPT_ROUNDS);
}

export function verifyPassword(password: string, hash: string): Promise<boolean> {
  return bcrypt.compare(password, hash);
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** A new random token `${prefix}_${43 url-safe chars}` and the hash to store. */
export function generateToken(prefix: string): { token: string; hash: string; displayPrefix: string } {
  const token = `${prefix}_${randomBytes(32).toString('base64url')}`;
  return { token, hash: hashToken(token), displayPrefix: token.slice(0, prefix.length + 7) };
}
