import { createRestHandler, trainingModuleStyle } from '@trainhub/api/rest';
import { restDeps } from '@/server/deps';

export const dynamic = 'force-dynamic';

// The session style (Numenta training module) under /training-module: route table, contracts and error
// mapping live in @trainhub/api.
const handle = createRestHandler(trainingModuleStyle, restDeps);

export { handle as GET, handle as POST, handle as PUT, handle as DELETE, handle as HEAD };
