import { z } from 'zod';
import { createTeamApiKey, listApiKeys, revokeApiKey } from '../../services/teams';
import { protectedProcedure, router, teamInput } from '../trpc';

export const apiKeysRouter = router({
  list: protectedProcedure
    .input(teamInput)
    .query(({ ctx, input }) => listApiKeys(ctx.deps.db, ctx.principal, input.teamId)),
  create: protectedProcedure
    .input(
      teamInput.extend({
        name: z.string().trim().min(1).max(100),
        role: z.enum(['ADMIN', 'EDITOR', 'VIEWER']),
        projectId: z.number().int().positive().nullish(),
      }),
    )
    .mutation(async ({ ctx, input }) => createTeamApiKey(ctx.deps.db, ctx.principal, input)),
  revoke: protectedProcedure
    .input(teamInput.extend({ keyId: z.number().int().positive() }))
    .mutation(async ({ ctx, input }) => revokeApiKey(ctx.deps.db, ctx.principal, input.teamId, input.keyId)),
});
