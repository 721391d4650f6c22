import { getDb } from '@/server/deps';
import { getExecution } from '@trainhub/api/services/executions';
import { executionProgress } from '@/server/execution-progress';
import { idParam, withPrincipal } from '@/server/route-util';

export const dynamic = 'force-dynamic';

/**
 * The execution page's poll: status, timings, stage log, metrics, the epochs after `?epochsAfter=` and the
 * stdout lines after `?after=` (an event sequence number).
 */
export async function GET(request: Request, context: { params: Promise<{ id: string }> }) {
  return withPrincipal(async (principal) => {
    const db = getDb();
    const id = idParam((await context.params).id);
    const execution = await getExecution(db, principal, id);
    const query = new URL(request.url).searchParams;
    const count = (name: string) => {
      const raw = query.get(name);
      return raw && /^\d{1,12}$/.test(raw) ? Number(raw) : 0;
    };
    return Response.json(
      await executionProgress(execution, { seq: count('after'), epoch: count('epochsAfter') }),
      {
        headers: { 'cache-control': 'no-store' },
      },
    );
  });
}
