import { createRestHandler, edgeImpulseIngestionStyle } from '@trainhub/api/rest';
import { restDeps } from '@/server/deps';

export const dynamic = 'force-dynamic';

// Edge Impulse's ingestion service under /ingestion (/ingestion/api/{category}/files|data): point the Edge
// Impulse CLI / Python SDK's ingestion endpoint here (README, "Edge Impulse data").
const handle = createRestHandler(edgeImpulseIngestionStyle, restDeps);

export { handle as POST };
