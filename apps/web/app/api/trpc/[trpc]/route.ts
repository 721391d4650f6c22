import { handleTrpc } from '@trainhub/api/trpc';
import { restDeps } from '@/server/rest';

export const dynamic = 'force-dynamic';

const handle = (request: Request) => handleTrpc(request, restDeps());

export { handle as GET, handle as POST };
