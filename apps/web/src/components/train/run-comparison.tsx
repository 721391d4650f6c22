'use client';
import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { Card, CardContent, CardHeader, CardTitle } from '@/components/ui/card';
import { Table, Td, Th } from '@/components/ui/misc';
import { ConfusionMatrix } from '@/components/metrics/confusion-matrix';
import { cn } from '@/lib/utils';
import { epochTicks, isUnitMetric, roundValue } from './execution-view';

const COLORS = ['#4f46e5', '#f59e0b', '#10b981', '#ef4444', '#0ea5e9', '#a855f7', '#64748b', '#db2777'];

/** One run as the comparison shows it (read on the server through the services). */
export interface ComparedRun {
  id: number;
  name: string;
  status: string;
  /** Hyperparameters and inputs as label -> shown value. */
  settings: Record<string, string>;
  /** Final evaluation metrics as label -> number. */
  final: Record<string, number>;
  history: { epoch: number; loss: number; metrics: Record<string, number> }[];
  confusionMatrix?: number[][];
  classNames?: string[];
}

/** The first metric key present in any run's history, in order of preference. */
function pick(runs: ComparedRun[], keys: string[]) {
  return keys.find((k) =>
    runs.some((r) => r.history.some((h) => (k === 'loss' ? true : h.metrics[k] !== undefined))),
  );
}

function OverlayChart({
  title,
  runs,
  metric,
  testId,
}: {
  title: string;
  runs: ComparedRun[];
  metric: string;
  testId: string;
}) {
  const last = Math.max(1, ...runs.map((r) => r.history.at(-1)?.epoch ?? 1));
  const rows = Array.from({ length: last }, (_, i) => {
    const row: Record<string, number> = { epoch: i + 1 };
    for (const r of runs) {
      const h = r.history.find((x) => x.epoch === i + 1);
      const v = h ? (metric === 'loss' ? h.loss : h.metrics[metric]) : undefined;
      if (v !== undefined) row[`#${r.id}`] = v;
    }
    return row;
  });
  const unit = isUnitMetric(metric);
  return (
    <Card>
      <CardHeader>
        <CardTitle className="text-base">
          {title} <span className="font-mono text-xs text-slate-500">({metric})</span>
        </CardTitle>
      </CardHeader>
      <CardContent>
        <div
          className="h-64 w-full"
          data-testid={testId}
          data-series={runs.length}
          role="img"
          aria-label={`${title} of ${runs.length} runs`}
        >
          <ResponsiveContainer width="100%" height="100%">
            <LineChart data={rows} margin={{ top: 5, right: 10, bottom: 5, left: 0 }}>
              <CartesianGrid strokeDasharray="3 3" stroke="#94a3b855" />
              <XAxis
                dataKey="epoch"
                type="number"
                domain={[1, last]}
                ticks={epochTicks(last)}
                tick={{ fontSize: 12 }}
              />
              <YAxis
                tick={{ fontSize: 12 }}
                width={56}
                domain={unit ? [0, 1] : ['auto', 'auto']}
                ticks={unit ? [0, 0.2, 0.4, 0.6, 0.8, 1] : undefined}
                tickFormatter={(v: number) => roundValue(v)}
              />
              <Tooltip formatter={(v) => roundValue(v)} labelFormatter={(l) => `Epoch ${String(l)}`} />
              <Legend />
              {runs.map((r, i) => (
                <Line
                  key={r.id}
                  type="monotone"
                  dataKey={`#${r.id}`}
                  name={`#${r.id} ${r.name}`}
                  stroke={COLORS[i % COLORS.length]}
                  dot={false}
                  connectNulls
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

/** Runs side by side: overlaid loss and metric curves, settings and final metrics (differences highlighted), confusion matrices. */
export function RunComparison({ runs }: { runs: ComparedRun[] }) {
  const lossKey = pick(runs, ['val_loss', 'loss']) ?? 'loss';
  const metricKey = pick(runs, ['val_acc', 'val_accuracy', 'acc', 'accuracy', 'val_mae', 'mae']);
  const settingKeys = [...new Set(runs.flatMap((r) => Object.keys(r.settings)))];
  const finalKeys = [...new Set(runs.flatMap((r) => Object.keys(r.final)))];
  return (
    <div className="flex flex-col gap-6">
      <div className="grid gap-4 lg:grid-cols-2">
        <OverlayChart title="Loss" runs={runs} metric={lossKey} testId="compare-loss" />
        {metricKey ? (
          <OverlayChart title="Metric" runs={runs} metric={metricKey} testId="compare-metric" />
        ) : null}
      </div>
      <Card>
        <CardHeader>
          <CardTitle className="text-base">Settings and results</CardTitle>
        </CardHeader>
        <CardContent className="overflow-x-auto">
          <Table data-testid="compare-table">
            <thead>
              <tr>
                <Th />
                {runs.map((r) => (
                  <Th key={r.id} scope="col" className="normal-case">
                    <a className="text-indigo-700 underline dark:text-indigo-300" href={`executions/${r.id}`}>
                      #{r.id}
                    </a>{' '}
                    {r.name}
                  </Th>
                ))}
              </tr>
            </thead>
            <tbody>
              {settingKeys.map((key) => {
                const values = runs.map((r) => r.settings[key] ?? '—');
                const differs = new Set(values).size > 1;
                return (
                  <tr key={key} data-testid="compare-row" data-differs={differs}>
                    <Th scope="row" className="normal-case">
                      {key}
                    </Th>
                    {values.map((v, i) => (
                      <Td key={i} className={cn(differs && 'bg-amber-100 font-medium dark:bg-amber-900/40')}>
                        {v}
                      </Td>
                    ))}
                  </tr>
                );
              })}
              {finalKeys.map((key) => {
                const values = runs.map((r) => r.final[key]);
                const known = values.filter((v): v is number => v !== undefined);
                // The best value is highlighted: highest for accuracy/R², lowest for losses and errors.
                const best = /acc|r2/i.test(key) ? Math.max(...known) : Math.min(...known);
                return (
                  <tr key={key} data-testid="compare-row" data-final={key}>
                    <Th scope="row" className="normal-case">
                      final {key}
                    </Th>
                    {values.map((v, i) => (
                      <Td
                        key={i}
                        className={cn(
                          'font-mono',
                          v === best &&
                            known.length > 1 &&
                            'bg-emerald-100 font-semibold dark:bg-emerald-900/40',
                        )}
                      >
                        {v === undefined ? '—' : roundValue(v)}
                      </Td>
                    ))}
                  </tr>
                );
              })}
            </tbody>
          </Table>
        </CardContent>
      </Card>
      {runs.some((r) => r.confusionMatrix) ? (
        <div className="grid gap-4 md:grid-cols-2 xl:grid-cols-3" data-testid="compare-confusion">
          {runs.map((r) =>
            r.confusionMatrix ? (
              <Card key={r.id}>
                <CardHeader>
                  <CardTitle className="text-sm">
                    #{r.id} {r.name}
                  </CardTitle>
                </CardHeader>
                <CardContent className="overflow-x-auto">
                  <ConfusionMatrix
                    matrix={r.confusionMatrix}
                    classNames={r.classNames}
                    testId="compare-matrix"
                  />
                </CardContent>
              </Card>
            ) : null,
          )}
        </div>
      ) : null}
    </div>
  );
}
