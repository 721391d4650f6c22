import { parse } from 'csv-parse';
import { Readable } from 'node:stream';
import { MlInputError } from '../errors.ts';
import type { Dataset } from './types.ts';

export interface CsvOptions {
  /** Label/target column(s) by header name. Default: the last column. */
  labelColumns?: string[];
  /** 'categorical' (string labels, classification) or 'numeric' (regression targets). Default categorical. */
  labelKind?: 'categorical' | 'numeric';
  /** Feature columns to keep (default: every column that is not a label). */
  featureColumns?: string[];
  /** Field delimiter (default ','). */
  delimiter?: string;
}

/** Growable Float32Array so 100k x 784 rows never become arrays of numbers. */
class FloatBuilder {
  data: Float32Array;
  length = 0;
  constructor(initial = 1 << 16) {
    this.data = new Float32Array(initial);
  }
  push(v: number) {
    if (this.length === this.data.length) {
      const next = new Float32Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = v;
  }
  finish(): Float32Array {
    return this.data.length === this.length ? this.data : this.data.slice(0, this.length);
  }
}

function parseNumber(cell: string, row: number, column: string): number {
  const t = cell.trim();
  if (t === '') throw new MlInputError('NON_NUMERIC', `Row ${row}, column "${column}": empty cell`, { row, column });
  const v = Number(t);
  if (Number.isNaN(v) && !/^[-+]?nan$/i.test(t)) {
    throw new MlInputError('NON_NUMERIC', `Row ${row}, column "${column}": "${t.slice(0, 40)}" is not a number`, { row, column });
  }
  if (!Number.isFinite(v)) {
    throw new MlInputError('NON_FINITE', `Row ${row}, column "${column}": ${t} is not a finite number`, { row, column });
  }
  return v;
}

/**
 * Stream-parse a CSV file with a header row (csv-parse). Features must be numeric; the label column holds
 * strings (classification) or numbers (regression). Rows are numbered as in the file (header = row 1).
 */
export async function parseCsv(
  input: string | Buffer | Uint8Array | NodeJS.ReadableStream,
  options: CsvOptions = {},
): Promise<Dataset> {
  const source =
    typeof input === 'string' || input instanceof Uint8Array ? Readable.from([Buffer.from(input as string)]) : input;
  const parser = (source as NodeJS.ReadableStream).pipe(
    parse({ delimiter: options.delimiter ?? ',', relax_column_count: true, skip_empty_lines: true, bom: true, trim: false }),
  );
  let header: string[] | null = null;
  let featureIdx: number[] = [];
  let labelIdx: number[] = [];
  const labelKind = options.labelKind ?? 'categorical';
  const features = new FloatBuilder();
  const targets = new FloatBuilder(1024);
  const classIndex = new Map<string, number>();
  const classNames: string[] = [];
  const labels: number[] = [];
  let rowNumber = 1;
  let numSamples = 0;
  for await (const record of parser as AsyncIterable<string[]>) {
    if (!header) {
      header = record.map((h) => h.trim());
      const names = header;
      const find = (name: string) => {
        const i = names.indexOf(name);
        if (i < 0) throw new MlInputError('MISSING_COLUMN', `Column "${name}" is not in the CSV header`, { column: name });
        return i;
      };
      labelIdx = (options.labelColumns ?? [names[names.length - 1]!]).map(find);
      if (labelKind === 'categorical' && labelIdx.length !== 1) {
        throw new MlInputError('INVALID_DATA', 'Classification takes exactly one label column');
      }
      featureIdx = options.featureColumns
        ? options.featureColumns.map(find)
        : names.map((_, i) => i).filter((i) => !labelIdx.includes(i));
      if (featureIdx.length === 0) throw new MlInputError('INVALID_DATA', 'The CSV has no feature columns');
      continue;
    }
    rowNumber++;
    if (record.length !== header.length) {
      throw new MlInputError(
        'RAGGED_ROW',
        `Row ${rowNumber} has ${record.length} cells but the header has ${header.length} columns`,
        { row: rowNumber },
      );
    }
    for (const i of featureIdx) features.push(parseNumber(record[i]!, rowNumber, header[i]!));
    if (labelKind === 'categorical') {
      const label = record[labelIdx[0]!]!.trim();
      if (label === '') {
        throw new MlInputError('INVALID_DATA', `Row ${rowNumber}, column "${header[labelIdx[0]!]}": empty label`, {
          row: rowNumber,
          column: header[labelIdx[0]!],
        });
      }
      let idx = classIndex.get(label);
      if (idx === undefined) {
        idx = classNames.length;
        classIndex.set(label, idx);
        classNames.push(label);
      }
      labels.push(idx);
    } else {
      for (const i of labelIdx) targets.push(parseNumber(record[i]!, rowNumber, header[i]!));
    }
    numSamples++;
  }
  if (!header) throw new MlInputError('EMPTY_DATA', 'The CSV file is empty');
  if (numSamples === 0) throw new MlInputError('EMPTY_DATA', 'The CSV file has a header but no data rows');
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
  };
}
