import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, testProviders, type TestDatabase } from '@trainhub/db/testing';
import { signJwt } from '../src/auth/jwt';
import { visibleTeamIds } from '../src/auth/principal';
import { principalFromBasic, principalFromJwt, principalFromUserId } from '../src/auth/resolve';
import { verifyPassword } from '../src/auth/secrets';
import {
  acceptInvite,
  createInvite,
  describeInvite,
  listInvites,
  revokeInvite,
} from '../src/services/invites';
import { changePassword, openSignupAvailable, signUp } from '../src/services/signup';
import { createTeam, renameTeam } from '../src/services/team-settings';
import { leaveTeam, removeMember, setMemberRole } from '../src/services/teams';

describe.each(testProviders)('sign-up, teams and invites on %s', (provider) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase(provider);
  });
  afterAll(async () => {
    await t?.drop();
  });
  const principal = async (id: string) => (await principalFromUserId(t.db, id))!;

  it('lets the first account sign up freely, then asks for an invite', async () => {
    expect(await openSignupAvailable(t.db, false)).toBe(true);
    await expect(
      signUp(t.db, { email: 'bad', password: 'long enough' }, { allowOpenSignup: false }),
    ).rejects.toThrow(/valid email/);
    await expect(
      signUp(t.db, { email: 'a@x.io', password: 'short' }, { allowOpenSignup: false }),
    ).rejects.toThrow(/at least 8/);
    const { user } = await signUp(
      t.db,
      { email: 'Owner@X.io', password: 'owner pass' },
      { allowOpenSignup: false },
    );
    expect(user.email).toBe('owner@x.io');
    const row = await t.db.user.findUniqueOrThrow({ where: { id: user.id } });
    expect(await verifyPassword('owner pass', row.passwordHash!)).toBe(true);
    expect(await openSignupAvailable(t.db, false)).toBe(false);
    await expect(
      signUp(t.db, { email: 'second@x.io', password: 'second pass' }, { allowOpenSignup: false }),
    ).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(
      signUp(t.db, { email: 'owner@x.io', password: 'owner pass' }, { allowOpenSignup: true }),
    ).rejects.toMatchObject({ code: 'CONFLICT' });
  });

  it('changes a password only with the current one; older tokens and the old password stop working', async () => {
    const { user } = await signUp(
      t.db,
      { email: 'changer@x.io', password: 'first pass' },
      { allowOpenSignup: true },
    );
    // Warm the Basic-auth check cache with the old password; an Edge Impulse JWT issued a minute ago.
    expect(await principalFromBasic(t.db, 'changer@x.io', 'first pass')).not.toBeNull();
    const secret = 'test-secret-0123456789abcdef0123';
    const { token } = signJwt({ sub: user.id, typ: 'user' }, secret, 3600, Date.now() - 60_000);
    expect(await principalFromJwt(t.db, token, secret)).not.toBeNull();
    await expect(changePassword(t.db, user.id, 'wrong pass', 'second pass')).rejects.toMatchObject({
      code: 'FORBIDDEN',
    });
    await expect(changePassword(t.db, user.id, 'first pass', 'short')).rejects.toMatchObject({
      code: 'INVALID',
    });
    await changePassword(t.db, user.id, 'first pass', 'second pass');
    expect(await principalFromBasic(t.db, 'changer@x.io', 'first pass')).toBeNull();
    expect(await principalFromJwt(t.db, token, secret)).toBeNull();
    const fresh = signJwt({ sub: user.id, typ: 'user' }, secret, 3600).token;
    expect(await principalFromJwt(t.db, fresh, secret)).not.toBeNull();
    expect(await principalFromBasic(t.db, 'changer@x.io', 'second pass')).not.toBeNull();
    const row = await t.db.user.findUniqueOrThrow({ where: { id: user.id } });
    expect(await verifyPassword('second pass', row.passwordHash!)).toBe(true);
  });

  it('creates and renames teams; invites work once and within the inviter rights', async () => {
    const owner = await t.db.user.findUniqueOrThrow({ where: { email: 'owner@x.io' } });
    const team = await createTeam(t.db, await principal(owner.id), 'Lab');
    const again = await createTeam(t.db, await principal(owner.id), 'Lab');
    expect(again.slug).toBe(`${team.slug}-2`);
    const p = await principal(owner.id);
    await renameTeam(t.db, p, team.id, 'Vision lab');
    expect((await t.db.team.findUniqueOrThrow({ where: { id: team.id } })).name).toBe('Vision lab');
    await expect(renameTeam(t.db, p, team.id, '  ')).rejects.toMatchObject({ code: 'INVALID' });

    const { token } = await createInvite(t.db, p, team.id, 'VIEWER');
    expect(await describeInvite(t.db, token)).toMatchObject({ teamName: 'Vision lab', role: 'VIEWER' });
    expect(await listInvites(t.db, p, team.id)).toHaveLength(1);
    const { user: viewer } = await signUp(
      t.db,
      { email: 'viewer@x.io', password: 'viewer pass', inviteToken: token },
      { allowOpenSignup: false },
    );
    const vp = await principal(viewer.id);
    expect(vp.kind === 'user' && vp.memberships).toEqual([{ teamId: team.id, role: 'VIEWER' }]);
    await expect(acceptInvite(t.db, viewer.id, token)).rejects.toMatchObject({ code: 'INVALID' });
    expect(await listInvites(t.db, p, team.id)).toHaveLength(0);

    // A viewer can neither rename nor invite; an admin cannot invite an owner.
    await expect(renameTeam(t.db, vp, team.id, 'Mine')).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(createInvite(t.db, vp, team.id, 'VIEWER')).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await t.db.membership.updateMany({ where: { userId: viewer.id }, data: { role: 'ADMIN' } });
    const ap = await principal(viewer.id);
    await expect(createInvite(t.db, ap, team.id, 'OWNER')).rejects.toMatchObject({ code: 'FORBIDDEN' });
    const second = await createInvite(t.db, ap, team.id, 'EDITOR');
    await revokeInvite(t.db, ap, team.id, second.invite.id);
    expect(await describeInvite(t.db, second.token)).toBeNull();

    // Another team's member sees none of it.
    const { user: stranger } = await signUp(
      t.db,
      { email: 'stranger@x.io', password: 'stranger pass' },
      { allowOpenSignup: true },
    );
    const sp = await principal(stranger.id);
    await expect(listInvites(t.db, sp, team.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(renameTeam(t.db, sp, team.id, 'x')).rejects.toMatchObject({ code: 'NOT_FOUND' });

    // Expired invites are refused.
    const old = await createInvite(t.db, p, team.id, 'EDITOR', new Date(Date.now() - 8 * 24 * 3600 * 1000));
    expect(await describeInvite(t.db, old.token)).toBeNull();
  });

  it('lets a member leave a team, but never leaves a team without an owner', async () => {
    const { user: founder } = await signUp(
      t.db,
      { email: 'founder@x.io', password: 'founder pass' },
      { allowOpenSignup: true },
    );
    const team = await createTeam(t.db, await principal(founder.id), 'Leavers');
    const { token } = await createInvite(t.db, await principal(founder.id), team.id, 'EDITOR');
    const { user: member } = await signUp(
      t.db,
      { email: 'member@x.io', password: 'member pass', inviteToken: token },
      { allowOpenSignup: false },
    );
    const { user: outsider } = await signUp(
      t.db,
      { email: 'outsider@x.io', password: 'outsider pass' },
      { allowOpenSignup: true },
    );

    // The only owner can neither leave nor be demoted or removed; an outsider has nothing to leave.
    await expect(leaveTeam(t.db, await principal(founder.id), team.id)).rejects.toMatchObject({
      code: 'CONFLICT',
    });
    await expect(
      setMemberRole(t.db, await principal(founder.id), team.id, founder.id, 'ADMIN'),
    ).rejects.toMatchObject({ code: 'CONFLICT' });
    await expect(removeMember(t.db, await principal(founder.id), team.id, founder.id)).rejects.toMatchObject({
      code: 'CONFLICT',
    });
    await expect(leaveTeam(t.db, await principal(outsider.id), team.id)).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });

    // A member leaves; once someone else owns the team, the founder may leave too.
    await leaveTeam(t.db, await principal(member.id), team.id);
    expect(visibleTeamIds(await principal(member.id))).toEqual([]);
    const { token: again } = await createInvite(t.db, await principal(founder.id), team.id, 'OWNER');
    await acceptInvite(t.db, outsider.id, again);
    await leaveTeam(t.db, await principal(founder.id), team.id);
    const owners = await t.db.membership.findMany({ where: { teamId: team.id } });
    expect(owners.map((m) => [m.userId, m.role])).toEqual([[outsider.id, 'OWNER']]);
  });
});
