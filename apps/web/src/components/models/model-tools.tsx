'use client';
import { useMutation, useQuery } from '@tanstack/react-query';
import { useRouter } from 'next/navigation';
import { useEffect, useRef, useState } from 'react';
import { Button } from '@/components/ui/button';
import { Field } from '@/components/ui/field';
import { Input, NativeSelect, Textarea } from '@/components/ui/input';
import { FormError, Table, Td, Th } from '@/components/ui/misc';
import { ConfusionMatrix } from '@/components/metrics/confusion-matrix';
import { refusalMessage } from '@/trpc/form';
import { useTRPC } from '@/trpc/react';

// The Models page's tools: "Try it" (one input per feature, or pasted CSV rows), "Score a dataset",
// "Test on a dataset" and deploy, through the tRPC models router (the session cookie names the user).

type Prediction =
  | { label: string; index: number; probabilities: Record<string, number> }
  | { values: Record<string, number> };

export interface Signature {
  problem: string;
  features: string[];
  usedFeatures: string[];
  classNames: string[];
  targetColumns: string[];
}

export interface Job {
  id: number;
  kind: 'SCORE' | 'EVALUATE';
  status: string;
  progress: number;
  rowsDone: number;
  resultResourceId: number | null;
  result: unknown;
  error: string | null;
}

export interface TestReport {
  problem: string;
  samples: number;
  loss: number;
  accuracy?: number;
  classNames?: string[];
  confusionMatrix?: number[][];
  perClass?: { className: string; precision: number; recall: number; f1: number; support: number }[];
  mse?: number;
  mae?: number;
  r2?: number;
}

const fmt = (v: number | undefined) => (v === undefined || v === null ? '–' : Number(v).toFixed(4));

/** Rows from pasted CSV: with a header of feature names, by name; otherwise in column order. */
function parsePasted(text: string, features: string[]): (string[] | Record<string, string>)[] {
  const lines = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean)
    .map((l) => l.split(',').map((c) => c.trim()));
  if (lines.length === 0) return [];
  const first = lines[0]!;
  if (first.some((c) => features.includes(c))) {
    return lines.slice(1).map((cells) => Object.fromEntries(first.map((h, i) => [h, cells[i] ?? ''])));
  }
  return lines;
}

export function TryIt({
  projectId,
  resourceId,
  signature,
}: {
  projectId: number;
  resourceId: number;
  signature: Signature;
}) {
  const [values, setValues] = useState<Record<string, string>>({});
  const [pasted, setPasted] = useState('');
  const trpc = useTRPC();
  const prediction = useMutation(trpc.models.predict.mutationOptions());
  const results = prediction.data ? (prediction.data.predictions as Prediction[]) : null;
  const error = refusalMessage(prediction.error);
  const pending = prediction.isPending;
  const predict = (rows: (string[] | Record<string, string>)[]) =>
    prediction.mutate({ projectId, resourceId, rows });

  const shown = signature.features.slice(0, 64);
  return (
    <div className="flex flex-col gap-4">
      {signature.features.length <= 64 ? (
        <form
          aria-label="Try one row"
          className="flex flex-col gap-3"
          onSubmit={(e) => {
            e.preventDefault();
            predict([Object.fromEntries(shown.map((f) => [f, values[f] ?? '']))]);
          }}
        >
          <div className="grid grid-cols-2 gap-3 sm:grid-cols-4">
            {shown.map((f, i) => (
              <Field key={f} id={`feature-${i}`} label={f}>
                <Input
                  id={`feature-${i}`}
                  inputMode="decimal"
                  value={values[f] ?? ''}
                  onChange={(e) => setValues({ ...values, [f]: e.target.value })}
                />
              </Field>
            ))}
          </div>
          <div>
            <Button type="submit" disabled={pending}>
              {pending ? 'Predicting…' : 'Predict'}
            </Button>
          </div>
        </form>
      ) : (
        <p className="text-sm text-slate-500">
          This model takes {signature.features.length} features: paste rows as CSV below.
        </p>
      )}
      <form
        aria-label="Predict pasted rows"
        className="flex flex-col gap-3"
        onSubmit={(e) => {
          e.preventDefault();
          predict(parsePasted(pasted, signature.features));
        }}
      >
        <Field
          id="pasted-rows"
          label="Several rows as CSV"
          hint={`One row per line; a first line of feature names (${signature.features.slice(0, 6).join(', ')}${signature.features.length > 6 ? ', …' : ''}) picks columns by name, else values go in that order.`}
        >
          <Textarea
            id="pasted-rows"
            value={pasted}
            onChange={(e) => setPasted(e.target.value)}
            className="font-mono"
          />
        </Field>
        <div>
          <Button type="submit" variant="outline" disabled={pending || !pasted.trim()}>
            Predict rows
          </Button>
        </div>
      </form>
      <div data-testid="try-error">
        <FormError message={error} />
      </div>
      {results ? (
        <ol className="flex flex-col gap-4" data-testid="prediction-results">
          {results.map((p, i) => (
            <li
              key={i}
              data-testid="prediction-result"
              className="rounded-md border border-slate-200 p-3 dark:border-slate-800"
            >
              {'label' in p ? (
                <>
                  <p className="mb-2 text-sm">
                    Row {i + 1}: <strong data-testid="predicted-label">{p.label}</strong>
                  </p>
                  <ul className="flex flex-col gap-1">
                    {Object.entries(p.probabilities).map(([c, v]) => (
                      <li key={c} className="flex items-center gap-2 text-xs">
                        <span className="w-28 truncate">{c}</span>
                        <span className="h-3 flex-1 rounded bg-slate-100 dark:bg-slate-800">
                          <span
                            data-testid="probability-bar"
                            data-class={c}
                            data-value={v}
                            className="block h-3 rounded bg-indigo-500"
                            style={{ width: `${Math.max(0, Math.min(1, v)) * 100}%` }}
                          />
                        </span>
                        <span className="w-14 text-right font-mono">{(v * 100).toFixed(1)}%</span>
                      </li>
                    ))}
                  </ul>
                </>
              ) : (
                <p className="text-sm">
                  Row {i + 1}:{' '}
                  {Object.entries(p.values).map(([k, v]) => (
                    <span key={k} className="mr-3">
                      {k} = <strong data-testid="predicted-value">{fmt(v)}</strong>
                    </span>
                  ))}
                </p>
              )}
            </li>
          ))}
        </ol>
      ) : null}
    </div>
  );
}

const finished = (job: Pick<Job, 'status'> | null | undefined) =>
  job?.status === 'COMPLETED' || job?.status === 'FAILED';

/** A scoring or test job of a project, polled every 500 ms until it finishes (then `onDone` once). */
function useJob(projectId: number, jobId: number | null, onDone: () => void) {
  const trpc = useTRPC();
  const query = useQuery(
    trpc.models.job.queryOptions(
      { projectId, jobId: jobId ?? 0 },
      {
        enabled: jobId !== null,
        staleTime: 0,
        refetchInterval: (q) => (finished(q.state.data as Job | undefined) ? false : 500),
      },
    ),
  );
  const job = (query.data as Job | undefined) ?? null;
  const done = finished(job);
  // onDone once per finished job (a new callback on each render must not call it again).
  const reported = useRef<number | null>(null);
  useEffect(() => {
    if (done && jobId !== null && reported.current !== jobId) {
      reported.current = jobId;
      onDone();
    }
  }, [done, jobId, onDone]);
  return job;
}

function JobProgress({ job, testId }: { job: Job; testId: string }) {
  const pct = Math.round((job.status === 'COMPLETED' ? 1 : job.progress) * 100);
  return (
    <div className="flex flex-col gap-1" data-testid={testId} data-status={job.status}>
      <div className="h-2 rounded bg-slate-100 dark:bg-slate-800">
        <div
          role="progressbar"
          aria-valuenow={pct}
          aria-valuemin={0}
          aria-valuemax={100}
          className={job.status === 'FAILED' ? 'h-2 rounded bg-red-500' : 'h-2 rounded bg-indigo-500'}
          style={{ width: `${pct}%` }}
        />
      </div>
      <p className="text-xs text-slate-500">
        {job.status.toLowerCase()} · {job.rowsDone} rows · {pct}%
      </p>
      {job.error ? <FormError message={job.error} /> : null}
    </div>
  );
}

/**
 * Runs a model version on a dataset resource as a job and follows it: `score` writes a scored CSV (linked
 * when done), `evaluate` tests on a labelled dataset (its report shown when done).
 */
function DatasetJobForm({
  kind,
  projectId,
  resourceId,
  datasets,
}: {
  kind: 'score' | 'evaluate';
  projectId: number;
  resourceId: number;
  datasets: { id: number; name: string }[];
}) {
  const trpc = useTRPC();
  const router = useRouter();
  const [dataset, setDataset] = useState(String(datasets[0]?.id ?? ''));
  const start = useMutation((kind === 'score' ? trpc.models.score : trpc.models.evaluate).mutationOptions());
  const started = start.data as Job | undefined;
  const job = useJob(projectId, started?.id ?? null, () => router.refresh()) ?? started ?? null;
  const text =
    kind === 'score'
      ? { form: 'Score a dataset', id: 'score-dataset', label: 'Dataset to score', submit: 'Score dataset' }
      : { form: 'Test on a dataset', id: 'test-dataset', label: 'Labelled dataset', submit: 'Run test' };
  return (
    <form
      aria-label={text.form}
      className="flex flex-col gap-3"
      onSubmit={(e) => {
        e.preventDefault();
        start.mutate({ projectId, resourceId, datasetResourceId: Number(dataset) });
      }}
    >
      <Field id={text.id} label={text.label}>
        <NativeSelect id={text.id} value={dataset} onChange={(e) => setDataset(e.target.value)}>
          {datasets.map((d) => (
            <option key={d.id} value={d.id}>
              {d.name}
            </option>
          ))}
        </NativeSelect>
      </Field>
      <div>
        <Button type="submit" disabled={!dataset || start.isPending || (job !== null && !finished(job))}>
          {text.submit}
        </Button>
      </div>
      <FormError message={refusalMessage(start.error)} />
      {job ? <JobProgress job={job} testId={kind === 'score' ? 'score-job' : 'test-job'} /> : null}
      {kind === 'score' && job?.status === 'COMPLETED' && job.resultResourceId ? (
        <p className="text-sm">
          Result:{' '}
          <a
            data-testid="score-result"
            className="text-indigo-600 underline"
            href={`/api/ui/projects/${projectId}/resources/${job.resultResourceId}`}
          >
            download the scored file
          </a>{' '}
          ·{' '}
          <a
            className="text-indigo-600 underline"
            href={`/projects/${projectId}/resources/${job.resultResourceId}`}
          >
            preview
          </a>
        </p>
      ) : null}
      {kind === 'evaluate' && job?.status === 'COMPLETED' && job.result ? (
        <TestReportView report={job.result as TestReport} testId="test-report" />
      ) : null}
    </form>
  );
}

/** Scores a dataset with the model version (a job; the scored CSV is linked when it ends). */
export function ScoreDataset(props: {
  projectId: number;
  resourceId: number;
  datasets: { id: number; name: string }[];
}) {
  return <DatasetJobForm kind="score" {...props} />;
}

/** Tests the model version on a labelled dataset (a job; the report is shown when it ends). */
export function TestOnDataset(props: {
  projectId: number;
  resourceId: number;
  datasets: { id: number; name: string }[];
}) {
  return <DatasetJobForm kind="evaluate" {...props} />;
}

export function TestReportView({ report, testId }: { report: TestReport; testId: string }) {
  return (
    <div className="flex flex-col gap-3" data-testid={testId}>
      <dl className="flex flex-wrap gap-6 text-sm">
        {report.accuracy !== undefined ? (
          <div>
            <dt className="text-slate-500">Accuracy</dt>
            <dd className="text-xl font-semibold" data-testid="test-accuracy">
              {fmt(report.accuracy)}
            </dd>
          </div>
        ) : null}
        <div>
          <dt className="text-slate-500">Loss</dt>
          <dd className="text-xl font-semibold">{fmt(report.loss)}</dd>
        </div>
        {(['mse', 'mae', 'r2'] as const).map((k) =>
          report[k] !== undefined ? (
            <div key={k}>
              <dt className="text-slate-500">{k.toUpperCase()}</dt>
              <dd className="text-xl font-semibold">{fmt(report[k])}</dd>
            </div>
          ) : null,
        )}
        <div>
          <dt className="text-slate-500">Samples</dt>
          <dd>{report.samples}</dd>
        </div>
      </dl>
      {report.confusionMatrix ? (
        <ConfusionMatrix
          matrix={report.confusionMatrix}
          classNames={report.classNames}
          testId="test-confusion-matrix"
        />
      ) : null}
      {report.perClass ? (
        <Table className="w-auto">
          <thead>
            <tr>
              <Th>Class</Th>
              <Th>Precision</Th>
              <Th>Recall</Th>
              <Th>F1</Th>
              <Th>Support</Th>
            </tr>
          </thead>
          <tbody>
            {report.perClass.map((c) => (
              <tr key={c.className}>
                <Td>{c.className}</Td>
                <Td className="font-mono">{fmt(c.precision)}</Td>
                <Td className="font-mono">{fmt(c.recall)}</Td>
                <Td className="font-mono">{fmt(c.f1)}</Td>
                <Td className="font-mono">{c.support}</Td>
              </tr>
            ))}
          </tbody>
        </Table>
      ) : null}
    </div>
  );
}

export function DeployButton({
  projectId,
  resourceId,
  deployed,
  canUndeploy,
}: {
  projectId: number;
  resourceId: number;
  deployed: boolean;
  canUndeploy: boolean;
}) {
  const trpc = useTRPC();
  const router = useRouter();
  const refresh = { onSuccess: () => router.refresh() };
  const deploy = useMutation(trpc.models.deploy.mutationOptions(refresh));
  const undeploy = useMutation(trpc.models.undeploy.mutationOptions(refresh));
  const toggle = deployed ? undeploy : deploy;
  if (deployed && !canUndeploy) return null;
  return (
    <div className="flex flex-col gap-1">
      <Button
        variant={deployed ? 'outline' : 'default'}
        disabled={toggle.isPending}
        onClick={() => toggle.mutate({ projectId, resourceId })}
      >
        {deployed ? 'Undeploy' : 'Deploy this version'}
      </Button>
      <FormError message={refusalMessage(toggle.error)} />
    </div>
  );
}
