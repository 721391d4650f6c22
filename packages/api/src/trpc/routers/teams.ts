import { createTeam, deleteTeam, renameTeam } from '../../services/team-settings';
import { leaveTeam, listTeams } from '../../services/teams';
import { protectedProcedure, router } from '../trpc';
import { createTeamInput, deleteTeamInput, renameTeamInput, teamInput } from './inputs';

export const teamsRouter = router({
  list: protectedProcedure.query(({ ctx }) => listTeams(ctx.deps.db, ctx.principal)),
  me: protectedProcedure.query(({ ctx }) => ({
    principal: ctx.principal.kind,
    userId: ctx.principal.userId,
  })),
  /** A new team with the signed-in user as its owner (people only). */
  create: protectedProcedure
    .input(createTeamInput)
    .mutation(({ ctx, input }) => createTeam(ctx.deps.db, ctx.principal, input.name)),
  rename: protectedProcedure
    .input(renameTeamInput)
    .mutation(({ ctx, input }) => renameTeam(ctx.deps.db, ctx.principal, input.teamId, input.name)),
  /** The signed-in user leaves the team (its last owner first makes someone else owner). */
  leave: protectedProcedure.input(teamInput).mutation(async ({ ctx, input }) => {
    await leaveTeam(ctx.deps.db, ctx.principal, input.teamId);
    return { left: true };
  }),
  /** Deletes the team with everything in it (owners only, naming it to confirm). */
  delete: protectedProcedure
    .input(deleteTeamInput)
    .mutation(({ ctx, input }) => deleteTeam(ctx.deps, ctx.principal, input.teamId, input.confirmName)),
});
