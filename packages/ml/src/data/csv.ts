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
  let header: string[] | null = null;
  let featureIdx: number[] = [];
  let labelIdx: number[] = [];
  const labelKind = options.labelKind ?? 'categorical';
  const missingPolicy = options.missing ?? 'fail';
  const features = new FloatBuilder();
  const targets = new FloatBuilder(1 << 16);
  const classIndex = new Map<string, number>();
  const classNames: string[] = [];
  const labels: number[] = [];
  const problems = new ProblemList();
  const warnings: string[] = [];
  let rowNumber = 1;
  let numSamples = 0;
  let dropped = 0;
  let missingKept = 0;
  const head = options.delimiter ? null : headLine(input);
  // '' lets papaparse guess (streams): the first record tells us what it chose.
  const delimiter = options.delimiter ?? (head !== null ? detectDelimiter(head) : '');
  let decimalComma = options.decimal === ',';
  const rowValues: number[] = [];
  const rowTargets: number[] = [];
  await readRecords(input, delimiter, (record, used) => {
    if (!header) {
      if (options.decimal === undefined || options.decimal === 'auto') decimalComma = used === ';';
      const deduped = dedupeHeader(
        record.map((h) => h.trim()),
        options.duplicateColumns,
      );
      header = deduped.names;
      warnings.push(...deduped.warnings);
      const names = header;
      const find = columnFinder(names);
      labelIdx = (options.labelColumns ?? [names[names.length - 1]!]).map(find);
      if (labelKind === 'categorical' && labelIdx.length !== 1) {
        throw new MlInputError('INVALID_DATA', 'Classification takes exactly one label column');
      }
      featureIdx = options.featureColumns
        ? options.featureColumns.map(find)
        : names.map((_, i) => i).filter((i) => !labelIdx.includes(i));
      if (featureIdx.length === 0) {
        throw new MlInputError(
          'INVALID_DATA',
          `The CSV has no feature columns (header: ${names.map((n) => `"${n.slice(0, 40)}"`).join(', ')}); separate columns with commas, semicolons or tabs`,
        );
      }
      return;
    }
    rowNumber++;
    if (record.length !== header.length) {
      problems.add({
        row: rowNumber,
        kind: 'ragged',
        found: `Row ${rowNumber} has ${record.length} cells but the header has ${header.length} columns`,
      });
      return;
    }
    rowValues.length = 0;
    rowTargets.length = 0;
    let rowMissing = false;
    let rowBad = false;
    const cellProblem = (i: number, p: Omit<DataProblem, 'row' | 'column'>) => {
      if (p.kind === 'missing' && missingPolicy !== 'fail') {
        rowMissing = true;
        return;
      }
      rowBad = true;
      problems.add({ row: rowNumber, column: header![i]!, ...p });
    };
    for (const i of featureIdx) {
      const v = readNumber(record[i]!, decimalComma);
      if (typeof v === 'number') rowValues.push(v);
      else {
        rowValues.push(NaN);
        cellProblem(i, v);
      }
    }
    let labelMissing = false;
    let classIdx = -1;
    if (labelKind === 'categorical') {
      const label = record[labelIdx[0]!]!.trim();
      if (isMissingCell(label)) {
        labelMissing = true;
        if (missingPolicy !== 'drop')
          problems.add({
            row: rowNumber,
            column: header[labelIdx[0]!]!,
            kind: 'missing',
            found: `missing label (${label === '' ? 'empty' : label})`,
          });
      } else {
        let idx = classIndex.get(label);
        if (idx === undefined) {
          idx = classNames.length;
          classIndex.set(label, idx);
          classNames.push(label);
        }
        classIdx = idx;
      }
    } else {
      for (const i of labelIdx) {
        const v = readNumber(record[i]!, decimalComma);
        if (typeof v === 'number') rowTargets.push(v);
        else if (v.kind === 'missing') {
          labelMissing = true;
          if (missingPolicy !== 'drop')
            problems.add({ row: rowNumber, column: header[i]!, kind: 'missing', found: `missing target (${record[i]!.trim() || 'empty'})` });
        } else {
          rowBad = true;
          problems.add({ row: rowNumber, column: header[i]!, ...v });
        }
      }
    }
    if (rowBad || problems.total > 0) return; // the run fails: stop storing values, keep collecting problems
    if (labelMissing || (rowMissing && missingPolicy === 'drop')) {
      dropped++;
      return;
    }
    if (rowMissing) missingKept++;
    for (const v of rowValues) features.push(v);
    if (labelKind === 'categorical') labels.push(classIdx);
    else for (const v of rowTargets) targets.push(v);
    numSamples++;
  });
  if (!header) throw new MlInputError('EMPTY_DATA', 'The CSV file is empty');
  problems.throwIfAny();
  if (numSamples === 0) {
    throw new MlInputError(
      'EMPTY_DATA',
      dropped > 0
        ? `No data rows are left: all ${dropped} have a missing value (missing: "drop")`
        : 'The CSV file has a header but no data rows',
    );
  }
  if (dropped > 0) warnings.push(`${dropped} row${dropped === 1 ? '' : 's'} with missing values left out (missing: "drop")`);
  if (missingKept > 0)
    warnings.push(`${missingKept} row${missingKept === 1 ? '' : 's'} with missing values kept; the cells are filled (missing: "${missingPolicy}")`);
  const featureNames = featureIdx.map((i) => header![i]!);
  return {
    numSamples,
    sampleShape: [featureIdx.length],
    featureNames,
    features: features.finish(),
    labels:
      labelKind === 'categorical'
        ? { kind: 'categorical', column: header[labelIdx[0]!]!, classNames, indices: Int32Array.from(labels) }
        : { kind: 'numeric', columns: labelIdx.map((i) => header![i]!), values: targets.finish() },
    ...(warnings.length ? { warnings } : {}),
  };
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
