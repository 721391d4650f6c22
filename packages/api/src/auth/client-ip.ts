import { isIP } from 'node:net';

// The client's IP address, for the sign-in limits. `X-Forwarded-For` is read only when the operator says
// how many proxies stand in front (TRUST_PROXY); otherwise anyone could send a new address with every guess.

/**
 * The header the production server (apps/web/server.ts) sets on each request it hands to Next: the client
 * address it worked out (any value the client sent is replaced). Read only in processes where that server
 * said so (trustClientIpHeader), never under `next start`, where a client could set it.
 */
export const CLIENT_IP_HEADER = 'x-trainhub-client-ip';

const holder = globalThis as typeof globalThis & { trainhubClientIpHeaderTrusted?: boolean };

/** Called by the production server: CLIENT_IP_HEADER on requests reaching Next was set by it. */
export function trustClientIpHeader(): void {
  holder.trainhubClientIpHeaderTrusted = true;
}

/**
 * `TRUST_PROXY` as a number of trusted proxy hops: unset, empty, `false` or `0` -> 0 (X-Forwarded-For
 * ignored); `true` -> 1 (one reverse proxy or load balancer); an integer N -> N proxies in a row.
 * @throws Error for any other value.
 */
export function parseTrustProxy(value: string | undefined): number {
  const v = (value ?? '').trim().toLowerCase();
  if (v === '' || v === 'false' || v === 'no' || v === '0') return 0;
  if (v === 'true' || v === 'yes') return 1;
  if (/^\d{1,2}$/.test(v)) return Number(v);
  throw new Error('TRUST_PROXY must be true, false or a number of proxy hops');
}

function normalize(address: string | undefined | null): string | null {
  let a = (address ?? '').trim();
  if (a.startsWith('[') && a.includes(']')) a = a.slice(1, a.indexOf(']'));
  if (a.startsWith('::ffff:') && isIP(a.slice(7)) === 4) a = a.slice(7);
  return isIP(a) ? a : null;
}

/**
 * The client address of a request: the socket's peer address, or, with `trustProxyHops` N > 0, the entry of
 * `X-Forwarded-For` that the outermost trusted proxy appended (the N-th from the right; the leftmost when the
 * list is shorter). `'unknown'` when nothing usable is known (login-limit.ts then counts per account only).
 */
export function clientIpOf(
  forwardedFor: string | null | undefined,
  socketAddress: string | null | undefined,
  trustProxyHops: number,
): string {
  if (trustProxyHops > 0 && forwardedFor) {
    const list = forwardedFor
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const entry = list[Math.max(0, list.length - trustProxyHops)];
    const address = normalize(entry);
    if (address) return address;
  }
  return normalize(socketAddress) ?? 'unknown';
}

/**
 * The client address of a request reaching a Next route handler (no socket here): CLIENT_IP_HEADER where the
 * production server set it, else X-Forwarded-For per `trustProxyHops`, else `'unknown'`.
 */
export function clientIpFromHeaders(
  get: (name: string) => string | null | undefined,
  trustProxyHops: number,
): string {
  if (holder.trainhubClientIpHeaderTrusted) {
    const set = normalize(get(CLIENT_IP_HEADER));
    if (set) return set;
  }
  return clientIpOf(get('x-forwarded-for'), null, trustProxyHops);
}
