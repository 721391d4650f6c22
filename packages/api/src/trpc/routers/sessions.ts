import { activeSession } from '../../services/sessions';
import { protectedProcedure, router } from '../trpc';

export const sessionsRouter = router({
  /** The caller's team's active training-module session (the key itself is never shown again). */
  active: protectedProcedure.query(async ({ ctx }) => {
    const { keyHash: _hidden, ...session } = await activeSession(ctx.deps.db, ctx.principal);
    // The nonce the key is derived from stays server-side too.
    const { keyNonce: _nonce, ...status } = (session.status ?? {}) as Record<string, unknown>;
    return { ...session, status };
  }),
});
