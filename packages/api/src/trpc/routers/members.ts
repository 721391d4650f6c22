import { z } from 'zod';
import { listMembers, removeMember, setMemberRole } from '../../services/teams';
import { plain, protectedProcedure, router } from '../trpc';

const member = z.object({ teamId: z.number().int().positive(), userId: z.string().min(1) });

export const membersRouter = router({
  list: protectedProcedure
    .input(z.object({ teamId: z.number().int().positive() }))
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
