import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testProviders } from '@trainhub/db/testing';
import { createClient } from '../src/client';
import { inProcessFetch, makeRun, makeTask, makeWorld, simulateTraining, type World } from './helpers';

// The procedures behind the web UI's run, compare and schedules pages and the Train form's cron preview
// (they replaced direct database reads and the /api/ui poll and cron routes): what they answer, and that
// another team's caller is refused as on every project read.

describe.each(testProviders)('tRPC web UI page procedures on %s', (provider) => {
  let w: World;
  let viewer: ReturnType<typeof createClient>['trpc'];
  let stranger: ReturnType<typeof createClient>['trpc'];

  beforeAll(async () => {
    w = await makeWorld(provider);
    const client = (apiKey: string) =>
      createClient({ url: 'http://localhost', apiKey, fetch: inProcessFetch(w.deps) }).trpc;
    viewer = client(w.a.keys.VIEWER);
    stranger = client(w.b.keys.OWNER);
  });
  afterAll(async () => {
    await w?.drop();
  });

  const codeOf = (promise: Promise<unknown>) =>
    promise.then(
      () => 'accepted',
      (error: { data?: { code?: string } }) => error.data?.code,
    );

  it('progress brings only the epochs and log lines after those seen; details add the training', async () => {
    const { execution } = await makeRun(w.t.db, w.a.projectId, 'QUEUED');
    await simulateTraining(w, execution.id, { epochs: 3, finish: null });
    const ids = { projectId: w.a.projectId, executionId: execution.id };
    const all = await viewer.executions.progress.query(ids);
    expect(all.execution.status).toBe('RUNNING');
    expect(all.history.map((h) => h.epoch)).toEqual([1, 2, 3]);
    const lastSeq = all.logs.at(-1)!.seq;
    expect(all.logs.filter((l) => l.kind === 'LOG')).toHaveLength(3);

    const later = await viewer.executions.progress.query({ ...ids, afterEpoch: 2, afterSeq: lastSeq });
    expect(later.history.map((h) => h.epoch)).toEqual([3]);
    expect(later.logs).toEqual([]);

    const details = await viewer.executions.details.query(ids);
    expect(details.task.name).toBe('t');
    expect(details.task.hyperparameters).toEqual({ epochs: 1, batchSize: 1 });
    expect(details.progress.history).toHaveLength(3);
    expect(details.model).toBeNull();
  });

  it('compare lays out the runs asked for, leaving out those of another project', async () => {
    const one = await makeRun(w.t.db, w.a.projectId, 'QUEUED');
    const two = await makeRun(w.t.db, w.a.projectId, 'QUEUED');
    const theirs = await makeRun(w.t.db, w.b.projectId, 'QUEUED');
    await simulateTraining(w, one.execution.id, { epochs: 2 });
    await simulateTraining(w, two.execution.id, { epochs: 4 });
    const runs = await viewer.executions.compare.query({
      projectId: w.a.projectId,
      executionIds: [two.execution.id, theirs.execution.id, one.execution.id, two.execution.id],
    });
    expect(runs.map((r) => r.id)).toEqual([two.execution.id, one.execution.id]);
    expect(runs.map((r) => r.history.length)).toEqual([4, 2]);
    expect(runs[0]!.status).toBe('COMPLETED');
    expect(runs[0]!.task?.name).toBe('t');
  });

  it('a caller of another team is refused as on any project read', async () => {
    const { execution } = await makeRun(w.t.db, w.a.projectId, 'QUEUED');
    const ids = { projectId: w.a.projectId, executionId: execution.id };
    expect(await codeOf(stranger.executions.progress.query(ids))).toBe('NOT_FOUND');
    expect(await codeOf(stranger.executions.details.query(ids))).toBe('NOT_FOUND');
    // Their own project id does not open another project's run either.
    expect(await codeOf(stranger.executions.progress.query({ ...ids, projectId: w.b.projectId }))).toBe(
      'NOT_FOUND',
    );
    expect(
      await codeOf(
        stranger.executions.compare.query({ projectId: w.a.projectId, executionIds: [execution.id] }),
      ),
    ).toBe('NOT_FOUND');
    expect(await codeOf(stranger.schedules.overview.query({ projectId: w.a.projectId }))).toBe('NOT_FOUND');
  });

  it('the schedules overview counts runs, names the newest and lists the next three ticks', async () => {
    const cron = await makeTask(w.t.db, w.a.projectId, 'nightly');
    await w.t.db.task.update({
      where: { id: cron.id },
      data: { scheduleKind: 'CRON', cronExpression: '0 3 * * *', timezone: 'UTC', scheduleEnabled: true },
    });
    const first = await w.t.db.execution.create({
      data: { taskId: cron.id, projectId: w.a.projectId, status: 'COMPLETED' },
    });
    const second = await w.t.db.execution.create({
      data: { taskId: cron.id, projectId: w.a.projectId, status: 'FAILED' },
    });
    const rows = await viewer.schedules.overview.query({ projectId: w.a.projectId });
    const row = rows.find((r) => r.schedule.id === cron.id)!;
    expect(row.runCount).toBe(2);
    expect(row.lastRun).toEqual({ id: second.id, status: 'FAILED' });
    expect(second.id).toBeGreaterThan(first.id);
    expect(row.upcoming).toHaveLength(3);
    for (const tick of row.upcoming) {
      expect(tick.getUTCHours()).toBe(3);
      expect(tick.getUTCMinutes()).toBe(0);
      expect(tick.getTime()).toBeGreaterThan(Date.now());
    }

    await w.t.db.task.update({ where: { id: cron.id }, data: { scheduleEnabled: false } });
    const paused = (await viewer.schedules.overview.query({ projectId: w.a.projectId })).find(
      (r) => r.schedule.id === cron.id,
    )!;
    expect(paused.upcoming).toEqual([]);
  });

  it("the cron preview: the next five runs in the expression's timezone, or why it is not valid", async () => {
    const berlin = await viewer.schedules.nextRuns.query({
      expression: '30 6 * * *',
      timezone: 'Europe/Berlin',
    });
    expect(berlin.runs).toHaveLength(5);
    for (const run of berlin.runs!) {
      const local = new Intl.DateTimeFormat('en-GB', {
        timeZone: 'Europe/Berlin',
        hour: '2-digit',
        minute: '2-digit',
      }).format(run);
      expect(local).toBe('06:30');
    }
    expect((await viewer.schedules.nextRuns.query({ expression: '  ' })).error).toBe(
      'write a cron expression',
    );
    const bad = await viewer.schedules.nextRuns.query({ expression: '61 * * * *' });
    expect(bad.runs).toBeUndefined();
    expect(bad.error).toMatch(/\S/);
  });

  it('samples: counts per label, a page of a category, one sample; another team is refused', async () => {
    const sample = (category: string, label: string, n: number) =>
      w.t.db.sample.create({
        data: {
          projectId: w.a.projectId,
          category,
          label,
          filename: `${label}.${n}`,
          intervalMs: 10,
          sensors: [{ name: 'accX', units: 'm/s2' }],
          values: [[n], [n + 1]],
          valuesCount: 2,
          sha256Hash: `${category}-${label}-${n}`,
          deviceType: 'TEST',
        },
      });
    const first = await sample('training', 'wave', 1);
    await sample('training', 'wave', 2);
    await sample('training', 'idle', 3);
    await sample('testing', 'idle', 4);
    const summary = await viewer.samples.summary.query({ projectId: w.a.projectId });
    expect(summary).toEqual([
      { category: 'testing', label: 'idle', count: 1 },
      { category: 'training', label: 'idle', count: 1 },
      { category: 'training', label: 'wave', count: 2 },
    ]);
    const page = await viewer.samples.list.query({
      projectId: w.a.projectId,
      category: 'training',
      limit: 2,
    });
    expect(page.totalCount).toBe(3);
    expect(page.samples.map((x) => x.filename)).toEqual(['wave.1', 'wave.2']);
    const one = await viewer.samples.get.query({ projectId: w.a.projectId, sampleId: first.id });
    expect(one.values).toEqual([[1], [2]]);
    expect(await codeOf(stranger.samples.get.query({ projectId: w.b.projectId, sampleId: first.id }))).toBe(
      'NOT_FOUND',
    );
    expect(await codeOf(stranger.samples.summary.query({ projectId: w.a.projectId }))).toBe('NOT_FOUND');
  });

  it("resources.head reads a file's first bytes and says whether there is more", async () => {
    const editor = createClient({
      url: 'http://localhost',
      apiKey: w.a.keys.EDITOR,
      fetch: inProcessFetch(w.deps),
    }).trpc;
    const content = 'a,b\n' + '1,2\n'.repeat(100);
    const file = await editor.resources.uploadText.mutate({
      projectId: w.a.projectId,
      name: 'h.csv',
      content,
    });
    const ids = { projectId: w.a.projectId, resourceId: file.id };
    const part = await viewer.resources.head.query({ ...ids, maxBytes: 10 });
    expect(part.text).toBe(content.slice(0, 10));
    expect(part.truncated).toBe(true);
    expect(part.resource.name).toBe('h.csv');
    const whole = await viewer.resources.head.query(ids);
    expect(whole).toMatchObject({ text: content, truncated: false });
    expect(await codeOf(stranger.resources.head.query(ids))).toBe('NOT_FOUND');
  });
});
