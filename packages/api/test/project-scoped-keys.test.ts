// Issue 13's escalation, reproduced on every surface: a key scoped to one project (even with the admin role)
// acts inside that project and nowhere else. Each team-level operation refuses it with the surface's own
// denial, and nothing is written.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testProviders } from '@trainhub/db/testing';
import type { TeamRole } from '@trainhub/db';
import { generateToken } from '../src/auth/secrets';
import { createClient } from '../src/client';
import { API_KEY_PREFIX } from '../src/services/accounts';
import { inProcessFetch, makeWorld, type World } from './helpers';

describe.each(testProviders)('project-scoped API keys on %s', (provider) => {
  let w: World;
  let fetcher: typeof fetch;
  /** Team A's project-scoped keys by role (the admin one is the reproduction). */
  const scoped = {} as Record<TeamRole, string>;

  beforeAll(async () => {
    w = await makeWorld(provider);
    fetcher = inProcessFetch(w.deps);
    for (const role of ['OWNER', 'ADMIN', 'EDITOR', 'VIEWER'] as const) {
      const made = generateToken(API_KEY_PREFIX);
      await w.t.db.apiKey.create({
        data: {
          teamId: w.a.id,
          projectId: w.a.projectId,
          name: `scoped ${role}`,
          prefix: made.displayPrefix,
          keyHash: made.hash,
          role,
        },
      });
      scoped[role] = made.token;
    }
  });
  afterAll(() => w.drop());

  const trpcCode = async (call: Promise<unknown>) => {
    try {
      await call;
      return 'OK';
    } catch (error) {
      return (error as { data?: { code?: string } }).data?.code ?? String(error);
    }
  };
  const counts = async () => ({
    keys: await w.t.db.apiKey.count(),
    invites: await w.t.db.teamInvite.count(),
    projects: await w.t.db.project.count(),
    members: await w.t.db.membership.count(),
    team: (await w.t.db.team.findUniqueOrThrow({ where: { id: w.a.id } })).name,
  });

  it('tRPC: no team-level procedure answers a project-scoped key, whatever its role', async () => {
    const before = await counts();
    const teamId = w.a.id;
    for (const role of ['OWNER', 'ADMIN'] as const) {
      const client = createClient({ url: 'http://localhost', apiKey: scoped[role], fetch: fetcher }).trpc;
      // The reported escalation: a new team-wide ADMIN key from a project key.
      expect(await trpcCode(client.apiKeys.create.mutate({ teamId, name: 'x', role: 'ADMIN' }))).toBe(
        'FORBIDDEN',
      );
      expect(await trpcCode(client.apiKeys.list.query({ teamId }))).toBe('FORBIDDEN');
      expect(await trpcCode(client.members.list.query({ teamId }))).toBe('FORBIDDEN');
      expect(await trpcCode(client.invites.list.query({ teamId }))).toBe('FORBIDDEN');
      expect(await trpcCode(client.invites.create.mutate({ teamId, role: 'VIEWER' }))).toBe('FORBIDDEN');
      expect(await trpcCode(client.teams.rename.mutate({ teamId, name: 'taken over' }))).toBe('FORBIDDEN');
      expect(await trpcCode(client.projects.create.mutate({ name: 'escape' }))).toBe('FORBIDDEN');
      // Inside its project it still acts with its role.
      expect(await trpcCode(client.projects.get.query({ projectId: w.a.projectId }))).toBe('OK');
    }
    // Another team's id is unknown to it, as to any outsider.
    const client = createClient({ url: 'http://localhost', apiKey: scoped.ADMIN, fetch: fetcher }).trpc;
    expect(await trpcCode(client.members.list.query({ teamId: w.b.id }))).toBe('NOT_FOUND');
    expect(await counts()).toEqual(before);
  });

  it('a team-wide key still manages the team within its own role', async () => {
    const admin = createClient({ url: 'http://localhost', apiKey: w.a.keys.ADMIN, fetch: fetcher }).trpc;
    const made = (await admin.apiKeys.create.mutate({ teamId: w.a.id, name: 'ok', role: 'EDITOR' })) as {
      projectId: number | null;
    };
    expect(made.projectId).toBeNull();
    const editor = createClient({ url: 'http://localhost', apiKey: w.a.keys.EDITOR, fetch: fetcher }).trpc;
    expect(await trpcCode(editor.apiKeys.create.mutate({ teamId: w.a.id, name: 'up', role: 'ADMIN' }))).toBe(
      'FORBIDDEN',
    );
  });

  it('a project admin key makes keys for its own project only, never above its role', async () => {
    const teamId = w.a.id;
    const admin = createClient({ url: 'http://localhost', apiKey: scoped.ADMIN, fetch: fetcher }).trpc;
    const made = (await admin.apiKeys.create.mutate({
      teamId,
      name: 'same scope',
      role: 'VIEWER',
      projectId: w.a.projectId,
    })) as { projectId: number | null; role: string };
    expect(made).toMatchObject({ projectId: w.a.projectId, role: 'VIEWER' });
    const other = await w.t.db.project.create({ data: { teamId, name: 'other of alpha' } });
    expect(
      await trpcCode(admin.apiKeys.create.mutate({ teamId, name: 'x', role: 'VIEWER', projectId: other.id })),
    ).toMatch(/FORBIDDEN|NOT_FOUND/);
    const editor = createClient({ url: 'http://localhost', apiKey: scoped.EDITOR, fetch: fetcher }).trpc;
    expect(
      await trpcCode(
        editor.apiKeys.create.mutate({ teamId, name: 'x', role: 'VIEWER', projectId: w.a.projectId }),
      ),
    ).toBe('FORBIDDEN');
    // Edge Impulse's project key routes: the project's keys only.
    const listed = await fetcher(`http://localhost/v1/api/${w.a.projectId}/apikeys`, {
      headers: { 'x-api-key': scoped.ADMIN },
    });
    expect(listed.status).toBe(200);
    const names = ((await listed.json()) as { apiKeys: { name: string }[] }).apiKeys.map((k) => k.name);
    expect(names).toContain('same scope');
    expect(names).not.toContain('ADMIN'); // team-wide keys are not this project's
    const elsewhere = await fetcher(`http://localhost/v1/api/${other.id}/apikeys`, {
      headers: { 'x-api-key': scoped.ADMIN },
    });
    expect(elsewhere.status).toBe(404);
  });

  it('MLW: creating a project answers 403 in the MLW error shape', async () => {
    const before = await counts();
    const response = await fetcher('http://localhost/service/mlw/projects', {
      method: 'POST',
      headers: { authorization: `Bearer ${scoped.ADMIN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'escape' }),
    });
    expect(response.status).toBe(403);
    const body = (await response.json()) as Record<string, unknown>;
    expect(JSON.stringify(body)).toMatch(/only inside its project/);
    const list = await fetcher('http://localhost/service/mlw/projects', {
      headers: { authorization: `Bearer ${scoped.ADMIN}` },
    });
    expect(await list.text()).not.toContain('beta project');
    expect(await counts()).toEqual(before);
  });

  it('Edge Impulse: creating a project answers the error envelope with 403', async () => {
    const before = await counts();
    const response = await fetcher('http://localhost/v1/api/projects/create', {
      method: 'POST',
      headers: { 'x-api-key': scoped.ADMIN, 'content-type': 'application/json' },
      body: JSON.stringify({ projectName: 'escape' }),
    });
    expect(response.status).toBe(403);
    const body = (await response.json()) as { success: boolean; error: string };
    expect(body.success).toBe(false);
    expect(body.error).toMatch(/only inside its project/);
    expect(await counts()).toEqual(before);
  });

  it('session style: a project key starts its session inside its own project, nowhere else', async () => {
    const before = await counts();
    const response = await fetcher('http://localhost/training-module/start_session?force_restart=1', {
      headers: { 'x-api-key': scoped.EDITOR },
    });
    expect(response.status).toBe(200);
    const session = await w.t.db.trainingSession.findFirstOrThrow({
      where: { active: true, teamId: w.a.id },
      orderBy: { id: 'desc' },
    });
    expect(session.projectId).toBe(w.a.projectId);
    expect(await counts()).toEqual(before);
  });
});
