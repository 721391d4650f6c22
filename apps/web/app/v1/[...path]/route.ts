import { createRestHandler, edgeImpulseStyle } from '@trainhub/api/rest';
import { restDeps } from '@/server/deps';

export const dynamic = 'force-dynamic';

// The Edge Impulse style under /v1 (/v1/api-login, /v1/api/...): route table, contracts and error mapping
// live in @trainhub/api. Live job updates are served over socket.io by server.ts.
const handle = createRestHandler(edgeImpulseStyle, restDeps);

export { handle as GET, handle as POST, handle as PUT, handle as DELETE, handle as HEAD };
