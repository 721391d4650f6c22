import { getHealth } from '@trainhub/api';
import { getDb } from '@/server/deps';

export const dynamic = 'force-dynamic';

/** Liveness and readiness: 200 while the database answers, 503 when it does not. */
export async function GET() {
  const health = await getHealth(getDb());
  return Response.json(health, { status: health.database.ok ? 200 : 503 });
}
