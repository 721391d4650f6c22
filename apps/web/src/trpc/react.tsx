'use client';
import { QueryClientProvider, type QueryClient } from '@tanstack/react-query';
import { createTRPCClient, httpBatchLink } from '@trpc/client';
import { createTRPCContext } from '@trpc/tanstack-react-query';
import { useState, type ReactNode } from 'react';
import SuperJSON from 'superjson';
import type { AppRouter } from '@trainhub/api/trpc';
import { createQueryClient } from './query-client';

/** `useTRPC()` gives client components the procedures as React Query options (`trpc.x.mutationOptions()`). */
export const { TRPCProvider, useTRPC } = createTRPCContext<AppRouter>();

let browserQueryClient: QueryClient | undefined;
/** A new cache per server render (never shared between users), one for the life of a browser tab. */
function getQueryClient() {
  if (typeof window === 'undefined') return createQueryClient();
  return (browserQueryClient ??= createQueryClient());
}

/**
 * The tRPC client of the UI's client components: same-origin `/api/trpc`, where the session cookie names the
 * signed-in user (the route builds the same context as API-key callers get).
 */
export function TRPCReactProvider({ children }: { children: ReactNode }) {
  const queryClient = getQueryClient();
  const [trpcClient] = useState(() =>
    createTRPCClient<AppRouter>({
      links: [httpBatchLink({ url: '/api/trpc', transformer: SuperJSON })],
    }),
  );
  return (
    <QueryClientProvider client={queryClient}>
      <TRPCProvider trpcClient={trpcClient} queryClient={queryClient}>
        {children}
      </TRPCProvider>
    </QueryClientProvider>
  );
}
