import { handleTrpc } from '@trainhub/api/trpc';
import { authOptions } from '@/server/auth';
import { restDeps } from '@/server/deps';
import { sessionUserFromRequest } from '@/server/session-cookie';

export const dynamic = 'force-dynamic';

// The UI's signed-in users reach tRPC with their session cookie; scripts use an API key.
const handle = (request: Request) =>
  handleTrpc(request, restDeps(), '/api/trpc', {
    sessionUser: (r) => sessionUserFromRequest(r, authOptions().secret!),
  });

export { handle as GET, handle as POST };
