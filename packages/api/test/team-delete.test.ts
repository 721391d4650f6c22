import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testProviders } from '@trainhub/db/testing';
import { clearCredentialCaches, principalFromApiKey, principalFromUserId } from '../src/auth/resolve';
import { deleteTeam } from '../src/services/team-settings';
import { makeWorld, type TeamFixture, type World } from './helpers';

// Deleting a team takes everything in it, files included, and nothing of any other team.
describe.each(testProviders)('deleting a team on %s', (provider) => {
  let w: World;
  const filesOf: Record<'a' | 'b', string[]> = { a: [], b: [] };
  let running: number;

  /** A resource with its file, a task with a finished run (checkpoint file, events), a session. */
  async function fill(team: TeamFixture, name: 'a' | 'b') {
    const { db, store } = w.deps;
    const resourceKey = `projects/${team.projectId}/resources/${name}-data`;
    const checkpointKey = `projects/${team.projectId}/checkpoints/${name}-ckpt`;
    await store.put(resourceKey, Buffer.from('a,b\n1,2\n'));
    await store.put(checkpointKey, Buffer.from('weights'));
    filesOf[name] = [resourceKey, checkpointKey];
    const resource = await db.resource.create({
      data: {
        projectId: team.projectId,
        kind: 'DATASET',
        name: 'd.csv',
        size: 8,
        contentHash: 'h',
        storageKey: resourceKey,
      },
    });
    const task = await db.task.create({
      data: {
        projectId: team.projectId,
        name: 't',
        source: 'mlw',
        definition: {},
        hyperparameters: {},
        datasetResourceId: resource.id,
      },
    });
    const run = await db.execution.create({
      data: { taskId: task.id, projectId: team.projectId, status: 'COMPLETED', checkpointKey },
    });
    await db.executionEvent.create({
      data: {
        executionId: run.id,
        seq: 1,
        kind: 'EPOCH',
        epoch: 1,
        data: { epoch: 1, loss: 1, metrics: {} },
      },
    });
    await db.trainingSession.create({
      data: {
        keyHash: `${name}-session`,
        teamId: team.id,
        projectId: team.projectId,
        taskId: task.id,
        config: {},
      },
    });
    return (
      await db.execution.create({ data: { taskId: task.id, projectId: team.projectId, status: 'RUNNING' } })
    ).id;
  }

  const counts = async (teamId: number) => {
    const { db } = w.deps;
    const inTeam = { project: { teamId } };
    return {
      teams: await db.team.count({ where: { id: teamId } }),
      memberships: await db.membership.count({ where: { teamId } }),
      apiKeys: await db.apiKey.count({ where: { teamId } }),
      projects: await db.project.count({ where: { teamId } }),
      resources: await db.resource.count({ where: inTeam }),
      tasks: await db.task.count({ where: inTeam }),
      executions: await db.execution.count({ where: inTeam }),
      events: await db.executionEvent.count({ where: { execution: inTeam } }),
      sessions: await db.trainingSession.count({ where: { teamId } }),
    };
  };
  const user = async (team: TeamFixture, role: 'OWNER' | 'ADMIN') =>
    (await principalFromUserId(w.deps.db, team.users[role].id))!;

  beforeAll(async () => {
    w = await makeWorld(provider);
    running = await fill(w.a, 'a');
    await fill(w.b, 'b');
  });
  afterAll(async () => {
    clearCredentialCaches();
    await w?.drop();
  });

  it('is refused to admins, API keys, other teams, a wrong name and while a training runs', async () => {
    const before = await counts(w.a.id);
    const name = 'alpha';
    await expect(deleteTeam(w.deps, await user(w.a, 'ADMIN'), w.a.id, name)).rejects.toMatchObject({
      code: 'FORBIDDEN',
    });
    const ownerKey = (await principalFromApiKey(w.deps.db, w.a.keys.OWNER))!;
    await expect(deleteTeam(w.deps, ownerKey, w.a.id, name)).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(deleteTeam(w.deps, await user(w.b, 'OWNER'), w.a.id, name)).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    const owner = await user(w.a, 'OWNER');
    await expect(deleteTeam(w.deps, owner, w.a.id, 'alph')).rejects.toMatchObject({ code: 'INVALID' });
    await expect(deleteTeam(w.deps, owner, w.a.id, name)).rejects.toMatchObject({
      code: 'CONFLICT',
      message: expect.stringMatching(/1 of this team's trainings/),
    });
    expect(await counts(w.a.id)).toEqual(before);
    for (const key of filesOf.a) expect(await w.deps.store.exists(key)).toBe(true);
  });

  it('removes the team, its rows and files, and leaves the other team whole', async () => {
    const other = await counts(w.b.id);
    expect(Object.values(other).every((n) => n > 0)).toBe(true);
    await w.deps.db.execution.update({ where: { id: running }, data: { status: 'STOPPED' } });
    const deleted = await deleteTeam(w.deps, await user(w.a, 'OWNER'), w.a.id, ' alpha ');
    expect(deleted.id).toBe(w.a.id);
    expect(Object.values(await counts(w.a.id)).every((n) => n === 0)).toBe(true);
    for (const key of filesOf.a) expect(await w.deps.store.exists(key)).toBe(false);
    // The people stay (members of no team now); the team's keys stop working.
    expect(await w.deps.db.user.count({ where: { id: w.a.users.OWNER.id } })).toBe(1);
    clearCredentialCaches();
    expect(await principalFromApiKey(w.deps.db, w.a.keys.VIEWER)).toBeNull();
    expect(await counts(w.b.id)).toEqual(other);
    for (const key of filesOf.b) expect(await w.deps.store.exists(key)).toBe(true);
  });
});
