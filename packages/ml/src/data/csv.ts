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
  const targets = new FloatBuilder(1 << 16);
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
