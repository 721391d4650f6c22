import Papa from 'papaparse';

export interface CsvPreview {
  header: string[];
  /** The first data rows, up to `maxRows`. */
  rows: string[][];
  /** Data rows in the text (a cut-off last row not counted). */
  rowCount: number;
}

/**
 * Header, first rows and row count of CSV text, for previews and checks (the training core parses datasets
 * for real). Quoted fields may hold commas and line breaks; empty lines are skipped. Unless `complete`, the
 * text is the head of a larger file: without a final line break its last row may be cut, so it is left out.
 */
export function previewCsv(
  text: string,
  { maxRows = 20, complete = false }: { maxRows?: number; complete?: boolean } = {},
): CsvPreview | null {
  let header: string[] | null = null;
  const rows: string[][] = [];
  let rowCount = 0;
  Papa.parse<string[]>(text.replace(/^\uFEFF/, ''), {
    skipEmptyLines: 'greedy',
    step(result) {
      const record = result.data.map((cell) => cell.trim());
      if (!header) header = record;
      else {
        rowCount++;
        if (rows.length <= maxRows) rows.push(record);
      }
    },
  });
  if (!header) return null;
  if (!complete && rowCount > 0 && !/\r?\n\s*$/.test(text)) {
    rowCount--;
    if (rows.length > rowCount) rows.length = rowCount;
  }
  return { header, rows: rows.slice(0, maxRows), rowCount };
}
