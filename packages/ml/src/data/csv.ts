import Papa from 'papaparse';
import { MlInputError, type MlInputErrorCode } from '../errors.ts';
import type { Dataset } from './types.ts';

/** What to do with missing cells (empty, NaN, NA, null, n/a, ...) in feature and label columns. */
export type MissingPolicy = 'fail' | 'drop' | 'mean' | 'median';

export interface CsvOptions {
  /** Label/target column(s) by header name. Default: the last column. */
  labelColumns?: string[];
  /** 'categorical' (string labels, classification) or 'numeric' (regression targets). Default categorical. */
  labelKind?: 'categorical' | 'numeric';
  /** Feature columns to keep (default: every column that is not a label). */
  featureColumns?: string[];
  /** Field delimiter. Default: detected from the header line (comma, semicolon or tab). */
  delimiter?: string;
  /**
   * Decimal separator of numbers. Default 'auto': a decimal comma (`21,5`) is read as 21.5 when the fields
   * are separated by `;` (a European export) and refused naming the cell otherwise.
   */
  decimal?: '.' | ',' | 'auto';
  /**
   * Missing cells: 'fail' (default) refuses the data listing them; 'drop' leaves out rows that have one;
   * 'mean' / 'median' keep the row with NaN in the feature (preprocess fills it from the training rows).
   * A missing label is refused unless 'drop'.
   */
  missing?: MissingPolicy;
  /** Two columns with the same name: 'rename' (default; the later ones get `_2`, `_3` and a warning) or 'fail'. */
  duplicateColumns?: 'rename' | 'fail';
}

/** The spellings of a missing value (compared case-insensitively after trimming). */
export const MISSING_SPELLINGS = ['', 'nan', 'na', 'n/a', 'null', 'none', 'nil', '?', '-'];
const MISSING = new Set(MISSING_SPELLINGS);

/** True when a cell is one of the common spellings of a missing value. */
export function isMissingCell(cell: string): boolean {
  return MISSING.has(cell.trim().toLowerCase());
}

/** One bad cell (or row) of a data file; rows are numbered as in the file (header = row 1). */
export interface DataProblem {
  row: number;
  column?: string;
  /** What was found, e.g. `missing value (NA)`, `"abc" is not a number`. */
  found: string;
  kind: 'missing' | 'not-a-number' | 'non-finite' | 'ragged' | 'decimal-comma';
}

/** Problems listed in one error, at most this many; the rest are counted. */
export const MAX_LISTED_PROBLEMS = 20;

/** Collects bad cells: the first 20 kept, the rest counted. */
export class ProblemList {
  readonly listed: DataProblem[] = [];
  total = 0;
  add(problem: DataProblem) {
    this.total++;
    if (this.listed.length < MAX_LISTED_PROBLEMS) this.listed.push(problem);
  }
  /** Throws one MlInputError listing every problem collected (none: returns). */
  throwIfAny(): void {
    if (this.total === 0) return;
    throw problemsError(this.listed, this.total);
  }
}

const PROBLEM_CODES: Record<DataProblem['kind'], MlInputErrorCode> = {
  missing: 'MISSING_VALUES',
  'not-a-number': 'NON_NUMERIC',
  'non-finite': 'NON_FINITE',
  ragged: 'RAGGED_ROW',
  'decimal-comma': 'NON_NUMERIC',
};

export function describeProblem(p: DataProblem): string {
  if (p.kind === 'ragged') return p.found;
  return p.column === undefined ? `Row ${p.row}: ${p.found}` : `Row ${p.row}, column "${p.column}": ${p.found}`;
}

/**
 * One MlInputError for all the bad cells of a data set: each listed with row, column and what was found,
 * the count of the rest, and a hint for missing values and decimal commas. `details.problems` holds the list.
 */
export function problemsError(listed: DataProblem[], total: number): MlInputError {
  const first = listed[0]!;
  const more = total - listed.length;
  const lines = listed.map(describeProblem);
  let message =
    total === 1 ? lines[0]! : `${total} problems in the data: ${lines.join('; ')}${more > 0 ? `; and ${more} more` : ''}`;
  if (listed.some((p) => p.kind === 'missing'))
    message +=
      '. Missing values: set "missing" in the preprocessing spec to "drop" (leave those rows out), "mean" or "median" (fill from the training rows)';
  if (listed.some((p) => p.kind === 'decimal-comma'))
    message += '. Decimal commas are read only in files separated by ";" (or set "decimal": "," in the preprocessing spec)';
  return new MlInputError(PROBLEM_CODES[first.kind], message, {
    row: first.row,
    ...(first.column !== undefined ? { column: first.column } : {}),
    problems: listed,
    more,
  });
}

/** Picks the delimiter of a header line: the most frequent of `,`, `;` and tab outside quotes (`,` on a tie). */
export function detectDelimiter(headerLine: string): ',' | ';' | '\t' {
  const counts = { ',': 0, ';': 0, '\t': 0 };
  let quoted = false;
  for (const ch of headerLine) {
    if (ch === '"') quoted = !quoted;
    else if (!quoted && (ch === ',' || ch === ';' || ch === '\t')) counts[ch]++;
  }
  let best: ',' | ';' | '\t' = ',';
  for (const d of [';', '\t'] as const) if (counts[d] > counts[best]) best = d;
  return best;
}

/** The first non-empty line of a text or buffer (for delimiter detection); null for a stream. */
function headLine(input: string | Buffer | Uint8Array | NodeJS.ReadableStream): string | null {
  let text: string;
  if (typeof input === 'string') text = input.slice(0, 65536);
  else if (input instanceof Uint8Array)
    text = Buffer.from(input.buffer, input.byteOffset, Math.min(input.byteLength, 65536)).toString('utf8');
  else return null;
  return text.replace(/^\uFEFF/, '').split(/\r?\n/).find((l) => l.trim() !== '') ?? '';
}

/** Unique column names: later copies of a name get `_2`, `_3` ...; returns the warnings it made. */
export function dedupeHeader(names: string[], policy: 'rename' | 'fail' = 'rename'): { names: string[]; warnings: string[] } {
  const seen = new Map<string, number[]>();
  names.forEach((n, i) => seen.set(n, [...(seen.get(n) ?? []), i]));
  const out = [...names];
  const warnings: string[] = [];
  const taken = new Set(names);
  for (const [name, positions] of seen) {
    if (positions.length < 2) continue;
    const where = positions.map((p) => p + 1).join(', ');
    if (policy === 'fail') {
      throw new MlInputError('DUPLICATE_COLUMN', `Column "${name}" appears ${positions.length} times in the header (columns ${where})`, {
        column: name,
      });
    }
    positions.slice(1).forEach((p, k) => {
      let n = k + 2;
      while (taken.has(`${name}_${n}`)) n++;
      out[p] = `${name}_${n}`;
      taken.add(out[p]!);
    });
    warnings.push(
      `Column "${name}" appears ${positions.length} times in the header (columns ${where}); renamed to ${positions.map((p) => `"${out[p]}"`).join(', ')}`,
    );
  }
  return { names: out, warnings };
}

/**
 * Growable float storage in fixed 4 MiB chunks, joined once at the end: the peak while parsing stays near
 * twice the final size (no doubling copies), and rows never become arrays of numbers.
 */
class FloatBuilder {
  private chunks: Float32Array[] = [];
  private current: Float32Array;
  private pos = 0;
  length = 0;
  constructor(private chunkSize = 1 << 20) {
    this.current = new Float32Array(chunkSize);
  }
  push(v: number) {
    if (this.pos === this.chunkSize) {
      this.chunks.push(this.current);
      this.current = new Float32Array(this.chunkSize);
      this.pos = 0;
    }
    this.current[this.pos++] = v;
    this.length++;
  }
  finish(): Float32Array {
    const out = new Float32Array(this.length);
    let offset = 0;
    for (const c of this.chunks) {
      out.set(c, offset);
      offset += c.length;
    }
    out.set(this.current.subarray(0, this.pos), offset);
    this.chunks = [];
    this.current = new Float32Array(0);
    return out;
  }
}

const DECIMAL_COMMA = /^[-+]?\d+,\d+([eE][-+]?\d+)?$/;

/** A cell as a number, or the problem it has (missing, not a number, not finite, a decimal comma). */
export function readNumber(cell: string, decimalComma: boolean): number | Omit<DataProblem, 'row' | 'column'> {
  const t = cell.trim();
  if (t !== '') {
    const fast = Number(t); // the common case: a plain number
    if (Number.isFinite(fast)) return fast;
  }
  if (MISSING.has(t.toLowerCase())) return { kind: 'missing', found: `missing value (${t === '' ? 'empty' : t})` };
  if (DECIMAL_COMMA.test(t)) {
    if (decimalComma) return Number(t.replace(',', '.'));
    return { kind: 'decimal-comma', found: `"${t}" has a decimal comma` };
  }
  const v = t === '' ? NaN : Number(t);
  if (Number.isNaN(v)) return { kind: 'not-a-number', found: `"${t.slice(0, 40)}" is not a number` };
  if (!Number.isFinite(v)) return { kind: 'non-finite', found: `${t} is not a finite number` };
  return v;
}

/**
 * Calls `onRecord` with each record of a CSV source, streaming (papaparse: 17x the rows per second csv-parse gave us on
 * wide numeric files). Empty lines are skipped; a UTF-8 BOM is dropped; quoted fields may hold delimiters and
 * line breaks. A malformed record (an unclosed quote) fails with the number of the record it starts in.
 */
export function readRecords(
  input: string | Buffer | Uint8Array | NodeJS.ReadableStream,
  delimiter: string,
  onRecord: (record: string[], delimiter: string) => void,
): Promise<void> {
  // A stream decodes to text itself, so a character split across two chunks stays whole.
  const source =
    typeof input === 'string'
      ? input
      : input instanceof Uint8Array
        ? Buffer.from(input.buffer, input.byteOffset, input.byteLength).toString('utf8')
        : input.setEncoding('utf8');
  return new Promise((resolve, reject) => {
    let failure: unknown = null;
    let records = 0;
    Papa.parse<string[]>(source as string, {
      delimiter,
      skipEmptyLines: true,
      step(result, parser) {
        records++;
        try {
          const error = result.errors.find((e) => e.type === 'Quotes');
          if (error) {
            throw new MlInputError('INVALID_DATA', `Record ${records} of the CSV: ${error.message.toLowerCase()}`, {
              row: records,
            });
          }
          const record = result.data;
          if (records === 1 && record[0]?.startsWith('\uFEFF')) record[0] = record[0].slice(1);
          onRecord(record, result.meta.delimiter);
        } catch (e) {
          failure = e;
          parser.abort();
        }
      },
      complete: () => (failure ? reject(failure) : resolve()),
      error: (error: Error) => reject(error),
    });
  });
}

/** What one data row's label or target cells held. */
interface RowLabel {
  /** A missing label/target cell (the row is dropped with missing: "drop", refused otherwise). */
  missing: boolean;
  /** A cell that is no number (the run fails). */
  bad: boolean;
  /** Class index (categorical labels), else -1. */
  classIdx: number;
}

/**
 * The records of one CSV, header first, accumulated into a Dataset: features and labels of the rows kept,
 * the bad cells of the rest (ProblemList), the rows dropped or kept with missing cells.
 */
class CsvAccumulator {
  header: string[] | null = null;
  private featureIdx: number[] = [];
  private labelIdx: number[] = [];
  private readonly labelKind: 'categorical' | 'numeric';
  private readonly missingPolicy: MissingPolicy;
  private readonly features = new FloatBuilder();
  private readonly targets = new FloatBuilder(1 << 16);
  private readonly classIndex = new Map<string, number>();
  private readonly classNames: string[] = [];
  private readonly labels: number[] = [];
  readonly problems = new ProblemList();
  private readonly warnings: string[] = [];
  private rowNumber = 1;
  private numSamples = 0;
  private dropped = 0;
  private missingKept = 0;
  private decimalComma: boolean;
  private readonly rowValues: number[] = [];
  private readonly rowTargets: number[] = [];

  constructor(private readonly options: CsvOptions) {
    this.labelKind = options.labelKind ?? 'categorical';
    this.missingPolicy = options.missing ?? 'fail';
    this.decimalComma = options.decimal === ',';
  }

  /** One record as papaparse gives it, with the delimiter it used. */
  record(record: string[], used: string): void {
    if (!this.header) this.readHeader(record, used);
    else this.readRow(record);
  }

  /** The header: column names (deduplicated), label and feature columns; MlInputError when unusable. */
  private readHeader(record: string[], used: string): void {
    const { options } = this;
    if (options.decimal === undefined || options.decimal === 'auto') this.decimalComma = used === ';';
    const deduped = dedupeHeader(
      record.map((h) => h.trim()),
      options.duplicateColumns,
    );
    const names = deduped.names;
    this.header = names;
    this.warnings.push(...deduped.warnings);
    const find = columnFinder(names);
    this.labelIdx = (options.labelColumns ?? [names[names.length - 1]!]).map(find);
    if (this.labelKind === 'categorical' && this.labelIdx.length !== 1) {
      throw new MlInputError('INVALID_DATA', 'Classification takes exactly one label column');
    }
    this.featureIdx = options.featureColumns
      ? options.featureColumns.map(find)
      : names.map((_, i) => i).filter((i) => !this.labelIdx.includes(i));
    if (this.featureIdx.length === 0) {
      throw new MlInputError(
        'INVALID_DATA',
        `The CSV has no feature columns (header: ${names.map((n) => `"${n.slice(0, 40)}"`).join(', ')}); separate columns with commas, semicolons or tabs`,
      );
    }
  }

  /** A data row: stored, dropped, or its bad cells listed (after the first problem nothing more is stored). */
  private readRow(record: string[]): void {
    const header = this.header!;
    this.rowNumber++;
    if (record.length !== header.length) {
      this.problems.add({
        row: this.rowNumber,
        kind: 'ragged',
        found: `Row ${this.rowNumber} has ${record.length} cells but the header has ${header.length} columns`,
      });
      return;
    }
    const cells = this.readFeatures(record);
    const label = this.labelKind === 'categorical' ? this.readClass(record) : this.readTargets(record);
    if (cells.bad || label.bad || this.problems.total > 0) return; // the run fails: keep collecting problems
    if (label.missing || (cells.missing && this.missingPolicy === 'drop')) {
      this.dropped++;
      return;
    }
    if (cells.missing) this.missingKept++;
    for (const v of this.rowValues) this.features.push(v);
    if (this.labelKind === 'categorical') this.labels.push(label.classIdx);
    else for (const v of this.rowTargets) this.targets.push(v);
    this.numSamples++;
  }

  /** The row's feature cells into rowValues (NaN where missing or bad); missing cells tolerated by the policy. */
  private readFeatures(record: string[]): { missing: boolean; bad: boolean } {
    this.rowValues.length = 0;
    let missing = false;
    let bad = false;
    for (const i of this.featureIdx) {
      const v = readNumber(record[i]!, this.decimalComma);
      if (typeof v === 'number') {
        this.rowValues.push(v);
        continue;
      }
      this.rowValues.push(NaN);
      if (v.kind === 'missing' && this.missingPolicy !== 'fail') {
        missing = true;
        continue;
      }
      bad = true;
      this.problems.add({ row: this.rowNumber, column: this.header![i]!, ...v });
    }
    return { missing, bad };
  }

  /** The row's class label, numbered in order of first appearance; a missing one is listed unless dropped. */
  private readClass(record: string[]): RowLabel {
    const column = this.labelIdx[0]!;
    const label = record[column]!.trim();
    if (isMissingCell(label)) {
      if (this.missingPolicy !== 'drop')
        this.problems.add({
          row: this.rowNumber,
          column: this.header![column]!,
          kind: 'missing',
          found: `missing label (${label === '' ? 'empty' : label})`,
        });
      return { missing: true, bad: false, classIdx: -1 };
    }
    let idx = this.classIndex.get(label);
    if (idx === undefined) {
      idx = this.classNames.length;
      this.classIndex.set(label, idx);
      this.classNames.push(label);
    }
    return { missing: false, bad: false, classIdx: idx };
  }

  /** The row's numeric targets into rowTargets; missing ones listed unless dropped, bad ones listed. */
  private readTargets(record: string[]): RowLabel {
    this.rowTargets.length = 0;
    const result: RowLabel = { missing: false, bad: false, classIdx: -1 };
    for (const i of this.labelIdx) {
      const v = readNumber(record[i]!, this.decimalComma);
      if (typeof v === 'number') this.rowTargets.push(v);
      else if (v.kind === 'missing') {
        result.missing = true;
        if (this.missingPolicy !== 'drop')
          this.problems.add({ row: this.rowNumber, column: this.header![i]!, kind: 'missing', found: `missing target (${record[i]!.trim() || 'empty'})` });
      } else {
        result.bad = true;
        this.problems.add({ row: this.rowNumber, column: this.header![i]!, ...v });
      }
    }
    return result;
  }

  /** The Dataset; MlInputError for an empty file, listed problems, or no rows left. */
  finish(): Dataset {
    const header = this.header;
    if (!header) throw new MlInputError('EMPTY_DATA', 'The CSV file is empty');
    this.problems.throwIfAny();
    const { dropped, missingKept, warnings } = this;
    if (this.numSamples === 0) {
      throw new MlInputError(
        'EMPTY_DATA',
        dropped > 0
          ? `No data rows are left: all ${dropped} have a missing value (missing: "drop")`
          : 'The CSV file has a header but no data rows',
      );
    }
    if (dropped > 0) warnings.push(`${dropped} row${dropped === 1 ? '' : 's'} with missing values left out (missing: "drop")`);
    if (missingKept > 0)
      warnings.push(`${missingKept} row${missingKept === 1 ? '' : 's'} with missing values kept; the cells are filled (missing: "${this.missingPolicy}")`);
    return {
      numSamples: this.numSamples,
      sampleShape: [this.featureIdx.length],
      featureNames: this.featureIdx.map((i) => header[i]!),
      features: this.features.finish(),
      labels:
        this.labelKind === 'categorical'
          ? { kind: 'categorical', column: header[this.labelIdx[0]!]!, classNames: this.classNames, indices: Int32Array.from(this.labels) }
          : { kind: 'numeric', columns: this.labelIdx.map((i) => header[i]!), values: this.targets.finish() },
      ...(warnings.length ? { warnings } : {}),
    };
  }
}

/**
 * Stream-parse a CSV file with a header row. Features must be numeric; the label column holds strings
 * (classification) or numbers (regression). Rows are numbered as in the file (header = row 1).
 *
 * The delimiter (comma, semicolon, tab) is detected from the header line unless given; decimal commas are
 * read in `;`-separated files. Every bad cell is collected and the error lists the first 20 with row, column
 * and what was found, and counts the rest (`MlInputError` with `details.problems`). Duplicate column names
 * are renamed with a warning in `Dataset.warnings` (or refused with `duplicateColumns: 'fail'`).
 */
export async function parseCsv(
  input: string | Buffer | Uint8Array | NodeJS.ReadableStream,
  options: CsvOptions = {},
): Promise<Dataset> {
  const head = options.delimiter ? null : headLine(input);
  // '' lets papaparse guess (streams): the first record tells us what it chose.
  const delimiter = options.delimiter ?? (head !== null ? detectDelimiter(head) : '');
  const rows = new CsvAccumulator(options);
  await readRecords(input, delimiter, (record, used) => rows.record(record, used));
  return rows.finish();
}

/**
 * A column's index by name in a CSV header; throws MISSING_COLUMN naming the column and the first 12 header
 * names when it is absent (the training parse and the data summary both resolve target/feature columns so).
 */
export function columnFinder(names: string[]): (name: string) => number {
  return (name) => {
    const i = names.indexOf(name);
    if (i < 0)
      throw new MlInputError(
        'MISSING_COLUMN',
        `Column "${name}" is not in the CSV header (${names.slice(0, 12).map((n) => `"${n}"`).join(', ')}${names.length > 12 ? ', ...' : ''})`,
        { column: name },
      );
    return i;
  };
}
