import { z } from 'zod';
import { createInvite, listInvites, revokeInvite } from '../../services/invites';
import { protectedProcedure, router } from '../trpc';
import { createInviteInput, teamInput } from './inputs';

// Invite links (admins); accepting one is part of signing up or in, in the web UI.
export const invitesRouter = router({
  list: protectedProcedure
    .input(teamInput)
    .query(({ ctx, input }) => listInvites(ctx.deps.db, ctx.principal, input.teamId)),
  /** The link's token is shown once: only its hash is stored. */
  create: protectedProcedure
    .input(createInviteInput)
    .mutation(({ ctx, input }) => createInvite(ctx.deps.db, ctx.principal, input.teamId, input.role)),
  revoke: protectedProcedure
    .input(teamInput.extend({ inviteId: z.number().int().positive() }))
    .mutation(async ({ ctx, input }) => {
      await revokeInvite(ctx.deps.db, ctx.principal, input.teamId, input.inviteId);
      return { revoked: true };
    }),
});
