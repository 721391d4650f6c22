import Link from 'next/link';
import { prefetchModel } from '@trainhub/api/services/predictions';
import {
  DeployButton,
  ScoreDataset,
  TestOnDataset,
  TestReportView,
  TryIt,
  type TestReport,
} from '@/components/models/model-tools';
import { Badge } from '@/components/ui/badge';
import { Card, CardContent, CardHeader, CardTitle } from '@/components/ui/card';
import { PageHeader, Table, Td, Th } from '@/components/ui/misc';
import { can, formatDateTime } from '@/lib/utils';
import { restDeps } from '@/server/deps';
import { parseId, projectContext } from '@/server/request-context';
import { api, orNotFound } from '@/trpc/server';

const fmt = (v: unknown) => (typeof v === 'number' ? v.toFixed(4) : '–');

/** One model version: validation metrics, tests, "Try it", "Score a dataset", "Test on a dataset", deploy. */
export default async function ModelVersionPage({ params }: { params: Promise<{ id: string; rid: string }> }) {
  const p = await params;
  const { principal, project, role } = await projectContext(p.id);
  const trpc = await api();
  const version = await orNotFound(trpc.models.get({ projectId: project.id, resourceId: parseId(p.rid) }));
  // Load the model while the page renders, so that the first prediction does not wait for it (a warm-up of
  // this process's model cache, not a read: no procedure, as an API client has no use for it).
  prefetchModel(restDeps(), principal, project.id, version.resourceId);
  const datasets = (await trpc.resources.list({ projectId: project.id, kind: 'DATASET' })).filter((d) =>
    /\.(csv|tsv|txt)$/i.test(d.name),
  );
  const names = new Map(datasets.map((d) => [d.id, d.name]));
  // Tests of the other versions of this name on the same datasets: the comparison.
  const siblings = (await trpc.models.versions({ projectId: project.id, name: version.name })).filter(
    (v) => v.resourceId !== version.resourceId,
  );
  const allTests = await trpc.models.jobs({ projectId: project.id, kind: 'EVALUATE', take: 1000 });
  const testedOn = new Set(version.tests.map((t) => t.datasetResourceId));
  const comparison = allTests.filter(
    (t) =>
      t.status === 'COMPLETED' &&
      testedOn.has(t.datasetResourceId) &&
      siblings.some((s) => s.resourceId === t.modelResourceId),
  );
  const metrics = (version.run?.metrics ?? {}) as Record<string, unknown>;
  const canWrite = can(role, 'EDITOR');
  const sig = version.signature;
  return (
    <>
      <PageHeader
        title={`${version.name} v${version.version}`}
        description={
          <>
            {sig.problem} · {sig.features.length} features
            {sig.classNames.length ? ` · classes ${sig.classNames.join(', ')}` : ''} · trained{' '}
            {formatDateTime(version.createdAt)}
            {version.run ? (
              <>
                {' '}
                ·{' '}
                <Link
                  className="underline"
                  href={`/projects/${project.id}/executions/${version.run.executionId}`}
                >
                  run #{version.run.executionId}
                </Link>
              </>
            ) : null}
            {version.deployed ? (
              <>
                {' '}
                <Badge variant="green" data-testid="deployed-badge">
                  deployed
                </Badge>
              </>
            ) : null}
          </>
        }
        actions={
          canWrite ? (
            <DeployButton
              projectId={project.id}
              resourceId={version.resourceId}
              deployed={version.deployed}
              canUndeploy={can(role, 'ADMIN')}
            />
          ) : null
        }
      />
      <div className="grid gap-6 lg:grid-cols-2">
        <Card>
          <CardHeader>
            <CardTitle>Try it</CardTitle>
          </CardHeader>
          <CardContent>
            <TryIt projectId={project.id} resourceId={version.resourceId} signature={sig} />
          </CardContent>
        </Card>
        <Card>
          <CardHeader>
            <CardTitle>Validation metrics</CardTitle>
          </CardHeader>
          <CardContent className="flex flex-col gap-2 text-sm" data-testid="validation-metrics">
            <p>
              Accuracy <strong>{fmt(metrics.accuracy)}</strong> · loss <strong>{fmt(metrics.loss)}</strong>
              {metrics.mse !== undefined ? (
                <>
                  {' '}
                  · MSE <strong>{fmt(metrics.mse)}</strong> · MAE <strong>{fmt(metrics.mae)}</strong> · R²{' '}
                  <strong>{fmt(metrics.r2)}</strong>
                </>
              ) : null}
            </p>
            {version.hyperparameters ? (
              <p className="text-xs text-slate-500">
                Hyperparameters: <code className="break-all">{JSON.stringify(version.hyperparameters)}</code>
              </p>
            ) : null}
            {version.datasetResourceId ? (
              <p className="text-xs text-slate-500">
                Trained on{' '}
                <Link
                  className="underline"
                  href={`/projects/${project.id}/resources/${version.datasetResourceId}`}
                >
                  {names.get(version.datasetResourceId) ?? `dataset ${version.datasetResourceId}`}
                </Link>
              </p>
            ) : null}
          </CardContent>
        </Card>
        {canWrite ? (
          <>
            <Card>
              <CardHeader>
                <CardTitle>Score a dataset</CardTitle>
              </CardHeader>
              <CardContent>
                <ScoreDataset projectId={project.id} resourceId={version.resourceId} datasets={datasets} />
              </CardContent>
            </Card>
            <Card>
              <CardHeader>
                <CardTitle>Test on a dataset</CardTitle>
              </CardHeader>
              <CardContent>
                <TestOnDataset projectId={project.id} resourceId={version.resourceId} datasets={datasets} />
              </CardContent>
            </Card>
          </>
        ) : null}
      </div>
      {version.tests.length ? (
        <section className="mt-8" aria-label="Tests">
          <h2 className="mb-2 text-lg font-semibold">Tests</h2>
          <Table data-testid="tests-table">
            <thead>
              <tr>
                <Th>Dataset</Th>
                <Th>When</Th>
                <Th>Accuracy / R²</Th>
                <Th>Loss</Th>
                <Th>Other versions on the same dataset</Th>
              </tr>
            </thead>
            <tbody>
              {version.tests.map((t) => {
                const r = t.result as Record<string, unknown>;
                const others = comparison.filter((c) => c.datasetResourceId === t.datasetResourceId);
                return (
                  <tr key={t.id}>
                    <Td>{names.get(t.datasetResourceId) ?? `dataset ${t.datasetResourceId}`}</Td>
                    <Td className="text-sm">{formatDateTime(t.finishedAt)}</Td>
                    <Td className="font-mono">{fmt(r.accuracy ?? r.r2)}</Td>
                    <Td className="font-mono">{fmt(r.loss)}</Td>
                    <Td className="text-sm">
                      {others.length
                        ? others.map((o) => {
                            const s = siblings.find((v) => v.resourceId === o.modelResourceId)!;
                            const or = o.result as Record<string, unknown>;
                            return (
                              <div key={o.id}>
                                <Link
                                  className="underline"
                                  href={`/projects/${project.id}/models/${s.resourceId}`}
                                >
                                  v{s.version}
                                </Link>
                                : {fmt(or.accuracy ?? or.r2)} (loss {fmt(or.loss)})
                              </div>
                            );
                          })
                        : '–'}
                    </Td>
                  </tr>
                );
              })}
            </tbody>
          </Table>
          <div className="mt-4">
            <h3 className="mb-2 font-medium">Latest test</h3>
            <TestReportView report={version.tests[0]!.result as unknown as TestReport} testId="latest-test" />
          </div>
        </section>
      ) : null}
    </>
  );
}
