// Samples: time series of a project as Edge Impulse's ingestion service stores them, and the features an
// impulse (input block -> raw/flatten DSP blocks, @trainhub/ml/dsp) makes of them for training, classification
// and model testing. Fidelity note: /work/shared/docs/fidelity/edge-impulse.md sections 2 (raw-data, classify,
// evaluate) and 3 (ingestion contract: data acquisition format 3.5, CSV 3.6).
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { Readable } from 'node:stream';
import { decode as decodeCbor } from 'cborg';
import Papa from 'papaparse';
import type { Db, Prisma, Sample } from '@trainhub/db';
import { windowFeatures, windowsOf, type DspBlockSpec, type TimeSeriesInput } from '@trainhub/ml/dsp';
import type { Principal } from '../auth/principal';
import { requireProject } from './access';
import { DomainError } from './errors';
import { uploadResource, type StoreDeps } from './resources';

/** Categories a sample is stored in. */
export const SAMPLE_CATEGORIES = ['training', 'testing'] as const;
export type SampleCategory = (typeof SAMPLE_CATEGORIES)[number];
/** Categories the ingestion service takes: `split` assigns training or testing by the data's hash (~80/20). */
export const INGESTION_CATEGORIES = ['training', 'testing', 'split'] as const;
/** Most files per ingestion request (Edge Impulse: 1000). */
export const MAX_FILES_PER_REQUEST = 1000;
/** Most bytes per ingested file (Edge Impulse: 100 MB), lowered to the server's upload limit. */
export const MAX_SAMPLE_BYTES = 100 * 1000 * 1000;
/** Most readings (rows x sensors) one sample holds here: its values live in the database row. */
export const MAX_SAMPLE_VALUES = 2_000_000;

/** A sample read from a file, before it is stored. */
export interface ParsedSample {
  intervalMs: number;
  sensors: { name: string; units: string }[];
  values: number[][];
  deviceName: string | null;
  deviceType: string;
  /** `HS256` when the document was signed (and the signature checked), else `none`. */
  signatureMethod: 'HS256' | 'none';
}

const invalid = (message: string) => new DomainError('INVALID', message);

/**
 * A project's HMAC key for signed data acquisition documents (hex, 32 bytes): derived from the server secret
 * and the project id, so it needs no storage and differs per project.
 */
export function projectHmacKey(secret: string, projectId: number): string {
  return createHmac('sha256', secret).update(`ei-hmac-key:${projectId}`).digest('hex');
}

/** The data acquisition format's document (3.5), already decoded from JSON or CBOR. */
function fromAcquisitionDocument(
  doc: unknown,
  checkSignature: (doc: Record<string, unknown>) => boolean,
): ParsedSample {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc))
    throw invalid('the document is no data acquisition object');
  const d = doc as Record<string, unknown>;
  const prot = d.protected as Record<string, unknown> | undefined;
  if (!prot || prot.ver !== 'v1') throw invalid('protected.ver must be "v1"');
  if (prot.alg !== 'HS256' && prot.alg !== 'none') throw invalid('protected.alg must be "HS256" or "none"');
  if (typeof d.signature !== 'string') throw invalid('signature is missing');
  if (prot.alg === 'HS256' && !checkSignature(d))
    throw invalid('signature verification failed: sign with the project’s HMAC key (HS256)');
  const payload = d.payload as Record<string, unknown> | undefined;
  if (!payload || typeof payload !== 'object') throw invalid('payload is missing');
  if (typeof payload.device_type !== 'string' || !payload.device_type)
    throw invalid('payload.device_type is missing');
  const interval = payload.interval_ms;
  if (typeof interval !== 'number' || !(interval > 0))
    throw invalid('payload.interval_ms must be a positive number');
  if (!Array.isArray(payload.sensors) || payload.sensors.length === 0)
    throw invalid('payload.sensors must list at least one sensor');
  const sensors = payload.sensors.map((s, i) => {
    const sensor = s as { name?: unknown; units?: unknown };
    if (typeof sensor?.name !== 'string' || !sensor.name) throw invalid(`payload.sensors[${i}] has no name`);
    return { name: sensor.name, units: typeof sensor.units === 'string' ? sensor.units : 'N/A' };
  });
  return {
    intervalMs: interval,
    sensors,
    values: checkValues(payload.values, sensors.length, 'payload.values'),
    deviceName: typeof payload.device_name === 'string' ? payload.device_name : null,
    deviceType: payload.device_type,
    signatureMethod: prot.alg,
  };
}

/** Rows of one finite number per sensor (a flat array for one sensor); INVALID naming the first bad row. */
function checkValues(values: unknown, width: number, where: string): number[][] {
  if (!Array.isArray(values) || values.length === 0) throw invalid(`${where} must be a non-empty array`);
  if (values.length * width > MAX_SAMPLE_VALUES)
    throw invalid(`${where} holds more than ${MAX_SAMPLE_VALUES} readings`);
  return values.map((row, i) => {
    const cells = Array.isArray(row) ? row : width === 1 ? [row] : null;
    if (!cells || cells.length !== width)
      throw invalid(
        `${where}[${i}] has ${Array.isArray(row) ? row.length : 1} values, not ${width} (one per sensor)`,
      );
    for (const v of cells)
      if (typeof v !== 'number' || !Number.isFinite(v))
        throw invalid(`${where}[${i}] holds a non-numeric value`);
    return cells as number[];
  });
}

const ZERO_SIGNATURE = '0'.repeat(64);

/**
 * HS256 check: HMAC-SHA256 (keyed with the project's HMAC key) over the encoded document with its signature
 * text swapped in place for the 64-zero placeholder. That is how Edge Impulse's ingestion SDK signs CBOR (it
 * writes the placeholder, hashes every byte while streaming, then overwrites the placeholder with the hex
 * digest) and how its JSON examples sign; a JSON document signed over `JSON.stringify` of the whole object
 * (signature = placeholder) is accepted too.
 */
function signatureChecker(raw: Buffer, hmacKey: string | null, json: boolean) {
  return (doc: Record<string, unknown>): boolean => {
    if (!hmacKey) return false;
    const sent = String(doc.signature);
    if (!/^[0-9a-fA-F]{64}$/.test(sent)) return false;
    const expected = Buffer.from(sent, 'hex');
    const candidates: Buffer[] = [];
    // The signature's hex text is plain ASCII in both encodings (a CBOR text string holds it verbatim).
    const at = raw.indexOf(sent);
    if (at >= 0)
      candidates.push(
        Buffer.concat([raw.subarray(0, at), Buffer.from(ZERO_SIGNATURE), raw.subarray(at + 64)]),
      );
    if (json) candidates.push(Buffer.from(JSON.stringify({ ...doc, signature: ZERO_SIGNATURE })));
    return candidates.some((bytes) => {
      const mac = createHmac('sha256', hmacKey).update(bytes).digest();
      return timingSafeEqual(mac, expected);
    });
  };
}

/**
 * A CBOR data acquisition document decoded (cborg, pure JavaScript: indefinite-length arrays as the
 * ingestion SDK streams `values`, half/single/double floats as numbers). INVALID when the bytes are no CBOR.
 */
function decodeCborDocument(bytes: Buffer): unknown {
  try {
    // Maps as plain objects keyed by text (the format's keys are all text); integers past 2^53 refused.
    return decodeCbor(bytes, { useMaps: false, allowBigInt: false, rejectDuplicateMapKeys: true });
  } catch (error) {
    throw invalid(`the CBOR document cannot be decoded: ${(error as Error).message}`);
  }
}

/**
 * CSV time series (3.6): a header row, the first column the timestamp in ms, one reading per row. The
 * interval is the mean step between timestamps. INVALID for a missing timestamp column, a ragged or
 * non-numeric row, fewer than two rows or timestamps that do not increase.
 */
function fromCsv(text: string): ParsedSample {
  const parsed = Papa.parse<string[]>(text.trim(), { skipEmptyLines: true });
  const [header, ...rows] = parsed.data;
  if (!header || header.length < 2)
    throw invalid('the CSV needs a header with a timestamp column and a sensor');
  if (!/time/i.test(header[0]!)) throw invalid('the first CSV column must be the timestamp (ms)');
  if (rows.length < 2) throw invalid('the CSV needs at least two rows of readings');
  const times: number[] = [];
  const values = rows.map((row, i) => {
    if (row.length !== header.length)
      throw invalid(`CSV row ${i + 2} has ${row.length} values, not ${header.length}`);
    const nums = row.map((cell) => (cell.trim() === '' ? NaN : Number(cell)));
    if (nums.some((n) => !Number.isFinite(n))) throw invalid(`CSV row ${i + 2} holds a non-numeric value`);
    times.push(nums[0]!);
    return nums.slice(1);
  });
  const intervalMs = (times[times.length - 1]! - times[0]!) / (times.length - 1);
  if (!(intervalMs > 0)) throw invalid('the CSV timestamps must increase');
  return {
    intervalMs,
    sensors: header.slice(1).map((name) => ({ name: name.trim(), units: 'N/A' })),
    values: checkValues(values, header.length - 1, 'CSV'),
    deviceName: null,
    deviceType: 'CSV',
    signatureMethod: 'none',
  };
}

/**
 * Reads one ingested file by its name and content type: `.json` / application/json and `.cbor` /
 * application/cbor (data acquisition format 3.5, HS256 signatures checked with `hmacKey`, `none` taken as is),
 * `.csv` / `.txt` (CSV time series 3.6). Images, audio and video are refused (no DSP block for them here).
 * INVALID with the reason (a wrong signature, ragged or non-numeric values, an undecodable document).
 */
export async function parseSampleFile(
  name: string,
  contentType: string | null,
  bytes: Buffer,
  hmacKey: string | null,
): Promise<ParsedSample> {
  const ext = /\.([a-z0-9]+)$/i.exec(name)?.[1]?.toLowerCase() ?? '';
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (/^(image|audio|video)\//.test(type) || ['jpg', 'jpeg', 'png', 'wav', 'mp4', 'avi', 'bmp'].includes(ext))
    throw invalid(
      `${name}: images, audio and video are not accepted yet (this platform has no DSP block for them); ` +
        'send time series as JSON, CBOR or CSV',
    );
  if (ext === 'cbor' || type === 'application/cbor')
    return fromAcquisitionDocument(decodeCborDocument(bytes), signatureChecker(bytes, hmacKey, false));
  if (ext === 'json' || type === 'application/json') {
    let doc: unknown;
    try {
      doc = JSON.parse(bytes.toString('utf8'));
    } catch {
      throw invalid('the JSON document cannot be parsed');
    }
    return fromAcquisitionDocument(doc, signatureChecker(bytes, hmacKey, true));
  }
  if (ext === 'csv' || ext === 'txt' || type === 'text/csv' || type === 'text/plain')
    return fromCsv(bytes.toString('utf8'));
  throw invalid(`${name}: unknown file type (accepted: .json, .cbor, .csv, .txt)`);
}

/** What an `info.labels` file says about one sample file of the same request (fields it leaves out: unset). */
export interface UploaderInfo {
  /** The stored sample name (without extension), when given. */
  name?: string;
  category?: (typeof INGESTION_CATEGORIES)[number];
  /** The label; '' for `{ type: 'unlabeled' }`. */
  label?: string;
  metadata?: Record<string, string>;
}

/**
 * Reads an `info.labels` file as the Edge Impulse CLI uploader writes it (`ExportUploaderInfoFileV1`:
 * `{ version: 1, files: [{ path, name?, category, label: { type: 'label', label } | { type: 'unlabeled' },
 * metadata? }] }`; fidelity note 3.4): a map from file name (the path's last segment) to what it says.
 * INVALID naming the problem for other versions or types of label files (bounding boxes: no image samples
 * here), multi-label and key-value labels (one label per sample here), unknown categories and bad metadata.
 */
export function parseUploaderInfo(bytes: Buffer): Map<string, UploaderInfo> {
  let doc: unknown;
  try {
    doc = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw invalid('info.labels is not JSON');
  }
  const d = doc as { version?: unknown; type?: unknown; files?: unknown };
  if (typeof d?.type === 'string')
    throw invalid(
      `labels files of type "${d.type}" are not accepted (only info.labels: { version: 1, files: [...] })`,
    );
  if (d?.version !== 1) throw invalid('info.labels: version must be 1');
  if (!Array.isArray(d.files)) throw invalid('info.labels: files must be an array');
  const out = new Map<string, UploaderInfo>();
  d.files.forEach((raw, i) => {
    const f = raw as Record<string, unknown>;
    const where = `info.labels files[${i}]`;
    if (typeof f?.path !== 'string' || !f.path) throw invalid(`${where}: path is missing`);
    const info: UploaderInfo = {};
    if (typeof f.name === 'string' && f.name) info.name = f.name;
    if (f.category !== undefined) {
      if (!(INGESTION_CATEGORIES as readonly unknown[]).includes(f.category))
        throw invalid(`${where}: category must be one of ${INGESTION_CATEGORIES.join(', ')}`);
      info.category = f.category as UploaderInfo['category'];
    }
    const label = f.label as { type?: unknown; label?: unknown } | undefined;
    if (label !== undefined) {
      if (label?.type === 'label' && typeof label.label === 'string') info.label = label.label;
      else if (label?.type === 'unlabeled') info.label = '';
      else
        throw invalid(
          `${where}: label must be { type: "label", label } or { type: "unlabeled" } (multi-label and ` +
            'key-value labels are not supported here)',
        );
    }
    if (f.metadata !== undefined && f.metadata !== null) {
      if (typeof f.metadata !== 'object' || Array.isArray(f.metadata))
        throw invalid(`${where}: metadata must be an object of strings`);
      info.metadata = Object.fromEntries(
        Object.entries(f.metadata as Record<string, unknown>).map(([k, v]) => [k, String(v)]),
      );
    }
    out.set(f.path.split(/[\\/]/).pop()!, info);
  });
  return out;
}

/** The label Edge Impulse infers from a file name: its leading letters, digits, spaces, `-` and `_`. */
export function labelFromFileName(name: string): string {
  return /^[a-zA-Z0-9\s_-]+/.exec(name)?.[0]?.trim() ?? '';
}

/** The category `split` gives data with this SHA-256 (hex): the old CLI's MD5 rule on the hash, ~80/20. */
export function splitCategory(sha256: string): SampleCategory {
  const md5 = createHash('md5').update(sha256).digest('hex');
  const first = [...md5].find((c) => c !== 'f') ?? '0';
  return parseInt(first, 16) <= 0xb ? 'training' : 'testing';
}

/** One sample to store (see storeSamples). */
export interface NewSample extends ParsedSample {
  filename: string;
  label: string;
  category: (typeof INGESTION_CATEGORIES)[number];
  metadata?: Record<string, string>;
}

/** SHA-256 (hex) of a sample's data: its sensors, interval and values (the duplicate check's key). */
export function sampleHash(s: Pick<ParsedSample, 'sensors' | 'intervalMs' | 'values'>): string {
  return createHash('sha256')
    .update(JSON.stringify([s.sensors, s.intervalMs, s.values]))
    .digest('hex');
}

/**
 * Stores samples of a project (editor role), all or none. With `disallowDuplicates`, data whose hash is
 * already in the project (or twice in the request) is a CONFLICT naming the file and nothing is stored.
 */
export async function storeSamples(
  db: Db,
  principal: Principal,
  projectId: number,
  samples: NewSample[],
  options: { disallowDuplicates?: boolean } = {},
): Promise<Sample[]> {
  await requireProject(db, principal, projectId, 'EDITOR');
  const hashes = samples.map(sampleHash);
  if (options.disallowDuplicates) {
    const seen = new Set(
      (
        await db.sample.findMany({
          where: { projectId, sha256Hash: { in: hashes } },
          select: { sha256Hash: true },
        })
      ).map((s) => s.sha256Hash),
    );
    hashes.forEach((hash, i) => {
      if (seen.has(hash))
        throw new DomainError('CONFLICT', `${samples[i]!.filename}: this data is already in the dataset`);
      seen.add(hash);
    });
  }
  return db.$transaction(
    samples.map((s, i) =>
      db.sample.create({
        data: {
          projectId,
          category: s.category === 'split' ? splitCategory(hashes[i]!) : s.category,
          label: s.label,
          filename: s.filename.slice(0, 255),
          intervalMs: s.intervalMs,
          sensors: s.sensors as Prisma.InputJsonValue,
          values: s.values as Prisma.InputJsonValue,
          valuesCount: s.values.length,
          ...(s.metadata ? { metadata: s.metadata as Prisma.InputJsonValue } : {}),
          sha256Hash: hashes[i]!,
          deviceName: s.deviceName,
          deviceType: s.deviceType.slice(0, 255),
        },
      }),
    ),
  );
}

/** Which samples to list: a category, optionally some labels, a page. */
export interface SampleQuery {
  category: SampleCategory;
  labels?: string[];
  limit?: number;
  offset?: number;
}

const sampleWhere = (
  projectId: number,
  q: Pick<SampleQuery, 'category' | 'labels'>,
): Prisma.SampleWhereInput => ({
  projectId,
  category: q.category,
  ...(q.labels?.length ? { label: { in: q.labels } } : {}),
});

/** A page of a project's samples (viewer role), oldest first, without their values, and the total. */
export async function listSamples(db: Db, principal: Principal, projectId: number, q: SampleQuery) {
  await requireProject(db, principal, projectId, 'VIEWER');
  const where = sampleWhere(projectId, q);
  const [samples, totalCount] = await Promise.all([
    db.sample.findMany({
      where,
      orderBy: { id: 'asc' },
      take: Math.min(q.limit ?? 1000, 10_000),
      skip: q.offset ?? 0,
      omit: { values: true },
    }),
    db.sample.count({ where }),
  ]);
  return { samples, totalCount };
}

/** How many samples of a category (and labels) a project has (viewer role). */
export async function countSamples(db: Db, principal: Principal, projectId: number, q: SampleQuery) {
  await requireProject(db, principal, projectId, 'VIEWER');
  return db.sample.count({ where: sampleWhere(projectId, q) });
}

/** Samples per category and label (viewer role): `[{ category, label, count }]`. */
export async function sampleSummary(db: Db, principal: Principal, projectId: number) {
  await requireProject(db, principal, projectId, 'VIEWER');
  const groups = await db.sample.groupBy({
    by: ['category', 'label'],
    where: { projectId },
    _count: { _all: true },
    orderBy: [{ category: 'asc' }, { label: 'asc' }],
  });
  return groups.map((g) => ({ category: g.category, label: g.label, count: g._count._all }));
}

/** Edge Impulse's ProjectDataSummary of one category: length, distinct labels, number of samples. */
export interface DataSummary {
  /** Sum over the samples of rows x interval, in ms. */
  totalLengthMs: number;
  /** Distinct non-empty labels, sorted. */
  labels: string[];
  totalLabels: number;
  /** Number of samples (unlabelled ones included). */
  dataCount: number;
}

/**
 * The data summary per category (viewer role), as ProjectInfoResponse's `dataSummaryPerCategory` has it
 * (edge-impulse-api's ProjectDataSummary; `dataSummary` is the training set's). One grouped query.
 */
export async function sampleDataSummary(
  db: Db,
  principal: Principal,
  projectId: number,
): Promise<Record<SampleCategory, DataSummary>> {
  await requireProject(db, principal, projectId, 'VIEWER');
  const groups = await db.sample.groupBy({
    by: ['category', 'label', 'intervalMs'],
    where: { projectId },
    _count: { _all: true },
    _sum: { valuesCount: true },
  });
  const empty = (): DataSummary => ({ totalLengthMs: 0, labels: [], totalLabels: 0, dataCount: 0 });
  const out: Record<SampleCategory, DataSummary> = { training: empty(), testing: empty() };
  for (const g of groups) {
    const summary = out[g.category as SampleCategory];
    if (!summary) continue;
    summary.totalLengthMs += (g._sum.valuesCount ?? 0) * g.intervalMs;
    summary.dataCount += g._count._all;
    if (g.label && !summary.labels.includes(g.label)) summary.labels.push(g.label);
  }
  for (const summary of Object.values(out)) {
    summary.labels.sort();
    summary.totalLabels = summary.labels.length;
    summary.totalLengthMs = Math.round(summary.totalLengthMs);
  }
  return out;
}

/** Could this be a sample's id (a 32-bit row id)? Others are no sample: PostgreSQL would refuse the read. */
const isRowId = (id: number) => Number.isSafeInteger(id) && id > 0 && id <= 2_147_483_647;

/** One sample with its values (viewer role); NOT_FOUND "sample not found" otherwise. */
export async function getSample(db: Db, principal: Principal, projectId: number, sampleId: number) {
  await requireProject(db, principal, projectId, 'VIEWER');
  const sample = isRowId(sampleId) ? await db.sample.findFirst({ where: { id: sampleId, projectId } }) : null;
  if (!sample) throw new DomainError('NOT_FOUND', 'sample not found');
  return sample;
}

/** Deletes a sample (editor role); NOT_FOUND when it is not the project's. */
export async function deleteSample(db: Db, principal: Principal, projectId: number, sampleId: number) {
  await requireProject(db, principal, projectId, 'EDITOR');
  const { count } = isRowId(sampleId)
    ? await db.sample.deleteMany({ where: { id: sampleId, projectId } })
    : { count: 0 };
  if (!count) throw new DomainError('NOT_FOUND', 'sample not found');
}

// ---------------------------------------------------------------- impulse -> features

/** The impulse as this module reads it: its time-series input block and the DSP blocks, by id. */
export interface ImpulsePipeline {
  input: TimeSeriesInput;
  /** Edge Impulse's input block `frequencyHz`, when given (informative: windows follow each sample's rows). */
  frequencyHz?: number;
  dsp: DspBlockSpec[];
}

/**
 * The pipeline of an impulse stored as sent (Project.impulse): the first `time-series` input block
 * (`windowSizeMs`, `windowIncreaseMs`, `frequencyHz`, `padZeros`) and its DSP blocks (`type` raw|flatten,
 * `axes`, parameters in `parameters`, `config` or `params`, else the block's own keys); `dspIds` keeps only
 * those blocks (a learn block's `dsp`). Null when the impulse has no input block or no DSP block.
 */
export function impulsePipeline(impulse: unknown, dspIds?: number[]): ImpulsePipeline | null {
  const i = impulse as {
    inputBlocks?: Record<string, unknown>[];
    dspBlocks?: Record<string, unknown>[];
  } | null;
  const input = i?.inputBlocks?.find((b) => b.type === 'time-series');
  let dsp = i?.dspBlocks ?? [];
  if (dspIds?.length) dsp = dsp.filter((b) => dspIds.includes(Number(b.id)));
  if (!input || dsp.length === 0) return null;
  const windowSizeMs = Number(input.windowSizeMs);
  if (!(windowSizeMs > 0)) throw invalid('the input block needs a positive windowSizeMs');
  return {
    input: {
      windowSizeMs,
      windowIncreaseMs: Number(input.windowIncreaseMs ?? windowSizeMs) || windowSizeMs,
      padZeros: input.padZeros === true,
    },
    ...(typeof input.frequencyHz === 'number' ? { frequencyHz: input.frequencyHz } : {}),
    dsp: dsp.map((b) => {
      const params = (b.parameters ?? b.config ?? b.params ?? b) as Record<string, unknown>;
      return {
        type: String(b.type),
        ...(Array.isArray(b.axes) ? { axes: b.axes.map(String) } : {}),
        params: Object.fromEntries(
          Object.entries(params).map(([k, v]) => [
            k,
            v === 'true'
              ? true
              : v === 'false'
                ? false
                : typeof v === 'string' && v !== '' && Number.isFinite(Number(v))
                  ? Number(v)
                  : v,
          ]),
        ),
      };
    }),
  };
}

/** A sample's feature rows: one per window, with the window's start (ms). */
export function sampleFeatures(
  sample: Pick<Sample, 'sensors' | 'values' | 'intervalMs' | 'filename'>,
  pipeline: ImpulsePipeline,
): { names: string[]; rows: number[][]; startsMs: number[] } {
  const sensors = (sample.sensors as { name: string }[]).map((s) => s.name);
  try {
    const windows = windowsOf(
      {
        intervalMs: sample.intervalMs,
        sensors: sample.sensors as { name: string }[],
        values: sample.values as number[][],
      },
      pipeline.input,
    );
    let names: string[] = [];
    const rows = windows.map((w) => {
      const f = windowFeatures(w.values, sensors, pipeline.dsp);
      names = f.names;
      return f.values;
    });
    return { names, rows, startsMs: windows.map((w) => w.startMs) };
  } catch (error) {
    if (error instanceof RangeError) throw invalid(`${sample.filename}: ${error.message}`);
    throw error;
  }
}

/** CSV field quoting (RFC 4180) where needed. */
const csvField = (s: string) => (/[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

/**
 * The feature rows of a category's labelled samples as a new CSV DATASET resource of the project (editor
 * role): one column per feature, the label last (`label`). This is what the learn block trains on (training)
 * and what model testing scores (testing). INVALID when there are no windows or the samples give features of
 * different widths (different sensors).
 */
export async function writeFeatureDataset(
  deps: StoreDeps,
  principal: Principal,
  projectId: number,
  pipeline: ImpulsePipeline,
  category: SampleCategory,
): Promise<{ resourceId: number; windows: number; classNames: string[] }> {
  await requireProject(deps.db, principal, projectId, 'EDITOR');
  const samples = await deps.db.sample.findMany({
    where: { projectId, category, label: { not: '' } },
    orderBy: { id: 'asc' },
  });
  let header: string[] | null = null;
  const lines: string[] = [];
  const labels = new Set<string>();
  for (const sample of samples) {
    const { names, rows } = sampleFeatures(sample, pipeline);
    if (rows.length === 0) continue;
    if (!header) header = names;
    else if (names.join('\u0000') !== header.join('\u0000'))
      throw invalid(`${sample.filename}: its features differ from the other samples' (other sensors?)`);
    labels.add(sample.label);
    for (const row of rows) lines.push(`${row.join(',')},${csvField(sample.label)}`);
  }
  if (!header || lines.length === 0)
    throw invalid(
      `no ${category} sample gives a window of ${pipeline.input.windowSizeMs} ms: upload labelled ${category} data`,
    );
  const text = `${[...header, 'label'].map(csvField).join(',')}\n${lines.join('\n')}\n`;
  const resource = await uploadResource(deps, principal, projectId, {
    name: `edge-impulse-features-${category}.csv`,
    contentType: 'text/csv',
    body: Readable.from([Buffer.from(text)]),
    kind: 'DATASET',
  });
  return { resourceId: resource.id, windows: lines.length, classNames: [...labels].sort() };
}
