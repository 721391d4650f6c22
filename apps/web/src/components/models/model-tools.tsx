'use client';
import { useRouter } from 'next/navigation';
import { useEffect, useRef, useState } from 'react';
import { Button } from '@/components/ui/button';
import { Field } from '@/components/ui/field';
import { Input, NativeSelect, Textarea } from '@/components/ui/input';
import { FormError, Table, Td, Th } from '@/components/ui/misc';

// The Models page's tools: "Try it" (one input per feature, or pasted CSV rows), "Score a dataset",
// "Test on a dataset" and deploy. They call the tRPC models router with the session cookie, as any client.

async function trpc<T>(path: string, input: unknown, kind: 'query' | 'mutation' = 'mutation'): Promise<T> {
  const response =
    kind === 'query'
      ? await fetch(`/api/trpc/${path}?input=${encodeURIComponent(JSON.stringify(input))}`)
      : await fetch(`/api/trpc/${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(input),
        });
  const body = (await response.json().catch(() => null)) as {
    result?: { data: T };
    error?: { message?: string };
  } | null;
  if (!response.ok || !body?.result)
    throw new Error(body?.error?.message ?? `request failed (${response.status})`);
  return body.result.data;
}

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
  const [results, setResults] = useState<Prediction[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [pending, setPending] = useState(false);

  async function predict(rows: unknown[]) {
    setPending(true);
    setError(null);
    try {
      const r = await trpc<{ predictions: Prediction[] }>('models.predict', { projectId, resourceId, rows });
      setResults(r.predictions);
    } catch (e) {
      setResults(null);
      setError((e as Error).message);
    } finally {
      setPending(false);
    }
  }

  const shown = signature.features.slice(0, 64);
  return (
    <div className="flex flex-col gap-4">
      {signature.features.length <= 64 ? (
        <form
          aria-label="Try one row"
          className="flex flex-col gap-3"
          onSubmit={(e) => {
            e.preventDefault();
            void predict([Object.fromEntries(shown.map((f) => [f, values[f] ?? '']))]);
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
          void predict(parsePasted(pasted, signature.features));
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

/** Polls a job until it finishes. */
function useJob(projectId: number, onDone?: (job: Job) => void) {
  const [job, setJob] = useState<Job | null>(null);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  useEffect(
    () => () => {
      if (timer.current) clearTimeout(timer.current);
    },
    [],
  );
  function follow(started: Job) {
    setJob(started);
    const tick = async () => {
      try {
        const j = await trpc<Job>('models.job', { projectId, jobId: started.id }, 'query');
        setJob(j);
        if (j.status === 'COMPLETED' || j.status === 'FAILED') {
          onDone?.(j);
          return;
        }
      } catch {
        // keep polling
      }
      timer.current = setTimeout(tick, 500);
    };
    timer.current = setTimeout(tick, 300);
  }
  return { job, follow };
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

export function ScoreDataset({
  projectId,
  resourceId,
  datasets,
}: {
  projectId: number;
  resourceId: number;
  datasets: { id: number; name: string }[];
}) {
  const [dataset, setDataset] = useState(String(datasets[0]?.id ?? ''));
  const [error, setError] = useState<string | null>(null);
  const router = useRouter();
  const { job, follow } = useJob(projectId, () => router.refresh());
  return (
    <form
      aria-label="Score a dataset"
      className="flex flex-col gap-3"
      onSubmit={async (e) => {
        e.preventDefault();
        setError(null);
        try {
          follow(
            await trpc<Job>('models.score', { projectId, resourceId, datasetResourceId: Number(dataset) }),
          );
        } catch (err) {
          setError((err as Error).message);
        }
      }}
    >
      <Field id="score-dataset" label="Dataset to score">
        <NativeSelect id="score-dataset" value={dataset} onChange={(e) => setDataset(e.target.value)}>
          {datasets.map((d) => (
            <option key={d.id} value={d.id}>
              {d.name}
            </option>
          ))}
        </NativeSelect>
      </Field>
      <div>
        <Button
          type="submit"
          disabled={!dataset || (job !== null && job.status !== 'COMPLETED' && job.status !== 'FAILED')}
        >
          Score dataset
        </Button>
      </div>
      <FormError message={error} />
      {job ? <JobProgress job={job} testId="score-job" /> : null}
      {job?.status === 'COMPLETED' && job.resultResourceId ? (
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
    </form>
  );
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
        <Table data-testid="test-confusion-matrix" className="w-auto">
          <caption className="mt-2 text-xs text-slate-500">
            Rows: actual class · columns: predicted class
          </caption>
          <thead>
            <tr>
              <Th />
              {report.confusionMatrix.map((_, j) => (
                <Th key={j} scope="col" className="normal-case">
                  {report.classNames?.[j] ?? j}
                </Th>
              ))}
            </tr>
          </thead>
          <tbody>
            {report.confusionMatrix.map((row, i) => {
              const total = row.reduce((a, b) => a + b, 0) || 1;
              return (
                <tr key={i}>
                  <Th scope="row" className="normal-case">
                    {report.classNames?.[i] ?? i}
                  </Th>
                  {row.map((v, j) => (
                    <Td
                      key={j}
                      className="text-center font-mono"
                      style={{
                        backgroundColor: `rgba(${i === j ? '16,185,129' : '239,68,68'},${(v / total) * 0.6})`,
                      }}
                    >
                      {v}
                    </Td>
                  ))}
                </tr>
              );
            })}
          </tbody>
        </Table>
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

export function TestOnDataset({
  projectId,
  resourceId,
  datasets,
}: {
  projectId: number;
  resourceId: number;
  datasets: { id: number; name: string }[];
}) {
  const [dataset, setDataset] = useState(String(datasets[0]?.id ?? ''));
  const [error, setError] = useState<string | null>(null);
  const router = useRouter();
  const { job, follow } = useJob(projectId, () => router.refresh());
  return (
    <form
      aria-label="Test on a dataset"
      className="flex flex-col gap-3"
      onSubmit={async (e) => {
        e.preventDefault();
        setError(null);
        try {
          follow(
            await trpc<Job>('models.evaluate', { projectId, resourceId, datasetResourceId: Number(dataset) }),
          );
        } catch (err) {
          setError((err as Error).message);
        }
      }}
    >
      <Field id="test-dataset" label="Labelled dataset">
        <NativeSelect id="test-dataset" value={dataset} onChange={(e) => setDataset(e.target.value)}>
          {datasets.map((d) => (
            <option key={d.id} value={d.id}>
              {d.name}
            </option>
          ))}
        </NativeSelect>
      </Field>
      <div>
        <Button
          type="submit"
          disabled={!dataset || (job !== null && job.status !== 'COMPLETED' && job.status !== 'FAILED')}
        >
          Run test
        </Button>
      </div>
      <FormError message={error} />
      {job ? <JobProgress job={job} testId="test-job" /> : null}
      {job?.status === 'COMPLETED' && job.result ? (
        <TestReportView report={job.result as TestReport} testId="test-report" />
      ) : null}
    </form>
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
  const router = useRouter();
  const [error, setError] = useState<string | null>(null);
  const [pending, setPending] = useState(false);
  if (deployed && !canUndeploy) return null;
  return (
    <div className="flex flex-col gap-1">
      <Button
        variant={deployed ? 'outline' : 'default'}
        disabled={pending}
        onClick={async () => {
          setPending(true);
          setError(null);
          try {
            await trpc(deployed ? 'models.undeploy' : 'models.deploy', { projectId, resourceId });
            router.refresh();
          } catch (e) {
            setError((e as Error).message);
          } finally {
            setPending(false);
          }
        }}
      >
        {deployed ? 'Undeploy' : 'Deploy this version'}
      </Button>
      <FormError message={error} />
    </div>
  );
}
