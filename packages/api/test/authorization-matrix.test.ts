import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testProviders } from '@trainhub/db/testing';
import type { TeamRole } from '@trainhub/db';
import { createClient } from '../src/client';
import { ROLE_RANK } from '../src/services/accounts';
import { ROLES, basic, inProcessFetch, makeWorld, multipart, type World } from './helpers';

type Outcome = 'ok' | 'forbidden' | 'notfound';
interface Op {
  surface: 'mlw' | 'edge-impulse' | 'training-module' | 'trpc';
  name: string;
  min: TeamRole;
  /** Runs the call as `key` (an API key; MLW also as Basic `user`) against team A's project. */
  run: (key: string, user: string) => Promise<Outcome>;
}

describe.each(testProviders)('authorization matrix on %s (2 teams x 4 roles x every surface)', (provider) => {
  let w: World;
  let fetcher: typeof fetch;
  let ops: Op[];

  beforeAll(async () => {
    w = await makeWorld(provider);
    fetcher = inProcessFetch(w.deps);
    const pid = w.a.projectId;
    const status = async (response: Response): Promise<Outcome> => {
      if (response.status === 200) return 'ok';
      if (response.status === 403) return 'forbidden';
      if (response.status === 404) return 'notfound';
      throw new Error(`unexpected ${response.status}: ${await response.text()}`);
    };
    const http = (path: string, init: RequestInit = {}) =>
      fetcher(`http://localhost${path}`, init).then(status);
    const trpcOutcome = async (call: Promise<unknown>): Promise<Outcome> => {
      try {
        await call;
        return 'ok';
      } catch (error) {
        const code = (error as { data?: { code?: string } }).data?.code;
        if (code === 'FORBIDDEN') return 'forbidden';
        if (code === 'NOT_FOUND') return 'notfound';
        throw error;
      }
    };
    const client = (key: string) => createClient({ url: 'http://localhost', apiKey: key, fetch: fetcher });
    const scratch = async () =>
      (
        await w.t.db.resource.create({
          data: {
            projectId: pid,
            kind: 'DATASET',
            name: 's.csv',
            size: 0,
            contentHash: 'x',
            storageKey: `scratch/${Math.random()}`,
          },
        })
      ).id;
    const block = (
      await w.t.db.learnBlock.create({ data: { projectId: pid, name: 'nn', title: 'NN', settings: {} } })
    ).id;
    ops = [
      {
        surface: 'mlw',
        name: 'GET project (Bearer)',
        min: 'VIEWER',
        run: (key) =>
          http(`/service/mlw/projects/${pid}_Project`, { headers: { authorization: `Bearer ${key}` } }),
      },
      {
        surface: 'mlw',
        name: 'GET project (Basic)',
        min: 'VIEWER',
        run: (_k, user) =>
          http(`/service/mlw/projects/${pid}_Project`, { headers: { authorization: basic(user) } }),
      },
      {
        surface: 'mlw',
        name: 'upload resource',
        min: 'EDITOR',
        run: (key) =>
          http(`/service/mlw/projects/${pid}_Project/resources`, {
            method: 'POST',
            headers: { authorization: `Bearer ${key}` },
            body: multipart({ file: { name: 'a.csv', content: 'a,b\n1,2' } }),
          }),
      },
      {
        surface: 'mlw',
        name: 'DELETE resource',
        min: 'ADMIN',
        run: async (key) =>
          http(`/service/mlw/projects/${pid}_Project/resources/${await scratch()}_Resource`, {
            method: 'DELETE',
            headers: { authorization: `Bearer ${key}` },
          }),
      },
      {
        surface: 'edge-impulse',
        name: 'GET impulse',
        min: 'VIEWER',
        run: (key) => http(`/v1/api/${pid}/impulse`, { headers: { 'x-api-key': key } }),
      },
      {
        surface: 'edge-impulse',
        name: 'GET socket-token',
        min: 'VIEWER',
        run: (key) => http(`/v1/api/${pid}/socket-token`, { headers: { 'x-api-key': key } }),
      },
      {
        surface: 'edge-impulse',
        name: 'POST keras settings',
        min: 'EDITOR',
        run: (key) =>
          http(`/v1/api/${pid}/training/keras/${block}`, {
            method: 'POST',
            headers: { 'x-api-key': key },
            body: '{"trainingCycles":3}',
          }),
      },
      {
        surface: 'trpc',
        name: 'projects.get',
        min: 'VIEWER',
        run: (key) => trpcOutcome(client(key).trpc.projects.get.query({ projectId: pid })),
      },
      {
        surface: 'trpc',
        name: 'tasks.list',
        min: 'VIEWER',
        run: (key) => trpcOutcome(client(key).trpc.tasks.list.query({ projectId: pid })),
      },
      {
        surface: 'trpc',
        name: 'projects.update',
        min: 'EDITOR',
        run: (key) =>
          trpcOutcome(client(key).trpc.projects.update.mutate({ projectId: pid, description: 'x' })),
      },
      {
        surface: 'trpc',
        name: 'resources.uploadText',
        min: 'EDITOR',
        run: (key) =>
          trpcOutcome(
            client(key).trpc.resources.uploadText.mutate({ projectId: pid, name: 'x.csv', content: 'a\n1' }),
          ),
      },
      {
        surface: 'trpc',
        name: 'resources.delete',
        min: 'ADMIN',
        run: async (key) =>
          trpcOutcome(
            client(key).trpc.resources.delete.mutate({ projectId: pid, resourceId: await scratch() }),
          ),
      },
      {
        surface: 'trpc',
        name: 'apiKeys.list',
        min: 'ADMIN',
        run: (key) => trpcOutcome(client(key).trpc.apiKeys.list.query({ teamId: w.a.id })),
      },
      {
        surface: 'trpc',
        name: 'members.list',
        min: 'VIEWER',
        run: (key) => trpcOutcome(client(key).trpc.members.list.query({ teamId: w.a.id })),
      },
      {
        surface: 'training-module',
        name: 'start_session',
        min: 'EDITOR',
        run: async (key) => {
          const response = await fetcher('http://localhost/training-module/start_session?force_restart=1', {
            headers: { 'x-api-key': key },
          });
          return status(response);
        },
      },
    ];
  });
  afterAll(async () => {
    await w?.drop();
  });

  for (const role of ROLES) {
    it(`team A ${role.toLowerCase()}: allowed at or above each operation's role, 403 below`, async () => {
      const results = [];
      for (const op of ops) {
        const outcome = await op.run(w.a.keys[role], w.a.users[role].email);
        results.push(`${op.surface} ${op.name}: ${outcome}`);
      }
      expect(results).toEqual(
        ops.map(
          (op) => `${op.surface} ${op.name}: ${ROLE_RANK[role] >= ROLE_RANK[op.min] ? 'ok' : 'forbidden'}`,
        ),
      );
    });

    it(`team B ${role.toLowerCase()}: every call on team A's ids answers like an unknown id`, async () => {
      const results = [];
      for (const op of ops.filter((o) => o.surface !== 'training-module')) {
        results.push(`${op.surface} ${op.name}: ${await op.run(w.b.keys[role], w.b.users[role].email)}`);
      }
      expect(results).toEqual(
        ops.filter((o) => o.surface !== 'training-module').map((op) => `${op.surface} ${op.name}: notfound`),
      );
      // The session style: B's status never shows A's session.
      const response = await fetcher('http://localhost/training-module/status', {
        headers: { 'x-api-key': w.b.keys[role] },
      });
      expect(response.status).toBe(404);
    });
  }
});
