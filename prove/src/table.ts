// The suites' printed figures.

/** Prints a figures table: a label column, then one right-aligned column per database. */
export function printTable(rows: string[][], columnWidth = 14): void {
  const width = Math.max(...rows.map((r) => r[0]!.length));
  for (const [label, ...cells] of rows)
    console.log(`${label!.padEnd(width)}  ${cells.map((c) => c.padStart(columnWidth)).join('')}`);
}
