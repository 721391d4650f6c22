import { listTeams } from '../../services/teams';
import { plain, protectedProcedure, router } from '../trpc';

export const teamsRouter = router({
  list: protectedProcedure.query(async ({ ctx }) => plain(await listTeams(ctx.deps.db, ctx.principal))),
  me: protectedProcedure.query(({ ctx }) => ({
    principal: ctx.principal.kind,
    userId: ctx.principal.userId,
  })),
});
