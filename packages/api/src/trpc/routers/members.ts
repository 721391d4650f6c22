import { z } from 'zod';
import { listMembers, removeMember, setMemberRole } from '../../services/teams';
import { protectedProcedure, router } from '../trpc';
import { setMemberRoleInput, teamInput } from './inputs';

const member = teamInput.extend({ userId: z.string().min(1) });

export const membersRouter = router({
  list: protectedProcedure
    .input(teamInput)
    .query(({ ctx, input }) => listMembers(ctx.deps.db, ctx.principal, input.teamId)),
  setRole: protectedProcedure
    .input(setMemberRoleInput)
    .mutation(({ ctx, input }) =>
      setMemberRole(ctx.deps.db, ctx.principal, input.teamId, input.userId, input.role),
    ),
  remove: protectedProcedure
    .input(member)
    .mutation(({ ctx, input }) => removeMember(ctx.deps.db, ctx.principal, input.teamId, input.userId)),
});
