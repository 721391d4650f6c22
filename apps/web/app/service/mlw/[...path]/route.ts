import { createRestHandler, mlwStyle } from '@trainhub/api/rest';
import { restDeps } from '@/server/deps';

export const dynamic = 'force-dynamic';

// The MLW style (Cumulocity Machine Learning Workbench) under /service/mlw: the route table, contracts and
// error mapping live in @trainhub/api; this file only hands requests to it.
const handle = createRestHandler(mlwStyle, restDeps);

export { handle as GET, handle as POST, handle as PUT, handle as DELETE, handle as HEAD };
