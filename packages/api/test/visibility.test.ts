import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testProviders } from '@trainhub/db/testing';
import { canSeeProject, projectScope, type Principal } from '../src/auth/principal';
import { principalFromApiKey, principalFromUserId } from '../src/auth/resolve';
import { createRestHandler } from '../src/rest/http';
import { edgeImpulseStyle } from '../src/rest/edge-impulse/routes';
import { mlwStyle } from '../src/rest/mlw/routes';
import { makeRun, makeWorld, ROLES, type World } from './helpers';

// Status reads fetch executions by primary key and check the caller's scope on the row (canSeeProject)
// instead of filtering in the query (projectScope). The two forms of the rule must agree.

describe.each(testProviders)('visibility of projects and executions on %s', (provider) => {
  let w: World;
  let projects: { name: string; id: number }[];
  let principals: { name: string; principal: Principal }[];
  beforeAll(async () => {
    w = await makeWorld(provider);
    const db = w.t.db;
    const other = await db.project.create({ data: { teamId: w.a.id, name: 'alpha other' } });
    const deleted = await db.project.create({
      data: { teamId: w.a.id, name: 'alpha deleted', deletedAt: new Date() },
    });
    projects = [
      { name: 'alpha project', id: w.a.projectId },
      { name: 'alpha other', id: other.id },
      { name: 'alpha deleted', id: deleted.id },
      { name: 'beta project', id: w.b.projectId },
    ];
    const key = async (token: string) => (await principalFromApiKey(db, token))!;
    const user = async (id: string) => (await principalFromUserId(db, id))!;
    principals = [
      ...(await Promise.all(
        ROLES.map(async (role) => ({ name: `alpha ${role} key`, principal: await key(w.a.keys[role]) })),
      )),
      { name: 'alpha project key', principal: await key(w.a.projectKey) },
      { name: 'beta project key', principal: await key(w.b.projectKey) },
      { name: 'alpha viewer user', principal: await user(w.a.users.VIEWER.id) },
      { name: 'beta owner user', principal: await user(w.b.users.OWNER.id) },
    ];
  });
  afterAll(async () => {
    await w?.drop();
  });

  it('canSeeProject agrees with the projectScope query for every caller and project', async () => {
    const seen: string[] = [];
    for (const { name, principal } of principals) {
      for (const project of projects) {
        const row = await w.t.db.project.findUniqueOrThrow({ where: { id: project.id } });
        const byQuery = await w.t.db.project.findFirst({
          where: { AND: [{ id: project.id }, projectScope(principal)] },
        });
        expect(canSeeProject(principal, row), `${name} / ${project.name}`).toBe(byQuery !== null);
        if (byQuery) seen.push(`${name} / ${project.name}`);
      }
    }
    // Both forms are exercised: some pairs visible, most not.
    expect(seen).toContain('alpha project key / alpha project');
    expect(seen).not.toContain('alpha project key / alpha other');
    expect(seen).toContain('alpha VIEWER key / alpha other');
    expect(seen).toContain('beta owner user / beta project');
    expect(seen.filter((s) => s.includes('alpha deleted'))).toEqual([]);
  });

  it('status reads answer 404 for a deleted task, another project of a scoped key and another team', async () => {
    const db = w.t.db;
    const other = projects.find((p) => p.name === 'alpha other')!.id;
    const run = async (projectId: number) => {
      const { task, execution } = await makeRun(db, projectId);
      return { projectId, taskId: task.id, executionId: execution.id };
    };
    const mlw = createRestHandler(mlwStyle, () => w.deps);
    const ei = createRestHandler(edgeImpulseStyle, () => w.deps);
    const statuses = async (r: Awaited<ReturnType<typeof run>>, token: string) => [
      (
        await mlw(
          new Request(`http://localhost/service/mlw/tasks/${r.taskId}/task/${r.executionId}`, {
            headers: { authorization: `Bearer ${token}` },
          }),
        )
      ).status,
      (
        await ei(
          new Request(`http://localhost/v1/api/${r.projectId}/jobs/${r.executionId}/status`, {
            headers: { 'x-api-key': token },
          }),
        )
      ).status,
    ];
    const own = await run(w.a.projectId);
    const elsewhere = await run(other);
    expect(await statuses(own, w.a.keys.VIEWER)).toEqual([200, 200]);
    expect(await statuses(own, w.a.projectKey)).toEqual([200, 200]);
    expect(await statuses(elsewhere, w.a.keys.VIEWER)).toEqual([200, 200]);
    expect(await statuses(elsewhere, w.a.projectKey)).toEqual([404, 404]);
    expect(await statuses(own, w.b.keys.OWNER)).toEqual([404, 404]);
    // The wrong task in the path is not found either.
    const wrongTask = await mlw(
      new Request(`http://localhost/service/mlw/tasks/${elsewhere.taskId}/task/${own.executionId}`, {
        headers: { authorization: `Bearer ${w.a.keys.VIEWER}` },
      }),
    );
    expect(wrongTask.status).toBe(404);
    await db.task.update({ where: { id: own.taskId }, data: { deletedAt: new Date() } });
    expect(await statuses(own, w.a.keys.VIEWER)).toEqual([404, 404]);
    await db.project.update({ where: { id: other }, data: { deletedAt: new Date() } });
    expect(await statuses(elsewhere, w.a.keys.VIEWER)).toEqual([404, 404]);
  });
});
