import { z } from 'zod';
import { createTeam, deleteTeam, renameTeam } from '../../services/team-settings';
import { leaveTeam, listTeams } from '../../services/teams';
import { protectedProcedure, router, teamInput } from '../trpc';

const name = z.string().max(200);

export const teamsRouter = router({
  list: protectedProcedure.query(({ ctx }) => listTeams(ctx.deps.db, ctx.principal)),
  me: protectedProcedure.query(({ ctx }) => ({
    principal: ctx.principal.kind,
    userId: ctx.principal.userId,
  })),
  /** A new team with the signed-in user as its owner (people only). */
  create: protectedProcedure
    .input(z.object({ name }))
    .mutation(({ ctx, input }) => createTeam(ctx.deps.db, ctx.principal, input.name)),
  rename: protectedProcedure
    .input(teamInput.extend({ name }))
    .mutation(({ ctx, input }) => renameTeam(ctx.deps.db, ctx.principal, input.teamId, input.name)),
  /** The signed-in user leaves the team (its last owner first makes someone else owner). */
  leave: protectedProcedure.input(teamInput).mutation(async ({ ctx, input }) => {
    await leaveTeam(ctx.deps.db, ctx.principal, input.teamId);
    return { left: true };
  }),
  /** Deletes the team with everything in it (owners only, naming it to confirm). */
  delete: protectedProcedure
    .input(teamInput.extend({ confirmName: name }))
    .mutation(({ ctx, input }) => deleteTeam(ctx.deps, ctx.principal, input.teamId, input.confirmName)),
});
