import { z } from 'zod';
import { listMembers, removeMember, setMemberRole } from '../../services/teams';
import { plain, protectedProcedure, router, teamInput } from '../trpc';

const member = teamInput.extend({ userId: z.string().min(1) });

export const membersRouter = router({
  list: protectedProcedure
    .input(teamInput)
    .query(async ({ ctx, input }) => plain(await listMembers(ctx.deps.db, ctx.principal, input.teamId))),
  setRole: protectedProcedure
    .input(member.extend({ role: z.enum(['OWNER', 'ADMIN', 'EDITOR', 'VIEWER']) }))
    .mutation(async ({ ctx, input }) =>
      plain(await setMemberRole(ctx.deps.db, ctx.principal, input.teamId, input.userId, input.role)),
    ),
  remove: protectedProcedure
    .input(member)
    .mutation(async ({ ctx, input }) =>
      plain(await removeMember(ctx.deps.db, ctx.principal, input.teamId, input.userId)),
    ),
});
