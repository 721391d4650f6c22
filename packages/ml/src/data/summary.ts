import { MlInputError } from '../errors.ts';
import {
  columnFinder,
  dedupeHeader,
  detectDelimiter,
  MAX_LISTED_PROBLEMS,
  problemsError,
  readNumber,
  readRecords,
  type CsvOptions,
  type DataProblem,
} from './csv.ts';
import { parseJsonData } from './json.ts';
import { sampleSize } from './types.ts';

/** Distinct values a column summary counts (a label column with more is not listed class by class). */
export const MAX_CLASSES = 1000;

/** One column of a data summary. */
export interface ColumnSummary {
  name: string;
  /** number: every present cell is a number; text: some are not; empty: every cell is missing. */
  type: 'number' | 'text' | 'empty';
  /** Missing cells (empty, NaN, NA, null, n/a, ...). */
  missing: number;
  /** Present cells that are not numbers. */
  nonNumeric: number;
  /** The first bad cells of this column (missing or not a number), at most 20. */
  problems: DataProblem[];
  /** Distinct present values, counted up to MAX_CLASSES (more: `manyValues`). */
  distinct: number;
  /** More than MAX_CLASSES distinct values. */
  manyValues?: boolean;
  /** Values with their counts, first seen first, when there are at most MAX_CLASSES distinct ones. */
  classes?: { name: string; count: number }[];
}

/**
 * What a dataset holds, computed on upload and kept in the resource's metadata: rows, columns with their
 * types, missing cells, and for each column with few distinct values its classes with counts. Training
 * requests are checked against it without reading the file again.
 */
export interface DataSummary {
  version: 1;
  format: 'csv' | 'json';
  rows: number;
  /** CSV: the separator found (`,` `;` or tab) and whether decimal commas are read. */
  delimiter?: string;
  decimalComma?: boolean;
  columns: ColumnSummary[];
  /** Rows whose cell count differs from the header's (first 20) and how many. */
  ragged: DataProblem[];
  raggedCount: number;
  missingCells: number;
  /** Renamed duplicate columns and the like. */
  warnings: string[];
  /** JSON data: one sample's shape and the label classes (or that labels are numbers). */
  sampleShape?: number[];
  label?: {
    column: string;
    numeric: boolean;
    distinct: number;
    manyValues?: boolean;
    classes?: { name: string; count: number }[];
  };
}

class Counter {
  counts = new Map<string, number>();
  overflow = false;
  add(v: string) {
    if (this.overflow) return; // a column of many values (a numeric feature) costs no more lookups
    const c = this.counts.get(v);
    if (c !== undefined) this.counts.set(v, c + 1);
    else if (this.counts.size < MAX_CLASSES) this.counts.set(v, 1);
    else this.overflow = true;
  }
  get distinct() {
    return this.counts.size;
  }
  list() {
    return this.overflow ? undefined : [...this.counts].map(([name, count]) => ({ name, count }));
  }
}

/** A CSV's records, header first, summarized per column as they stream past. */
class CsvSummarizer {
  private header: string[] | null = null;
  private warnings: string[] = [];
  private readonly columns: { s: ColumnSummary; counter: Counter }[] = [];
  private readonly ragged: DataProblem[] = [];
  private raggedCount = 0;
  private rows = 0;
  private missingCells = 0;

  constructor(
    private delimiter: string,
    private decimalComma: boolean,
    private readonly decimal: CsvOptions['decimal'],
  ) {}

  /** One record as papaparse gives it, with the delimiter it used. */
  record(record: string[], used: string): void {
    if (!this.header) this.readHeader(record, used);
    else this.readRow(record);
  }

  /** The header: column names (deduplicated), the separator and decimal comma; MlInputError when binary. */
  private readHeader(record: string[], used: string): void {
    if (record.some((cell) => cell.includes('\u0000')))
      throw new MlInputError('INVALID_DATA', 'The file is binary, not CSV or JSON data');
    this.delimiter = used;
    this.decimalComma = this.decimal === ',' || (this.decimal !== '.' && used === ';');
    const d = dedupeHeader(record.map((h) => h.trim()));
    this.header = d.names;
    this.warnings = d.warnings;
    for (const name of this.header)
      this.columns.push({
        s: { name, type: 'number', missing: 0, nonNumeric: 0, problems: [], distinct: 0 },
        counter: new Counter(),
      });
  }

  /** A data row: ragged rows listed; each cell counted as missing, not a number, or a value. */
  private readRow(record: string[]): void {
    this.rows++;
    const row = this.rows + 1;
    const header = this.header!;
    if (record.length !== header.length) {
      this.raggedCount++;
      if (this.ragged.length < MAX_LISTED_PROBLEMS)
        this.ragged.push({
          row,
          kind: 'ragged',
          found: `Row ${row} has ${record.length} cells but the header has ${header.length} columns`,
        });
      return;
    }
    for (let i = 0; i < this.columns.length; i++) {
      const col = this.columns[i]!;
      const v = readNumber(record[i]!, this.decimalComma);
      if (typeof v !== 'number' && v.kind === 'missing') {
        col.s.missing++;
        this.missingCells++;
        if (col.s.problems.length < MAX_LISTED_PROBLEMS) col.s.problems.push({ row, column: col.s.name, ...v });
        continue;
      }
      if (!col.counter.overflow) col.counter.add(record[i]!.trim());
      if (typeof v !== 'number') {
        col.s.nonNumeric++;
        if (col.s.problems.length < MAX_LISTED_PROBLEMS) col.s.problems.push({ row, column: col.s.name, ...v });
      }
    }
  }

  /** The summary; MlInputError for a file without a header or without data rows. */
  finish(): DataSummary {
    const { rows, raggedCount } = this;
    if (!this.header) throw new MlInputError('EMPTY_DATA', 'The file is empty: it has no header row');
    if (rows === 0)
      throw new MlInputError('EMPTY_DATA', 'The CSV file has a header but no data rows', { row: 2 });
    return {
      version: 1,
      format: 'csv',
      rows,
      delimiter: this.delimiter,
      decimalComma: this.decimalComma,
      columns: this.columns.map(({ s, counter }) => ({
        ...s,
        type: s.missing === rows - raggedCount ? 'empty' : s.nonNumeric > 0 ? 'text' : 'number',
        distinct: counter.distinct,
        ...(counter.overflow ? { manyValues: true } : {}),
        ...(counter.list() ? { classes: counter.list() } : {}),
      })),
      ragged: this.ragged,
      raggedCount,
      missingCells: this.missingCells,
      warnings: this.warnings,
    };
  }
}

/**
 * Summarizes a dataset file (CSV with a header row, or JSON data). Throws MlInputError for a file that
 * cannot be data at all: empty, no header, no data rows, not JSON, binary, an unclosed quote. Bad cells do
 * not throw: they are counted per column (see `dataFacts`, which decides what a training can use).
 */
export async function summarizeData(
  input: Uint8Array | NodeJS.ReadableStream,
  file: { name: string; contentType?: string | null },
  options: Pick<CsvOptions, 'delimiter' | 'decimal'> = {},
): Promise<DataSummary> {
  const json = file.name.toLowerCase().endsWith('.json') || !!file.contentType?.includes('json');
  if (json || input instanceof Uint8Array) {
    const buffer =
      input instanceof Uint8Array ? Buffer.from(input.buffer, input.byteOffset, input.byteLength) : await collect(input);
    if (buffer.length === 0) throw new MlInputError('EMPTY_DATA', 'The file is empty (0 bytes)');
    if (buffer.subarray(0, 8192).includes(0))
      throw new MlInputError('INVALID_DATA', 'The file is binary, not CSV or JSON data');
    if (json) return summarizeJson(buffer.toString('utf8'));
    input = buffer;
  }
  const head = input instanceof Uint8Array ? headOf(input) : null;
  if (head === '') throw new MlInputError('EMPTY_DATA', 'The file has no header row (it is blank)');
  // '' lets papaparse guess on a stream; the first record tells which separator it chose.
  const delimiter = options.delimiter ?? (head !== null ? detectDelimiter(head) : '');
  const summary = new CsvSummarizer(delimiter, options.decimal === ',', options.decimal);
  await readRecords(input, delimiter, (record, used) => summary.record(record, used));
  return summary.finish();
}

async function collect(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk));
  return Buffer.concat(chunks);
}

function headOf(bytes: Uint8Array): string {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.byteLength, 65536)).toString('utf8');
  return text.replace(/^\uFEFF/, '').split(/\r?\n/).find((l) => l.trim() !== '') ?? '';
}

function summarizeJson(text: string): DataSummary {
  const data = parseJsonData(text, { labelKind: 'categorical' });
  const numeric = (() => {
    try {
      parseJsonData(text, { labelKind: 'numeric' });
      return true;
    } catch {
      return false;
    }
  })();
  const counter = new Counter();
  if (data.labels.kind === 'categorical') {
    const counts = new Array<number>(data.labels.classNames.length).fill(0);
    for (const i of data.labels.indices) counts[i]!++;
    data.labels.classNames.forEach((name, i) => {
      for (let k = 0; k < counts[i]!; k++) counter.add(name);
    });
  }
  return {
    version: 1,
    format: 'json',
    rows: data.numSamples,
    columns: [],
    ragged: [],
    raggedCount: 0,
    missingCells: 0,
    warnings: [],
    sampleShape: data.sampleShape,
    label: {
      column: 'y',
      numeric,
      distinct: counter.distinct,
      ...(counter.overflow ? { manyValues: true } : {}),
      ...(counter.list() ? { classes: counter.list() } : {}),
    },
  };
}

/** What a training needs to know of its data: the feature columns and shape, and the labels. */
export interface DataFacts {
  featureNames: string[];
  sampleShape: number[];
  labels:
    | {
        kind: 'categorical';
        column: string;
        classNames: string[];
        /** Distinct labels; null when there are more than MAX_CLASSES (not counted exactly). */
        classCount: number | null;
      }
    | { kind: 'numeric'; columns: string[] };
  warnings: string[];
}

/**
 * The facts a training of this data would see, read from a summary with the task's CSV options (label and
 * feature columns, missing-value policy). Throws what parsing the file would: a missing column, and every
 * bad cell of the columns used at once (the first 20 with row and column, and the count of the rest).
 */
export function dataFacts(summary: DataSummary, options: CsvOptions): DataFacts {
  const labelKind = options.labelKind ?? 'categorical';
  if (summary.format === 'json') {
    const label = summary.label!;
    if (labelKind === 'numeric' && !label.numeric)
      throw new MlInputError('NON_NUMERIC', 'Regression needs numeric targets, but the JSON labels are not numbers', {
        column: 'y',
      });
    const size = sampleSize(summary.sampleShape ?? [0]);
    return {
      featureNames: Array.from({ length: size }, (_, i) => `f${i}`),
      sampleShape: summary.sampleShape ?? [size],
      labels:
        labelKind === 'numeric'
          ? { kind: 'numeric', columns: ['y0'] }
          : {
              kind: 'categorical',
              column: 'y',
              classNames: label.classes?.map((c) => c.name) ?? [],
              classCount: label.manyValues ? null : label.distinct,
            },
      warnings: [],
    };
  }
  const names = summary.columns.map((c) => c.name);
  const find = columnFinder(names);
  const labelIdx = (options.labelColumns ?? [names[names.length - 1]!]).map(find);
  if (labelKind === 'categorical' && labelIdx.length !== 1)
    throw new MlInputError('INVALID_DATA', 'Classification takes exactly one label column', { field: 'target' });
  const featureIdx = options.featureColumns
    ? options.featureColumns.map(find)
    : names.map((_, i) => i).filter((i) => !labelIdx.includes(i));
  if (featureIdx.length === 0)
    throw new MlInputError(
      'INVALID_DATA',
      `The CSV has no feature columns (header: ${names.map((n) => `"${n.slice(0, 40)}"`).join(', ')}); separate columns with commas, semicolons or tabs`,
    );
  const policy = options.missing ?? 'fail';
  const problems: DataProblem[] = [...summary.ragged];
  let total = summary.raggedCount;
  const take = (i: number, numeric: boolean) => {
    const c = summary.columns[i]!;
    for (const p of c.problems) {
      if (p.kind === 'missing' && policy !== 'fail' && !(policy !== 'drop' && labelIdx.includes(i))) continue;
      if (p.kind !== 'missing' && !numeric) continue;
      problems.push(labelIdx.includes(i) && p.kind === 'missing' ? { ...p, found: p.found.replace('value', labelKind === 'numeric' ? 'target' : 'label') } : p);
    }
    if (policy === 'fail' || (policy !== 'drop' && labelIdx.includes(i))) total += c.missing;
    if (numeric) total += c.nonNumeric;
  };
  for (const i of featureIdx) take(i, true);
  for (const i of labelIdx) take(i, labelKind === 'numeric');
  if (total > 0) {
    problems.sort((a, b) => a.row - b.row || names.indexOf(a.column ?? '') - names.indexOf(b.column ?? ''));
    throw problemsError(problems.slice(0, MAX_LISTED_PROBLEMS), total);
  }
  if (labelKind === 'numeric')
    return {
      featureNames: featureIdx.map((i) => names[i]!),
      sampleShape: [featureIdx.length],
      labels: { kind: 'numeric', columns: labelIdx.map((i) => names[i]!) },
      warnings: summary.warnings,
    };
  const label = summary.columns[labelIdx[0]!]!;
  return {
    featureNames: featureIdx.map((i) => names[i]!),
    sampleShape: [featureIdx.length],
    labels: {
      kind: 'categorical',
      column: label.name,
      classNames: label.classes?.map((c) => c.name) ?? [],
      classCount: label.manyValues ? null : label.distinct,
    },
    warnings: summary.warnings,
  };
}
