'use client';
import { Download, Square, XCircle } from 'lucide-react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useCallback, useEffect, useRef, useState, useTransition } from 'react';
import {
  CartesianGrid,
  Legend,
  Line,
  LineChart,
  ReferenceLine,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import { StatusBadge } from '@/components/ui/badge';
import { Button } from '@/components/ui/button';
import { Card, CardContent, CardHeader, CardTitle } from '@/components/ui/card';
import { FormError, Table, Td, Th } from '@/components/ui/misc';
import { ConfusionMatrix } from '@/components/metrics/confusion-matrix';
import { Tabs, TabsContent, TabsList, TabsTrigger } from '@/components/ui/tabs';
import { formatDate, formatDuration } from '@/lib/utils';
import { attempt } from '@/trpc/form';
import { useTRPC } from '@/trpc/react';
import { isTerminal, trainingStages, type TrainingStage } from '@trainhub/db/contracts';

const COLORS = ['#4f46e5', '#f59e0b', '#10b981', '#ef4444', '#0ea5e9', '#a855f7'];

interface Metrics {
  loss?: number;
  accuracy?: number;
  classNames?: string[];
  confusionMatrix?: number[][];
  report?: Record<string, { precision: number; recall: number; f1: number; support: number }>;
  mse?: number;
  mae?: number;
  r2?: number;
  samples?: { train: number; test: number };
  /** `test` only when early stopping and the epoch charts never saw those rows (packages/ml evaluatedOn). */
  evaluatedOn?: 'test' | 'validation' | 'training';
}
interface Progress {
  execution: {
    id: number;
    taskId: number;
    status: string;
    stage: string | null;
    message: string | null;
    error: string | null;
    backend: string | null;
    attempt: number;
    stopRequest: string | null;
    modelResourceId: number | null;
    createdAt: string;
    startedAt: string | null;
    finishedAt: string | null;
    dueAt: string;
    stageLog: Partial<Record<TrainingStage, string>>;
    metrics: Metrics | null;
  };
  history: {
    epoch: number;
    loss: number;
    metrics: Record<string, number>;
    durationMs?: number;
    samplesPerSecond?: number;
  }[];
  logs: { seq: number; kind: string; level: string | null; message: string | null; at: string }[];
}

/** Metrics that live in [0, 1] (accuracy, precision, recall, AUC, F1): their axis is drawn 0..1. */
export const isUnitMetric = (key: string) =>
  /(^|_)(acc|accuracy|binary_accuracy|categorical_accuracy|precision|recall|auc|f1)$/i.test(key);

/** Evenly spaced epoch ticks: multiples of 1, 2 or 5 × 10^k, about eight of them. */
export function epochTicks(last: number): number[] {
  if (last <= 1) return [1];
  const raw = last / 8;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = Math.max(1, [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) ?? magnitude * 10);
  const ticks: number[] = [];
  for (let t = step; t <= last; t += step) ticks.push(t);
  return ticks;
}

/** A value for the tooltip and axis labels: four significant digits, no float noise (0.30000000000000004). */
export function roundValue(value: unknown): string {
  if (typeof value !== 'number' || !Number.isFinite(value)) return String(value ?? '—');
  if (value === 0) return '0';
  const abs = Math.abs(value);
  if (abs >= 1e5 || abs < 1e-4) return value.toExponential(2);
  return String(Number(value.toPrecision(4)));
}

function Chart({
  title,
  data,
  keys,
  testId,
  logToggle = false,
  bestEpoch,
}: {
  title: string;
  data: Record<string, number>[];
  keys: string[];
  testId: string;
  /** Offers a log-scale y axis (for the loss, which falls over orders of magnitude). */
  logToggle?: boolean;
  /** The epoch to mark (the lowest validation loss, else the lowest loss). */
  bestEpoch?: number;
}) {
  const [log, setLog] = useState(false);
  const unit = keys.length > 0 && keys.every(isUnitMetric);
  // A log axis cannot show 0 or negative values: it is offered only when every value is positive.
  const canLog = logToggle && data.every((row) => keys.every((k) => row[k] === undefined || row[k] > 0));
  const useLog = log && canLog;
  const lastEpoch = data.at(-1)?.epoch ?? 1;
  return (
    <Card>
      <CardHeader className="flex flex-row items-center justify-between gap-2">
        <CardTitle className="text-base">{title}</CardTitle>
        {logToggle ? (
          <label className="flex items-center gap-2 text-xs text-slate-500">
            <input
              type="checkbox"
              checked={useLog}
              disabled={!canLog}
              onChange={(e) => setLog(e.target.checked)}
              data-testid={`${testId}-log`}
            />
            Log scale
          </label>
        ) : null}
      </CardHeader>
      <CardContent>
        <div
          className="h-64 w-full"
          data-testid={testId}
          data-points={data.length}
          data-y-domain={unit ? '0-1' : useLog ? 'log' : 'auto'}
          data-best-epoch={bestEpoch}
          role="img"
          aria-label={`${title} chart, ${data.length} epochs`}
        >
          <ResponsiveContainer width="100%" height="100%">
            <LineChart data={data} margin={{ top: 5, right: 10, bottom: 5, left: 0 }}>
              <CartesianGrid strokeDasharray="3 3" stroke="#94a3b855" />
              <XAxis
                dataKey="epoch"
                type="number"
                domain={[1, Math.max(1, lastEpoch)]}
                ticks={epochTicks(lastEpoch)}
                tick={{ fontSize: 12 }}
                allowDecimals={false}
              />
              <YAxis
                tick={{ fontSize: 12 }}
                width={56}
                scale={useLog ? 'log' : 'auto'}
                domain={unit ? [0, 1] : ['auto', 'auto']}
                ticks={unit ? [0, 0.2, 0.4, 0.6, 0.8, 1] : undefined}
                allowDataOverflow={unit}
                tickFormatter={(v: number) => roundValue(v)}
              />
              <Tooltip
                formatter={(value) => roundValue(value)}
                labelFormatter={(label) => `Epoch ${String(label)}`}
              />
              {bestEpoch !== undefined ? (
                <ReferenceLine
                  x={bestEpoch}
                  stroke="#10b981"
                  strokeDasharray="4 2"
                  label={{ value: `best ${bestEpoch}`, position: 'insideTopRight', fontSize: 11 }}
                />
              ) : null}
              <Legend />
              {keys.map((k, i) => (
                <Line
                  key={k}
                  type="monotone"
                  dataKey={k}
                  stroke={COLORS[i % COLORS.length]}
                  dot={data.length < 30}
                  isAnimationActive={false}
                />
              ))}
            </LineChart>
          </ResponsiveContainer>
        </div>
      </CardContent>
    </Card>
  );
}

function fmt(v: number | undefined, digits = 4) {
  return v === undefined ? '—' : v.toFixed(digits);
}

export function ExecutionView({
  projectId,
  taskName,
  initial,
  canWrite,
  totalEpochs,
  rerunHref,
}: {
  projectId: number;
  taskName: string;
  initial: Progress;
  canWrite: boolean;
  /** The epochs the run was asked for (its hyperparameters): "epoch N of M" and the time left. */
  totalEpochs?: number;
  /** The Train form prefilled with this run's settings. */
  rerunHref?: string;
}) {
  const [data, setData] = useState<Progress>(initial);
  const [logs, setLogs] = useState(initial.logs);
  const lastSeq = useRef(initial.logs.at(-1)?.seq ?? 0);
  const lastEpoch = useRef(initial.history.at(-1)?.epoch ?? 0);
  const trpc = useTRPC();
  const stopRun = useMutation(trpc.executions.stop.mutationOptions());
  const cancelRun = useMutation(trpc.executions.cancel.mutationOptions());
  const rerun = useMutation(trpc.tasks.rerun.mutationOptions());
  const [pending, start] = useTransition();
  // The clock for running durations: set after mount (server and client must render the same first).
  const [now, setNow] = useState<number | null>(null);
  const [notice, setNotice] = useState<{ error?: string; message?: string } | null>(null);
  const status = data.execution.status;
  const done = isTerminal(status);

  const queryClient = useQueryClient();
  // The poll goes through React Query (executions.progress) with nothing kept fresh: each one asks only for
  // what is after the last epoch and log line seen, so an answer is never reused.
  const poll = useCallback(async () => {
    const next: Progress = await queryClient.fetchQuery({
      ...trpc.executions.progress.queryOptions({
        projectId,
        executionId: initial.execution.id,
        afterSeq: lastSeq.current,
        afterEpoch: lastEpoch.current,
      }),
      staleTime: 0,
      gcTime: 0,
    });
    // The poll brings the epochs after the last one seen: append them.
    const fresh = next.history.filter((h) => h.epoch > lastEpoch.current);
    if (fresh.length) lastEpoch.current = fresh.at(-1)!.epoch;
    setData((current) => ({ ...next, history: [...current.history, ...fresh] }));
    setNow(Date.now());
    if (next.logs.length) {
      lastSeq.current = next.logs.at(-1)!.seq;
      setLogs((current) => [...current, ...next.logs].slice(-2000));
    }
  }, [initial.execution.id, projectId, queryClient, trpc]);

  useEffect(() => setNow(Date.now()), []);

  // When the run ends, the server-rendered parts of the page (the trained model's link) are read again.
  const router = useRouter();
  const wasDone = useRef(done);
  useEffect(() => {
    if (done && !wasDone.current) router.refresh();
    wasDone.current = done;
  }, [done, router]);

  useEffect(() => {
    if (done) return;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout>;
    const loop = async () => {
      await poll().catch(() => undefined);
      if (!stopped) timer = setTimeout(loop, 1000);
    };
    timer = setTimeout(loop, 1000);
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [done, poll]);

  const e = data.execution;
  const history = data.history.map((h) => ({ epoch: h.epoch, loss: h.loss, ...h.metrics }));
  const metricKeys = [...new Set(data.history.flatMap((h) => Object.keys(h.metrics)))];
  const lossKeys = ['loss', ...metricKeys.filter((k) => k === 'val_loss')];
  const otherKeys = metricKeys.filter((k) => k !== 'val_loss' && k !== 'loss');
  const bestKey = lossKeys.includes('val_loss') ? 'val_loss' : 'loss';
  const bestEpoch = history.reduce<{ epoch: number; value: number } | undefined>((best, row) => {
    const value = (row as Record<string, number>)[bestKey];
    return typeof value === 'number' && (!best || value < best.value) ? { epoch: row.epoch, value } : best;
  }, undefined)?.epoch;
  const m = e.metrics;
  const started = e.startedAt ? new Date(e.startedAt).getTime() : null;
  const finished = e.finishedAt ? new Date(e.finishedAt).getTime() : null;
  const epochsDone = data.history.at(-1)?.epoch ?? 0;
  const elapsed = started && (finished ?? now) ? (finished ?? now)! - started : null;
  // Time left: the mean epoch time of the last (up to) five epochs times the epochs still to run.
  const recent = data.history
    .slice(-5)
    .map((h) => h.durationMs)
    .filter((d): d is number => d !== undefined);
  const epochMs = recent.length ? recent.reduce((a, b) => a + b, 0) / recent.length : null;
  const timeLeft =
    !done && totalEpochs && epochMs !== null ? Math.max(0, totalEpochs - epochsDone) * epochMs : null;
  const throughput = data.history.at(-1)?.samplesPerSecond;

  function stop(kind: 'STOP' | 'CANCEL') {
    start(async () => {
      const outcome = await attempt(() =>
        (kind === 'STOP' ? stopRun : cancelRun).mutateAsync({ executionId: e.id }),
      );
      setNotice(
        outcome.error
          ? outcome
          : { message: kind === 'STOP' ? 'Stopping after the current batch…' : 'Cancelling…' },
      );
      await poll();
    });
  }

  return (
    <div className="flex flex-col gap-6">
      <div className="flex flex-col gap-3 sm:flex-row sm:items-start sm:justify-between">
        <div>
          <h1 className="text-2xl font-semibold tracking-tight">
            {taskName} <span className="text-slate-500">#{e.id}</span>
          </h1>
          <div className="mt-2 flex flex-wrap items-center gap-2 text-sm text-slate-500">
            <span data-testid="execution-status" data-status={e.status}>
              <StatusBadge status={e.status} />
            </span>
            {e.stage && !done ? <span>stage {e.stage}</span> : null}
            {e.message ? <span>· {e.message}</span> : null}
          </div>
        </div>
        <div className="flex flex-wrap gap-2">
          {canWrite && !done ? (
            <>
              <Button variant="outline" disabled={pending || !!e.stopRequest} onClick={() => stop('STOP')}>
                <Square /> Stop early
              </Button>
              <Button
                variant="destructive"
                disabled={pending || e.stopRequest === 'CANCEL'}
                onClick={() => stop('CANCEL')}
              >
                <XCircle /> Cancel
              </Button>
            </>
          ) : null}
          {canWrite && done ? (
            <>
              {rerunHref ? (
                <Button asChild variant="outline">
                  <Link href={rerunHref} data-testid="run-again">
                    Run again…
                  </Link>
                </Button>
              ) : null}
              <Button
                variant="ghost"
                disabled={pending}
                onClick={() =>
                  start(async () => {
                    let id = 0;
                    const outcome = await attempt(async () => {
                      id = (await rerun.mutateAsync({ taskId: e.taskId })).id;
                    });
                    if (outcome.error) setNotice(outcome);
                    else router.push(`/projects/${projectId}/executions/${id}`);
                  })
                }
              >
                Rerun unchanged
              </Button>
            </>
          ) : null}
          {e.modelResourceId ? (
            <Button asChild>
              <a
                href={`/api/ui/projects/${projectId}/resources/${e.modelResourceId}`}
                download
                data-testid="download-model"
              >
                <Download /> Download model
              </a>
            </Button>
          ) : null}
        </div>
      </div>
      <FormError message={notice?.error} />
      {notice?.message && !done ? (
        <p className="text-sm text-slate-500" data-testid="stop-notice">
          {notice.message}
        </p>
      ) : null}
      {e.error ? (
        <p
          role="alert"
          className="rounded-lg border border-red-200 bg-red-50 p-3 text-sm text-red-800 dark:border-red-900 dark:bg-red-950 dark:text-red-200"
        >
          {e.error}
        </p>
      ) : null}

      <dl className="grid grid-cols-2 gap-4 text-sm sm:grid-cols-3 lg:grid-cols-6">
        {[
          ['Created', formatDate(e.createdAt)],
          ['Due', formatDate(e.dueAt)],
          ['Started', formatDate(e.startedAt)],
          [done ? 'Duration' : 'Elapsed', elapsed !== null ? formatDuration(elapsed) : '—'],
          ['Backend', e.backend ?? '—'],
          ['Epochs', String(data.history.length)],
          ['Progress', totalEpochs ? `epoch ${epochsDone} of ${totalEpochs}` : `epoch ${epochsDone}`],
          ['Time left', done ? '—' : timeLeft !== null ? `about ${formatDuration(timeLeft)}` : '—'],
          ['Samples/s', throughput !== undefined ? Math.round(throughput).toLocaleString('en') : '—'],
        ].map(([label, value]) => (
          <div key={label}>
            <dt className="text-slate-500">{label}</dt>
            <dd
              className="font-medium"
              data-testid={
                label === 'Epochs'
                  ? 'epoch-count'
                  : label === 'Backend'
                    ? 'backend'
                    : label === 'Progress'
                      ? 'epoch-progress'
                      : undefined
              }
            >
              {value}
            </dd>
          </div>
        ))}
      </dl>

      <div className="grid gap-4 lg:grid-cols-2">
        <Chart
          title="Loss"
          data={history}
          keys={lossKeys}
          testId="loss-chart"
          logToggle
          bestEpoch={history.length > 1 ? bestEpoch : undefined}
        />
        <Chart
          title={otherKeys.some((k) => k.includes('acc')) ? 'Accuracy' : 'Metrics'}
          data={history}
          keys={otherKeys}
          testId="metric-chart"
        />
      </div>

      {m ? (
        <Card data-testid="final-metrics">
          <CardHeader>
            <CardTitle>
              Evaluation on the{' '}
              {m.evaluatedOn === 'test' ? 'test' : m.evaluatedOn === 'training' ? 'training' : 'validation'}{' '}
              data
            </CardTitle>
          </CardHeader>
          <CardContent className="flex flex-col gap-4">
            <dl className="flex flex-wrap gap-6 text-sm">
              {m.accuracy !== undefined ? (
                <div>
                  <dt className="text-slate-500">Accuracy</dt>
                  <dd className="text-xl font-semibold">{(m.accuracy * 100).toFixed(1)}%</dd>
                </div>
              ) : null}
              {m.loss !== undefined ? (
                <div>
                  <dt className="text-slate-500">Loss</dt>
                  <dd className="text-xl font-semibold">{fmt(m.loss)}</dd>
                </div>
              ) : null}
              {(['mse', 'mae', 'r2'] as const).map((k) =>
                m[k] !== undefined ? (
                  <div key={k}>
                    <dt className="text-slate-500">{k.toUpperCase()}</dt>
                    <dd className="text-xl font-semibold">{fmt(m[k])}</dd>
                  </div>
                ) : null,
              )}
              {m.samples ? (
                <div>
                  <dt className="text-slate-500">Samples</dt>
                  <dd>
                    {m.samples.train} train · {m.samples.test} test
                  </dd>
                </div>
              ) : null}
            </dl>
            {m.confusionMatrix ? (
              <div>
                <h3 className="mb-2 font-medium">Confusion matrix</h3>
                <ConfusionMatrix
                  matrix={m.confusionMatrix}
                  classNames={m.classNames}
                  testId="confusion-matrix"
                />
              </div>
            ) : null}
            {m.report ? (
              <Table className="max-w-xl">
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
                  {Object.entries(m.report).map(([name, r]) => (
                    <tr key={name}>
                      <Td>{name}</Td>
                      <Td>{fmt(r.precision, 3)}</Td>
                      <Td>{fmt(r.recall, 3)}</Td>
                      <Td>{fmt(r.f1, 3)}</Td>
                      <Td>{r.support}</Td>
                    </tr>
                  ))}
                </tbody>
              </Table>
            ) : null}
          </CardContent>
        </Card>
      ) : null}

      <Tabs defaultValue="stages">
        <TabsList>
          <TabsTrigger value="stages">Stage log</TabsTrigger>
          <TabsTrigger value="stdout">Output ({logs.length})</TabsTrigger>
        </TabsList>
        <TabsContent value="stages">
          <ol className="flex flex-col gap-1 text-sm" data-testid="stage-log">
            {trainingStages.map((stage) => (
              <li key={stage} className="flex gap-3">
                <code className={`w-40 shrink-0 ${e.stageLog[stage] ? '' : 'text-slate-400'}`}>{stage}</code>
                <span className="text-slate-600 dark:text-slate-400">{e.stageLog[stage] ?? '—'}</span>
              </li>
            ))}
          </ol>
        </TabsContent>
        <TabsContent value="stdout">
          <pre
            className="max-h-96 overflow-auto rounded-lg bg-slate-950 p-3 text-xs text-slate-100"
            data-testid="stdout"
            tabIndex={0}
            aria-label="Training output"
          >
            {logs.length
              ? logs.map((l) => `${l.kind === 'STAGE' ? '» ' : ''}${l.message ?? ''}`).join('\n')
              : 'No output yet.'}
          </pre>
        </TabsContent>
      </Tabs>
    </div>
  );
}
