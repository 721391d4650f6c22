/**
 * The cookies of a `Cookie` header. A value that is not valid percent-encoding is kept as sent (a client's
 * malformed cookie must answer 401, never 500).
 */
export function parseCookies(header: string | null): Record<string, string> {
  const cookies: Record<string, string> = {};
  if (!header) return cookies;
  for (const raw of header.split(';')) {
    const part = raw.trim();
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim();
    const sent = part.slice(eq + 1).trim();
    let value = sent;
    try {
      value = decodeURIComponent(sent);
    } catch {
      // keep the raw value: it matches no session and no token
    }
    if (!(name in cookies)) cookies[name] = value;
  }
  return cookies;
}
