import { cronError, nextCronRuns } from '@trainhub/db';
import { withPrincipal } from '@/server/route-util';

export const dynamic = 'force-dynamic';

/** The next five runs of a cron expression (the train form's preview), or the reason it is invalid. */
export async function GET(request: Request) {
  return withPrincipal(async () => {
    const url = new URL(request.url);
    const expression = (url.searchParams.get('expression') ?? '').slice(0, 200);
    const timezone = (url.searchParams.get('timezone') || 'UTC').slice(0, 100);
    const error = expression.trim() ? cronError(expression, timezone) : 'write a cron expression';
    if (error) return Response.json({ error });
    let runs: Date[];
    try {
      runs = nextCronRuns(expression, timezone, new Date(), 5);
    } catch (e) {
      return Response.json({ error: e instanceof Error ? e.message : 'invalid cron expression' });
    }
    if (runs.length === 0) return Response.json({ error: 'this expression never runs' });
    return Response.json({ runs: runs.map((d) => d.toISOString()) });
  });
}
