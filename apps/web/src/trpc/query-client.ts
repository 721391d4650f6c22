import { defaultShouldDehydrateQuery, QueryClient } from '@tanstack/react-query';
import SuperJSON from 'superjson';

/**
 * One React Query cache (per browser tab, or per server request). Queries stay fresh for 30 s so a page's
 * server-rendered data is not fetched again at once; dehydration carries pending queries too, serialized
 * with the transformer the tRPC endpoint speaks (superjson: dates stay dates).
 */
export function createQueryClient() {
  return new QueryClient({
    defaultOptions: {
      queries: { staleTime: 30_000 },
      dehydrate: {
        serializeData: SuperJSON.serialize,
        shouldDehydrateQuery: (query) =>
          defaultShouldDehydrateQuery(query) || query.state.status === 'pending',
      },
      hydrate: { deserializeData: SuperJSON.deserialize },
    },
  });
}
