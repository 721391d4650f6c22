// Fuzz suite: generated bad inputs (fast-check) for every route of the REST styles (MLW, its Cumulocity login surface,
// Edge Impulse, training module; iterated from their route tables, so a new route is covered without touching this
// file), every tRPC query, mutation and subscription,
// and uploads. Runs in-process against the real handlers on a real database. Prints, per database: requests
// sent, 5xx answers (must be 0), error answers not in the style's error shape (must be 0), rows written by
// rejected requests (must be 0: every row of every table is fingerprinted before and after each request, so
// a changed row counts as well as an added or deleted one) and files left in the artifact store by rejected
// requests (must be 0: its folder is listed before and after, temporary files included).
//
//   npm run prove:fuzz                  (SQLite and PostgreSQL, 40 cases per route)
//   FUZZ_RUNS=200 FUZZ_SEED=7 npm run prove:fuzz
import { createHash } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { relative } from 'node:path';
import fc from 'fast-check';
import { z } from 'zod';
import { Prisma, type DatabaseProvider } from '@trainhub/db';
import {
  createRestHandler,
  cumulocityStyle,
  edgeImpulseStyle,
  mlwStyle,
  trainingModuleStyle,
} from '@trainhub/api/rest';
import type { RestStyle, RouteDef } from '@trainhub/api/rest';
import { appRouter, handleTrpc } from '@trainhub/api/trpc';
import { basic, makeWorld, type World } from '../../packages/api/test/helpers';
import { printTable } from './table';

export type Surface = 'mlw' | 'cumulocity' | 'edge-impulse' | 'training-module' | 'trpc';

export interface FuzzOptions {
  provider: DatabaseProvider;
  /** Generated cases per route or procedure (plus fixed cases: oversized, deep, wrong method). */
  runs: number;
  seed: number;
}

export interface FuzzFinding {
  surface: Surface;
  target: string;
  method: string;
  url: string;
  status: number;
  problem: '5xx' | 'shape' | 'rows' | 'files';
  body: string;
}

export interface FuzzReport {
  database: string;
  targets: number;
  requests: number;
  rejected: number;
  accepted: number;
  serverErrors: number;
  wrongShape: number;
  /** Rows added, deleted or changed by rejected requests (must be 0). */
  rowsByRejected: number;
  /** Files left in the artifact store by rejected requests (must be 0). */
  filesByRejected: number;
  bySurface: Record<Surface, { targets: number; requests: number }>;
  findings: FuzzFinding[];
  seconds: number;
}

// Every table of the schema (a new model is covered without touching this file), except RateLimit: counting
// failed passwords is what a rejected sign-in is meant to write (auth/login-limit.ts).
const TABLES = Object.values(Prisma.ModelName).filter((t) => t !== 'RateLimit');
// Bookkeeping written in the background by any authenticated call, accepted or not (at most once a minute).
const IGNORED_COLUMNS = new Set(['lastUsedAt']);

/** Per table, how many rows have each fingerprint (SHA-256 of the row's columns). */
export type RowSnapshot = Record<string, Map<string, number>>;

const cellText = (_key: string, value: unknown) =>
  typeof value === 'bigint'
    ? value.toString()
    : value instanceof Uint8Array
      ? Buffer.from(value).toString('hex')
      : value;

/** Fingerprints every row of every table (one SELECT per table, side by side). */
export async function snapshotRows(w: World): Promise<RowSnapshot> {
  const tables = await Promise.all(
    TABLES.map(async (table) => {
      const rows = (await w.t.db.$queryRawUnsafe(`SELECT * FROM "${table}"`)) as Record<string, unknown>[];
      const counts = new Map<string, number>();
      for (const row of rows) {
        const kept = Object.keys(row)
          .filter((column) => !IGNORED_COLUMNS.has(column))
          .sort()
          .map((column) => [column, row[column]]);
        const print = createHash('sha256').update(JSON.stringify(kept, cellText)).digest('hex');
        counts.set(print, (counts.get(print) ?? 0) + 1);
      }
      return [table, counts] as const;
    }),
  );
  return Object.fromEntries(tables);
}

/**
 * Rows that differ between two snapshots, per table the larger of "fingerprints only after" and "only
 * before": an added or deleted row counts 1, and so does a changed one (its old print goes, a new one comes).
 */
export function rowsChanged(before: RowSnapshot, after: RowSnapshot): number {
  let total = 0;
  for (const table of TABLES) {
    const a = before[table] ?? new Map<string, number>();
    const b = after[table] ?? new Map<string, number>();
    const only = (x: Map<string, number>, y: Map<string, number>) =>
      [...x].reduce((sum, [print, n]) => sum + Math.max(0, n - (y.get(print) ?? 0)), 0);
    total += Math.max(only(a, b), only(b, a));
  }
  return total;
}

/** Every file under the artifact store's folder (temporary files of interrupted writes included). */
export function listFiles(dir: string): Set<string> {
  if (!existsSync(dir)) return new Set();
  return new Set(
    readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((entry) => relative(dir, `${entry.parentPath}/${entry.name}`)),
  );
}

// ---- shapes ----------------------------------------------------------------------------------------------

const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Whether an error answer (status >= 400) is in its style's error shape. */
export function inErrorShape(surface: Surface, status: number, body: unknown): boolean {
  // A tRPC batch (`?batch=1`) answers one envelope per call.
  if (surface === 'trpc' && Array.isArray(body) && body.length > 0)
    return body.every((item) => isObj(item) && (!('error' in item) || trpcEnvelope(item, null)));
  if (!isObj(body)) return false;
  switch (surface) {
    case 'mlw':
      return (
        (typeof body.message === 'string' &&
          body.errorCode === status &&
          typeof body.exception === 'string') ||
        (typeof body.error === 'string' &&
          typeof body.message === 'string' &&
          typeof body.info === 'string' &&
          (status === 401 || status === 403)) ||
        // MLW's "Variable issue" 400 (createnew, save), naming the field.
        (status === 400 &&
          body.message === 'Variable issue' &&
          Array.isArray(body.info) &&
          body.info.every((i) => isObj(i) && Array.isArray(i.loc) && typeof i.msg === 'string'))
      );
    case 'cumulocity':
      // Cumulocity's `{error: "<domain>/<kind>", message, info}`.
      return (
        typeof body.error === 'string' && typeof body.message === 'string' && typeof body.info === 'string'
      );
    case 'edge-impulse':
      return body.success === false && typeof body.error === 'string';
    case 'training-module':
      return (
        typeof body.detail === 'string' ||
        (Array.isArray(body.detail) &&
          body.detail.length > 0 &&
          body.detail.every(
            (d) =>
              isObj(d) && Array.isArray(d.loc) && typeof d.msg === 'string' && typeof d.type === 'string',
          ))
      );
    case 'trpc':
      return trpcEnvelope(body, status);
  }
}

function trpcEnvelope(body: Record<string, unknown>, status: number | null): boolean {
  // tRPC's error shape inside superjson's envelope (`{error: {json: {message, code, data}}}`).
  const error = isObj(body.error) ? body.error.json : undefined;
  return (
    isObj(error) &&
    typeof error.message === 'string' &&
    isObj(error.data) &&
    typeof error.data.code === 'string' &&
    (status === null ? typeof error.data.httpStatus === 'number' : error.data.httpStatus === status)
  );
}

// ---- generators ------------------------------------------------------------------------------------------

const WEIRD_STRINGS = [
  '../../etc/passwd',
  '..%2F..%2Fetc%2Fpasswd',
  '..\\..\\windows\\win.ini',
  '/etc/passwd',
  'a/../../b',
  '\u0000',
  'nul\u0000byte',
  'NaN',
  '-1',
  '0',
  '1e309',
  '9'.repeat(40),
  'Infinity',
  '0x10',
  '<script>alert(1)</script>',
  "' OR 1=1 --",
  '😀'.repeat(60),
  '\u202egnp.exe',
  'CON',
  '',
  ' ',
  'x'.repeat(5000),
  '__proto__',
  'constructor',
];

const weirdString = fc.constantFrom(...WEIRD_STRINGS);
const badScalar = fc.oneof(
  fc.string(),
  fc.fullUnicodeString(),
  weirdString,
  fc.integer(),
  fc.double(),
  fc.constantFrom(-1, 0, 2 ** 53, 2 ** 64, 1e308, -1e308, Number.MAX_SAFE_INTEGER + 2, 0.5),
  fc.boolean(),
  fc.constant(null),
);
const badValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 6, arbitrary: badScalar },
  { weight: 1, arbitrary: fc.array(badScalar, { maxLength: 4 }) },
  { weight: 1, arbitrary: fc.dictionary(fc.string({ maxLength: 6 }), badScalar, { maxKeys: 3 }) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
);

/** The keys of an object contract (through optional/default wrappers), to fuzz field by field. */
function keysOf(schema: unknown): string[] {
  let s = schema as z.ZodType | undefined;
  for (let i = 0; i < 5 && s; i++) {
    if (s instanceof z.ZodObject) return Object.keys(s.shape);
    const def = (s as unknown as { def?: { innerType?: z.ZodType; in?: z.ZodType } }).def;
    s = def?.innerType ?? def?.in;
  }
  return [];
}

function deepJson(depth: number): string {
  return `${'{"a":['.repeat(depth)}1${']}'.repeat(depth)}`;
}

/** A JSON body for a contract: its fields with bad values, fields missing, extra fields, or junk. */
function jsonBody(keys: string[], good: Record<string, unknown>): fc.Arbitrary<string> {
  const fields = fc.record(
    Object.fromEntries(
      keys.map((k) => [k, fc.oneof(badValue, fc.constant(good[k] ?? 'x'), fc.constant(undefined))]),
    ),
    { requiredKeys: [] },
  );
  return fc.oneof(
    { weight: 5, arbitrary: fields.map((r) => JSON.stringify(r)) },
    {
      weight: 2,
      arbitrary: fc
        .tuple(fields, fc.dictionary(fc.string({ maxLength: 10 }), badValue, { maxKeys: 4 }))
        .map(([r, extra]) => JSON.stringify({ ...extra, ...r })),
    },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)) },
    { weight: 1, arbitrary: fc.string() },
    {
      weight: 1,
      arbitrary: fc.constantFrom('{', '{"a":', '[1,2', 'null', '""', 'true', '{"__proto__":{"x":1}}'),
    },
    { weight: 1, arbitrary: fc.integer({ min: 100, max: 5000 }).map(deepJson) },
  );
}

function brokenCsv(): fc.Arbitrary<string> {
  return fc.oneof(
    fc.string(),
    fc.fullUnicodeString({ maxLength: 200 }),
    fc.constantFrom(
      '',
      'a,b\n"unterminated,1\n',
      '\ufeffa,b,c\n1,2\n3,4,5,6\n',
      'a\n'.repeat(3),
      ',,,\n,,,\n',
      'a,b\n1,\u0000\n',
      `${'x'.repeat(20000)}\n`,
      'a;b;c\n1;2;3\n',
      'a,a,a\n1,2,3\n',
      '\r\n\r\n\r\n',
    ),
    fc
      .array(fc.array(fc.oneof(fc.string({ maxLength: 8 }), fc.double().map(String)), { maxLength: 6 }), {
        maxLength: 8,
      })
      .map((rows) => rows.map((r) => r.join(',')).join('\n')),
  );
}

const fileName = fc.oneof(
  fc.constantFrom(
    'data.csv',
    'net.architecture',
    'prep.preprocessing',
    '../../../etc/passwd',
    '..\\..\\evil.csv',
    '/abs/path.csv',
    '.csv',
    'a'.repeat(300) + '.csv',
    'naïve 😀 ünïcode.csv',
    '\u202ecsv.exe',
    'nul\u0000.csv',
    'CON.csv',
    '',
  ),
  fc.fullUnicodeString({ maxLength: 30 }),
);

interface Case {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string | FormData | Uint8Array;
}

interface Fixture {
  w: World;
  ownerKey: string;
  /** valid values per path parameter name */
  params: Record<string, string[]>;
  /** valid values per body/input field name */
  good: Record<string, unknown>;
}

function paramValue(name: string, fx: Fixture): fc.Arbitrary<string> {
  const valid = fx.params[name] ?? ['1'];
  return fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...valid).map(encodeURIComponent) },
    {
      weight: 2,
      arbitrary: fc
        .oneof(
          badScalar.map((v) => String(v)),
          weirdString,
        )
        .map(encodeURIComponent),
    },
    { weight: 1, arbitrary: fc.constantFrom('%', '%zz', '%E0%A4%A', '..', '.', '%2e%2e', '%00') },
  );
}

function authHeaders(surface: Surface, fx: Fixture, w: World): fc.Arbitrary<Record<string, string>> {
  const good: fc.Arbitrary<Record<string, string>> =
    surface === 'mlw' || surface === 'cumulocity'
      ? fc.constantFrom<Record<string, string>>(
          { authorization: `Bearer ${fx.ownerKey}` },
          { authorization: basic(w.a.users.OWNER.email) },
        )
      : surface === 'edge-impulse'
        ? fc.constant({ 'x-api-key': fx.ownerKey })
        : fc.constant({ 'x-api-key': fx.ownerKey });
  const bad = fc.oneof(
    fc.constant({}),
    fc.constantFrom<Record<string, string>>(
      { authorization: 'Basic !!!not-base64' },
      { authorization: 'Basic ' + Buffer.from('no-colon').toString('base64') },
      { authorization: basic('/', '') },
      { authorization: basic('nobody@x.test', 'wrong') },
      { authorization: 'Bearer ' + 'x'.repeat(5000) },
      { authorization: 'Bearer' },
      { 'x-api-key': 'th_' + 'y'.repeat(300) },
      { 'x-api-key': '' },
      { 'x-jwt-token': 'a.b.c' },
      { 'x-jwt-token': 'eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0.' },
      { cookie: 'jwt=%E0%A4%A; next-auth.session-token=%' },
      { cookie: 'next-auth.session-token=' + 'z'.repeat(100) },
    ),
  );
  return fc.oneof({ weight: 4, arbitrary: good }, { weight: 1, arbitrary: bad });
}

function queryString(route: RouteDef): fc.Arbitrary<string> {
  const keys = keysOf(route.query);
  if (keys.length === 0) return fc.oneof(fc.constant(''), fc.constant('?x=%zz&y=1'));
  return fc
    .record(Object.fromEntries(keys.map((k) => [k, badScalar.map(String)])), { requiredKeys: [] })
    .map((q) => {
      const entries = Object.entries(q);
      return entries.length
        ? `?${entries.map(([k, v]) => `${k}=${encodeURIComponent(v as string)}`).join('&')}`
        : '';
    });
}

function multipartBody(route: RouteDef, limit: number): fc.Arbitrary<Pick<Case, 'headers' | 'body'>> {
  const names = route.multipart?.files ?? ['file'];
  const form = fc
    .tuple(
      fc.array(
        fc.tuple(fc.oneof(fc.constantFrom(...names), fc.string({ maxLength: 8 })), fileName, brokenCsv()),
        { maxLength: 3 },
      ),
      fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 20 }), { maxKeys: 2 }),
    )
    .map(([files, fields]) => {
      const data = new FormData();
      for (const [k, v] of Object.entries(fields)) data.append(k, v);
      for (const [field, name, content] of files) data.append(field, new Blob([content]), name);
      return { headers: {}, body: data };
    });
  const raw = fc
    .tuple(
      fc.constantFrom(
        'multipart/form-data',
        'multipart/form-data; boundary=',
        'multipart/form-data; boundary=XYZ',
        'multipart/form-data; boundary="' + 'b'.repeat(200) + '"',
        'text/csv',
        'application/json',
        '',
      ),
      fc.oneof(
        fc.string(),
        fc.constantFrom(
          '--XYZ\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n\r\na,b\n1,2',
          '--XYZ\r\nContent-Disposition: form-data; name="file"\r\n\r\n',
          '--XYZ--\r\n',
          '--XYZ\r\nContent-Disposition: form-data; name="file"; filename="../../x.csv"\r\nContent-Type: text/csv\r\n\r\na,b\n--XYZ--',
          '--XYZ\r\nbroken header\r\n\r\nxx\r\n--XYZ--\r\n',
        ),
      ),
    )
    .map(([type, body]) => ({
      headers: (type ? { 'content-type': type } : {}) as Record<string, string>,
      body,
    }));
  const oversized = fc.constant(null).map((): Pick<Case, 'headers' | 'body'> => {
    const data = new FormData();
    data.append(names[0]!, new Blob([new Uint8Array(limit * 2 + 1).fill(97)]), 'big.csv');
    return { headers: {}, body: data };
  });
  return fc.oneof(
    { weight: 5, arbitrary: form },
    { weight: 3, arbitrary: raw },
    { weight: 1, arbitrary: oversized },
  );
}

const STYLES: { surface: Exclude<Surface, 'trpc'>; style: RestStyle }[] = [
  { surface: 'mlw', style: mlwStyle },
  { surface: 'cumulocity', style: cumulocityStyle },
  { surface: 'edge-impulse', style: edgeImpulseStyle },
  { surface: 'training-module', style: trainingModuleStyle },
];

function restCases(
  surface: Surface,
  style: RestStyle,
  route: RouteDef,
  fx: Fixture,
  runs: number,
  seed: number,
) {
  const names = [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);
  const path = fc
    .tuple(...names.map((n) => paramValue(n, fx)))
    .map((values) => names.reduce((p, n, i) => p.replace(`{${n}}`, values[i]!), route.path));
  const contentType = fc.constantFrom(
    'application/json',
    'text/plain',
    'application/x-www-form-urlencoded',
    'application/octet-stream',
    'application/json; charset=utf-16',
  );
  const payload: fc.Arbitrary<Pick<Case, 'headers' | 'body'>> = route.multipart
    ? multipartBody(route, fx.w.deps.uploadLimitBytes)
    : route.method === 'GET' || route.method === 'DELETE'
      ? fc.constant({ headers: {} })
      : fc
          .tuple(jsonBody(keysOf(route.body), fx.good), fc.option(contentType))
          .map(([body, type]) => ({ headers: type ? { 'content-type': type } : {}, body }));
  const arb = fc
    .tuple(path, queryString(route), authHeaders(surface, fx, fx.w), payload)
    .map(([p, q, auth, pl]): Case => ({
      method: route.method,
      url: `http://localhost${style.basePath}${p}${q}`,
      headers: { ...auth, ...pl.headers },
      ...(pl.body !== undefined ? { body: pl.body } : {}),
    }));
  const generated = fc.sample(arb, { numRuns: runs, seed });
  // Fixed cases every route gets: the wrong method, an oversized body, a very deep JSON body.
  const base = generated[0]!;
  const auth = base.headers;
  const fixed: Case[] = [
    {
      method: route.method === 'PUT' ? 'PATCH' : 'PUT',
      url: base.url,
      headers: auth,
      body: '{}',
    },
  ];
  if (route.method !== 'GET' && route.method !== 'DELETE') {
    fixed.push({
      method: route.method,
      url: base.url,
      headers: { ...auth, 'content-type': 'application/json' },
      body: new Uint8Array(2 * 1024 * 1024 + 10).fill(32),
    });
    fixed.push({
      method: route.method,
      url: base.url,
      headers: { ...auth, 'content-type': 'application/json' },
      body: deepJson(50_000),
    });
  }
  return [...generated, ...fixed];
}

/**
 * A subscription answers 200 and streams server-sent events; a rejected one streams `connected`, then a
 * `serialized-error` event carrying the error's HTTP status, and ends. Read it as that status and the error
 * in tRPC's envelope; a stream still open after a second (valid input, live progress) counts as accepted.
 */
async function subscriptionAnswer(
  response: Response,
  abort: AbortController,
): Promise<{ status: number; text: string }> {
  const timer = setTimeout(() => abort.abort(), 1000);
  let stream = '';
  try {
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    // A rejected subscription ends its stream after the error; a live one runs until the abort.
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      stream += decoder.decode(value, { stream: true });
    }
    await reader.cancel().catch(() => undefined);
  } catch {
    // aborted: still streaming, nothing rejected
  } finally {
    clearTimeout(timer);
    abort.abort();
  }
  const error = /event: serialized-error\ndata: (.*)\n/.exec(stream)?.[1];
  if (!error) return { status: 200, text: stream };
  try {
    // The event's data is the error in superjson's envelope: {json: {message, code, data}}.
    const parsed = JSON.parse(error) as { json?: { data?: { httpStatus?: number } } };
    return { status: parsed.json?.data?.httpStatus ?? 500, text: JSON.stringify({ error: parsed }) };
  } catch {
    return { status: 500, text: error };
  }
}

interface ProcedureDef {
  _def: { type: 'query' | 'mutation' | 'subscription'; inputs: unknown[] };
}

function trpcCases(path: string, proc: ProcedureDef, fx: Fixture, runs: number, seed: number): Case[] {
  const keys = keysOf(proc._def.inputs[0]);
  const input = fc.oneof(
    {
      weight: 5,
      arbitrary: fc.record(
        Object.fromEntries(
          keys.map((k) => [k, fc.oneof(badValue, fc.constant(fx.good[k] ?? 1), fc.constant(undefined))]),
        ),
        { requiredKeys: [] },
      ),
    },
    { weight: 1, arbitrary: badValue },
  );
  const auth = fc.oneof(
    { weight: 4, arbitrary: fc.constant({ 'x-api-key': fx.ownerKey }) },
    {
      weight: 1,
      arbitrary: fc.constantFrom<Record<string, string>>(
        {},
        { 'x-api-key': 'nope' },
        { cookie: 'next-auth.session-token=%' },
        { authorization: 'Bearer ' },
      ),
    },
  );
  const url = (raw: string) => `http://localhost/api/trpc/${path}${raw}`;
  // Inputs go in superjson's envelope (`{"json": <input>}`), as tRPC clients send them, so they reach the
  // procedure's own validation.
  const wrap = (text: string | undefined) => (text === undefined ? undefined : `{"json":${text}}`);
  const arb = fc.tuple(input, auth, fc.boolean()).map(([value, headers, raw]): Case => {
    const text = wrap(
      raw ? fc.sample(jsonBody(keys, fx.good), { numRuns: 1, seed: seed + 1 })[0]! : JSON.stringify(value),
    );
    // Queries and subscriptions (server-sent events) are GETs; mutations POST.
    return proc._def.type !== 'mutation'
      ? { method: 'GET', url: url(`?input=${encodeURIComponent(text ?? '')}`), headers }
      : {
          method: 'POST',
          url: url(''),
          headers: { ...headers, 'content-type': 'application/json' },
          body: text ?? '',
        };
  });
  const cases = fc.sample(arb, { numRuns: runs, seed });
  const headers = { 'x-api-key': fx.ownerKey, 'content-type': 'application/json' };
  // Well-formed input naming ids that do not exist.
  const unknownIds = Object.fromEntries(
    keys.filter((k) => k in fx.good).map((k) => [k, k.endsWith('Id') ? 987_654 : fx.good[k]]),
  );
  if (keys.some((k) => k.endsWith('Id'))) {
    const text = JSON.stringify({ json: unknownIds });
    cases.push(
      proc._def.type !== 'mutation'
        ? { method: 'GET', url: url(`?input=${encodeURIComponent(text)}`), headers }
        : { method: 'POST', url: url(''), headers, body: text },
    );
  }
  cases.push(
    proc._def.type !== 'mutation'
      ? { method: 'POST', url: url(''), headers, body: '{}' }
      : { method: 'GET', url: url('?input=%7B%7D'), headers },
    { method: 'POST', url: url(''), headers, body: deepJson(50_000) },
    { method: 'POST', url: url(''), headers, body: wrap(deepJson(50_000)) },
    // superjson's type annotations: unknown, hostile (prototype paths) and malformed.
    ...[
      '{"values":{"x":["custom","nope"]}}',
      '{"values":{"__proto__.polluted":["undefined"]}}',
      '{"referentialEqualities":{"x":["constructor.prototype"]}}',
      '{"values":"x"}',
      '{"values":[["map",{}]]}',
    ].map((meta) => ({ method: 'POST', url: url(''), headers, body: `{"json":{"x":1},"meta":${meta}}` })),
    { method: 'POST', url: url(''), headers, body: new Uint8Array(3 * 1024 * 1024).fill(32) },
    { method: 'GET', url: url('?input=%E0%A4%A'), headers },
    {
      method: 'GET',
      url: url('?batch=1&input=' + encodeURIComponent('{"0":' + deepJson(2000) + '}')),
      headers,
    },
  );
  return cases;
}

async function fixture(provider: DatabaseProvider): Promise<Fixture> {
  const w = await makeWorld(provider, 64 * 1024);
  const db = w.t.db;
  const pid = w.a.projectId;
  const resource = (kind: 'DATASET' | 'ARCHITECTURE' | 'CODE', name: string, content: string) =>
    w.deps.store.put(`fuzz/${name}`, Buffer.from(content)).then((stored) =>
      db.resource.create({
        data: {
          projectId: pid,
          kind,
          name,
          size: stored.size,
          contentHash: stored.contentHash,
          storageKey: `fuzz/${name}`,
        },
      }),
    );
  const data = await resource('DATASET', 'd.csv', 'a,b,label\n1,2,x\n3,4,y\n');
  const arch = await resource('ARCHITECTURE', 'n.architecture', '{"layers":[{"type":"dense","units":3}]}');
  const code = await resource('CODE', 'c.preprocessing', '{"scaling":"standardize"}');
  const block = await db.learnBlock.create({
    data: { projectId: pid, name: 'nn', title: 'NN', settings: {} },
  });
  const task = await db.task.create({
    data: {
      projectId: pid,
      name: 'fuzz',
      source: 'mlw',
      definition: { version: 1 },
      hyperparameters: { epochs: 1, batchSize: 1 },
    },
  });
  const execution = await db.execution.create({
    data: { taskId: task.id, projectId: pid, status: 'COMPLETED', finishedAt: new Date() },
  });
  const handler = createRestHandler(trainingModuleStyle, () => w.deps);
  const started = (await (
    await handler(
      new Request('http://localhost/training-module/start_session', {
        headers: { 'x-api-key': w.a.keys.EDITOR },
      }),
    )
  ).json()) as { key: string };
  const ids = (n: number) => [String(n)];
  return {
    w,
    ownerKey: w.a.keys.OWNER,
    params: {
      projectID: [`${pid}_Project`],
      resourceID: [`${data.id}_Resource`, `${arch.id}_Resource`],
      taskID: ids(task.id),
      subTaskID: ids(execution.id),
      projectId: ids(pid),
      learnId: ids(block.id),
      jobId: ids(execution.id),
      key: [started.key],
    },
    good: {
      projectId: pid,
      teamId: w.a.id,
      taskId: task.id,
      executionId: execution.id,
      resourceId: data.id,
      learnBlockId: block.id,
      architectureResourceId: arch.id,
      datasetResourceId: data.id,
      codeResourceId: code.id,
      dataID: `${data.id}_Resource`,
      codeID: `${code.id}_Resource`,
      name: 'fuzzed',
      email: w.a.users.OWNER.email,
    },
  };
}

export async function runFuzz(options: FuzzOptions): Promise<FuzzReport> {
  const started = Date.now();
  const fx = await fixture(options.provider);
  const { w } = fx;
  const handlers = new Map(STYLES.map(({ style }) => [style, createRestHandler(style, () => w.deps)]));
  const report: FuzzReport = {
    database: options.provider,
    targets: 0,
    requests: 0,
    rejected: 0,
    accepted: 0,
    serverErrors: 0,
    wrongShape: 0,
    rowsByRejected: 0,
    filesByRejected: 0,
    bySurface: {
      mlw: { targets: 0, requests: 0 },
      cumulocity: { targets: 0, requests: 0 },
      'edge-impulse': { targets: 0, requests: 0 },
      'training-module': { targets: 0, requests: 0 },
      trpc: { targets: 0, requests: 0 },
    },
    findings: [],
    seconds: 0,
  };
  // The server logs unexpected errors; the 5xx count already reports them.
  const quiet = console.error;
  console.error = process.env.FUZZ_DEBUG ? quiet : () => undefined;
  try {
    let lastRows: RowSnapshot | undefined;
    let lastFiles: Set<string> | undefined;
    const send = async (
      surface: Surface,
      target: string,
      c: Case,
      handle: (r: Request) => Promise<Response>,
    ) => {
      // What the previous request left (nothing else writes meanwhile): one snapshot per request.
      const before = (lastRows ??= await snapshotRows(w));
      const filesBefore = (lastFiles ??= listFiles(w.artifactsDir));
      const abort = new AbortController();
      const request = new Request(c.url, {
        method: c.method,
        headers: c.headers,
        signal: abort.signal,
        ...(c.body !== undefined ? { body: c.body as RequestInit['body'] } : {}),
      });
      let status: number;
      let text: string;
      try {
        const response = await handle(request);
        status = response.status;
        if (response.headers.get('content-type')?.startsWith('text/event-stream')) {
          ({ status, text } = await subscriptionAnswer(response, abort));
        } else text = await response.text();
      } catch (error) {
        status = 599;
        text = `thrown: ${(error as Error).stack ?? String(error)}`;
      }
      report.requests++;
      report.bySurface[surface].requests++;
      const finding = (problem: FuzzFinding['problem']) =>
        report.findings.push({
          surface,
          target,
          method: c.method,
          url: c.url.slice(0, 300),
          status,
          problem,
          body: text.slice(0, 300),
        });
      lastRows = await snapshotRows(w);
      lastFiles = listFiles(w.artifactsDir);
      if (status < 400) {
        report.accepted++;
        return;
      }
      report.rejected++;
      if (status >= 500) {
        report.serverErrors++;
        finding('5xx');
      }
      let body: unknown = null;
      try {
        body = JSON.parse(text);
      } catch {
        // not JSON: wrong shape
      }
      if (!inErrorShape(surface, status, body)) {
        report.wrongShape++;
        finding('shape');
      }
      const written = rowsChanged(before, lastRows);
      if (written) {
        report.rowsByRejected += written;
        finding('rows');
      }
      const left = [...lastFiles].filter((file) => !filesBefore.has(file));
      if (left.length) {
        report.filesByRejected += left.length;
        text = `${left.slice(0, 3).join(', ')} <- ${text}`;
        finding('files');
      }
    };

    let seed = options.seed;
    for (const { surface, style } of STYLES) {
      const handle = handlers.get(style)!;
      for (const route of style.routes) {
        report.targets++;
        report.bySurface[surface].targets++;
        for (const c of restCases(surface, style, route, fx, options.runs, seed++)) {
          await send(surface, `${route.method} ${route.path}`, c, handle);
        }
      }
      // Unknown paths answer the style's 404.
      await send(
        surface,
        'unknown path',
        { method: 'GET', url: `http://localhost${style.basePath}/no/such/%E0%A4%A/../route`, headers: {} },
        handle,
      );
    }
    const procedures = (appRouter as unknown as { _def: { procedures: Record<string, ProcedureDef> } })._def
      .procedures;
    const trpc = (request: Request) => handleTrpc(request, w.deps);
    for (const [path, proc] of Object.entries(procedures)) {
      report.targets++;
      report.bySurface.trpc.targets++;
      for (const c of trpcCases(path, proc, fx, options.runs, seed++)) await send('trpc', path, c, trpc);
    }
  } finally {
    console.error = quiet;
    await w.drop();
  }
  report.seconds = (Date.now() - started) / 1000;
  return report;
}

export function printFuzz(reports: FuzzReport[]) {
  const rows = [
    ['', ...reports.map((r) => r.database)],
    ['routes + procedures fuzzed', ...reports.map((r) => String(r.targets))],
    ...(['mlw', 'cumulocity', 'edge-impulse', 'training-module', 'trpc'] as Surface[]).map((s) => [
      `  ${s} (targets / requests)`,
      ...reports.map((r) => `${r.bySurface[s].targets} / ${r.bySurface[s].requests}`),
    ]),
    ['requests sent', ...reports.map((r) => String(r.requests))],
    ['  accepted (2xx)', ...reports.map((r) => String(r.accepted))],
    ['  rejected (4xx/5xx)', ...reports.map((r) => String(r.rejected))],
    ['5xx answers (must be 0)', ...reports.map((r) => String(r.serverErrors))],
    ['not in the style error shape (must be 0)', ...reports.map((r) => String(r.wrongShape))],
    [
      'rows added/changed/deleted by rejected requests (must be 0)',
      ...reports.map((r) => String(r.rowsByRejected)),
    ],
    [
      'files left in the store by rejected requests (must be 0)',
      ...reports.map((r) => String(r.filesByRejected)),
    ],
    ['seconds', ...reports.map((r) => r.seconds.toFixed(1))],
  ];
  printTable(rows);
  for (const r of reports) {
    const seen = new Set<string>();
    for (const f of r.findings) {
      const key = `${f.problem} ${f.surface} ${f.target} ${f.status}`;
      if (seen.has(key)) continue;
      seen.add(key);
      console.log(`  [${r.database}] ${key}: ${f.method} ${f.url.slice(0, 120)} -> ${f.body.slice(0, 200)}`);
    }
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const runs = Number(process.env.FUZZ_RUNS ?? 40);
  const seed = Number(process.env.FUZZ_SEED ?? 1);
  const reports: FuzzReport[] = [];
  const { testProviders } = await import('@trainhub/db/testing');
  let stopPg: (() => void) | undefined;
  if (!process.env.TEST_DATABASE_URL_POSTGRES) {
    // @ts-expect-error plain ESM helper shared with the npm scripts
    const { startPostgres } = await import('../../scripts/lib/postgres.mjs');
    const pg = (await startPostgres()) as { url: string; stop(): void };
    process.env.TEST_DATABASE_URL_POSTGRES = pg.url;
    stopPg = () => pg.stop();
  }
  try {
    for (const provider of testProviders as DatabaseProvider[])
      reports.push(await runFuzz({ provider, runs, seed }));
  } finally {
    stopPg?.();
  }
  console.log(`\nfuzz: ${runs} generated cases per route/procedure + fixed cases, seed ${seed}\n`);
  printFuzz(reports);
  const bad = reports.some((r) => r.serverErrors || r.wrongShape || r.rowsByRejected || r.filesByRejected);
  process.exit(bad ? 1 : 0);
}
