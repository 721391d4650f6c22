'use client';
import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';

const COLORS = ['#4f46e5', '#0891b2', '#d97706', '#db2777', '#16a34a', '#7c3aed'];

/** One sample's readings over time (ms), one line per sensor. */
export function SamplePlot({
  intervalMs,
  sensors,
  values,
}: {
  intervalMs: number;
  sensors: { name: string; units: string }[];
  values: number[][];
}) {
  const data = values.map((row, i) => ({
    t: Math.round(i * intervalMs * 1000) / 1000,
    ...Object.fromEntries(sensors.map((s, j) => [s.name, row[j]])),
  }));
  return (
    <div className="h-72 w-full" data-testid="sample-plot">
      <ResponsiveContainer width="100%" height="100%">
        <LineChart data={data} margin={{ top: 8, right: 16, bottom: 8, left: 0 }}>
          <CartesianGrid strokeDasharray="3 3" />
          <XAxis dataKey="t" type="number" domain={['dataMin', 'dataMax']} unit=" ms" />
          <YAxis />
          <Tooltip />
          <Legend />
          {sensors.map((s, j) => (
            <Line
              key={s.name}
              dataKey={s.name}
              name={`${s.name} (${s.units})`}
              stroke={COLORS[j % COLORS.length]}
              dot={false}
              isAnimationActive={false}
            />
          ))}
        </LineChart>
      </ResponsiveContainer>
    </div>
  );
}
