import { Table, Td, Th } from '@/components/ui/misc';

/**
 * A confusion matrix as a table: rows are the actual class, columns the predicted one (`matrix[i][j]`
 * counts samples of class i predicted as j), headed by `classNames` (the class index when absent). A cell
 * is tinted by its share of the row: green on the diagonal (right), red off it (wrong).
 */
export function ConfusionMatrix({
  matrix,
  classNames,
  testId,
}: {
  matrix: number[][];
  classNames?: string[] | null;
  testId?: string;
}) {
  return (
    <Table data-testid={testId} className="w-auto">
      <caption className="mt-2 text-xs text-slate-500">Rows: actual class · columns: predicted class</caption>
      <thead>
        <tr>
          <Th />
          {matrix.map((_, j) => (
            <Th key={j} scope="col" className="normal-case">
              {classNames?.[j] ?? j}
            </Th>
          ))}
        </tr>
      </thead>
      <tbody>
        {matrix.map((row, i) => {
          const total = row.reduce((a, b) => a + b, 0) || 1;
          return (
            <tr key={i}>
              <Th scope="row" className="normal-case">
                {classNames?.[i] ?? i}
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
  );
}
