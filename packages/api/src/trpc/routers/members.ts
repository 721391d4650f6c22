import { z } from 'zod';
import { listMembers, removeMember, setMemberRole } from '../../services/teams';
import { protectedProcedure, router, teamInput } from '../trpc';

const member = teamInput.extend({ userId: z.string().min(1) });

export const membersRouter = router({
  list: protectedProcedure
    .input(teamInput)
    .query(({ ctx, input }) => listMembers(ctx.deps.db, ctx.principal, input.teamId)),
  setRole: protectedProcedure
    .input(member.extend({ role: z.enum(['OWNER', 'ADMIN', 'EDITOR', 'VIEWER']) }))
    .mutation(({ ctx, input }) =>
      setMemberRole(ctx.deps.db, ctx.principal, input.teamId, input.userId, input.role),
    ),
  remove: protectedProcedure
    .input(member)
    .mutation(({ ctx, input }) => removeMember(ctx.deps.db, ctx.principal, input.teamId, input.userId)),
});
