import { services } from '@trainhub/api';
import { getDb } from '@/server/db';
import { executionProgress } from '@/server/execution-progress';
import { idParam, withPrincipal } from '@/server/route-util';

export const dynamic = 'force-dynamic';

/**
 * The execution page's poll: status, timings, stage log, metrics, the full epoch history and the stdout
 * lines after `?after=` (an event sequence number).
 */
export async function GET(request: Request, context: { params: Promise<{ id: string }> }) {
  return withPrincipal(async (principal) => {
    const db = getDb();
    const id = idParam((await context.params).id);
    const execution = await services.getExecution(db, principal, id);
    const afterRaw = new URL(request.url).searchParams.get('after');
    const after = afterRaw && /^\d{1,12}$/.test(afterRaw) ? Number(afterRaw) : 0;
    return Response.json(await executionProgress(execution, after), {
      headers: { 'cache-control': 'no-store' },
    });
  });
}
