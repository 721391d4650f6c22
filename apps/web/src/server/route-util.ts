import 'server-only';
import { DOMAIN_ERROR_STATUS, DomainError, principalFromUserId } from '@trainhub/api';
import { currentPrincipal } from './request-context';

/** The UI's JSON route handlers: the session's principal, domain errors as `{ error }` with their status. */
export async function withPrincipal(
  fn: (principal: NonNullable<Awaited<ReturnType<typeof principalFromUserId>>>) => Promise<Response>,
): Promise<Response> {
  try {
    const principal = await currentPrincipal();
    if (!principal) return Response.json({ error: 'sign in first' }, { status: 401 });
    return await fn(principal);
  } catch (error) {
    if (error instanceof DomainError)
      return Response.json({ error: error.message }, { status: DOMAIN_ERROR_STATUS[error.code] });
    console.error('web ui route failed:', error instanceof Error ? error.message : error);
    return Response.json({ error: 'internal error' }, { status: 500 });
  }
}

export function idParam(raw: string): number {
  if (!/^\d{1,12}$/.test(raw)) throw new DomainError('NOT_FOUND', 'not found');
  return Number(raw);
}
