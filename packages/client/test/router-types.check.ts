// Typechecked by `tsc` (the package's typecheck): the router type the client carries (generated from the
// server's AppRouter by scripts/router-types.ts) has exactly the server's procedures, inputs and outputs.
// A procedure missing, added or typed differently on either side fails the typecheck here.
import type { TRPCClient } from '@trpc/client';
import type { inferRouterInputs, inferRouterOutputs } from '@trpc/server';
import type { AppRouter as ServerRouter } from '../../api/src/trpc/root';
import type { TrainhubApi } from '../src/generated/api';
import type { AppRouter as ClientRouter } from '../src/generated/router';

/** true when each type is assignable to the other. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
/** The procedure paths whose types differ ("router.procedure"), never when all agree. */
type Differing<A, B> = {
  [R in keyof A | keyof B]: R extends keyof A & keyof B
    ? {
        [P in keyof A[R] | keyof B[R]]: P extends keyof A[R] & keyof B[R]
          ? Same<A[R][P], B[R][P]> extends true
            ? never
            : `${R & string}.${P & string}`
          : `${R & string}.${P & string}`;
      }[keyof A[R] | keyof B[R]]
    : `${R & string}`;
}[keyof A | keyof B];

export const inputsAgree: [Differing<inferRouterInputs<ServerRouter>, inferRouterInputs<ClientRouter>>] = [
  undefined as never,
];
export const outputsAgree: [Differing<inferRouterOutputs<ServerRouter>, inferRouterOutputs<ClientRouter>>] = [
  undefined as never,
];
// The check can fail: a router with one procedure typed differently is reported by name.
type Changed = Omit<inferRouterOutputs<ClientRouter>, 'projects'> & { projects: { list: { id: string }[] } };
export const detects: Differing<inferRouterOutputs<ServerRouter>, Changed> = 'projects.list';

// The published call signatures (src/generated/api.ts) are what tRPC's own client offers for the server's
// router: tRPC's client for the real AppRouter is a TrainhubApi.
export const callsAgree = (client: TRPCClient<ServerRouter>): TrainhubApi => client;
