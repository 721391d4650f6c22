import { z } from 'zod';
import { createTeamApiKey, listApiKeys, revokeApiKey } from '../../services/teams';
import { protectedProcedure, router } from '../trpc';
import { createApiKeyInput, teamInput } from './inputs';

export const apiKeysRouter = router({
  list: protectedProcedure
    .input(teamInput)
    .query(({ ctx, input }) => listApiKeys(ctx.deps.db, ctx.principal, input.teamId)),
  create: protectedProcedure
    .input(createApiKeyInput)
    .mutation(async ({ ctx, input }) => createTeamApiKey(ctx.deps.db, ctx.principal, input)),
  revoke: protectedProcedure
    .input(teamInput.extend({ keyId: z.number().int().positive() }))
    .mutation(async ({ ctx, input }) => revokeApiKey(ctx.deps.db, ctx.principal, input.teamId, input.keyId)),
});
