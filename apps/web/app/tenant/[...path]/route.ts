import { createRestHandler, cumulocityStyle } from '@trainhub/api/rest';
import { restDeps } from '@/server/deps';

export const dynamic = 'force-dynamic';

// Cumulocity's login calls (GET /tenant/currentTenant, GET /user/currentUser) for Cumulocity clients of the
// MLW style; the routes live in @trainhub/api (rest/cumulocity). apps/web/server.ts answers them first.
const handle = createRestHandler(cumulocityStyle, restDeps);

export { handle as GET, handle as POST, handle as PUT, handle as DELETE, handle as HEAD };
