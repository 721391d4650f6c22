import { z } from 'zod';

// FastAPI + Pydantic v2 fidelity for the session style: how FastAPI reads a request (CPython's json module,
// Starlette's form parsing, pydantic's lax "python mode" coercion) and how it words a failure (its 422 body,
// byte for byte). Reference: /work/shared/docs/fidelity/fastapi-422.md (FastAPI 0.142, pydantic-core 2.46,
// CPython 3.11), sections 1-4.
//
// The validators are zod schemas (`py.int()`, `py.str()`, ... below): each applies pydantic's coercion rules
// and, on failure, raises a zod issue carrying pydantic's error type, message and context. `fastapiErrors`
// is the one translation from a zod failure (those issues, or any plain zod issue) to FastAPI's error list.

// ---------------------------------------------------------------------------------------------------------
// Python values

/**
 * A JSON number as CPython's json module read it: `raw` is the token, `isFloat` whether Python made it a
 * float (a fraction or an exponent) rather than an int. Kept so that an echoed `input` prints as Python
 * would (`1.0` stays `1.0`, `1e5` is `100000.0`, big ints stay exact).
 */
export class PyNumber {
  constructor(
    readonly raw: string,
    readonly isFloat: boolean,
  ) {}
  /** The nearest double (exact for ints up to 2^53). */
  get value(): number {
    return Number(this.raw); // 'NaN', 'Infinity' and '-Infinity' included
  }
  /** A float given as a double (used for float constraints in `ctx`, e.g. `{"gt":0.0}`). */
  static float(value: number): PyNumber {
    return new PyNumber(String(value), true);
  }
}

// The key order of each object the JSON reader made (a JS object lists integer-like keys first; a Python
// dict keeps insertion order).
const keyOrder = new WeakMap<object, string[]>();

/**
 * Python's `repr(float)`: the shortest round-trip digits, fixed notation for decimal exponents in
 * [-4, 16), else `d.ddde+XX`; an integral value ends in `.0`. Infinity and NaN throw (json.dumps with
 * allow_nan=False, which FastAPI answers with a plain-text 500).
 */
export function pyFloatRepr(x: number): string {
  if (!Number.isFinite(x)) throw new PyRenderError('Out of range float values are not JSON compliant');
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const sign = x < 0 ? '-' : '';
  const [mantissa, exp] = Math.abs(x).toExponential().split('e') as [string, string];
  const digits = mantissa.replace('.', '');
  const decpt = Number(exp) + 1; // value = 0.digits x 10^decpt
  if (decpt <= -4 || decpt > 16) {
    const e = decpt - 1;
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    return `${sign}${m}e${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
  }
  if (decpt <= 0) return `${sign}0.${'0'.repeat(-decpt)}${digits}`;
  if (decpt >= digits.length) return `${sign}${digits}${'0'.repeat(decpt - digits.length)}.0`;
  return `${sign}${digits.slice(0, decpt)}.${digits.slice(decpt)}`;
}

/** A value json.dumps cannot write (an infinite or NaN float): FastAPI answers a plain-text 500. */
export class PyRenderError extends Error {
  override name = 'PyRenderError';
}

/**
 * `json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)`, Starlette's
 * JSONResponse rendering: no spaces, non-ASCII written raw, Python number formatting (PyNumber tokens as
 * Python read them; a JS number prints as an int when integral, else as a Python float). Objects made by
 * `parsePythonJson` keep their key order.
 */
export function pyDumps(value: unknown, lenient = false): string {
  const dumps = (v: unknown) => pyDumps(v, lenient);
  const float = (x: number) =>
    lenient && !Number.isFinite(x)
      ? JSON.stringify(Number.isNaN(x) ? 'nan' : x > 0 ? 'inf' : '-inf')
      : pyFloatRepr(x);
  if (value === null || value === undefined) return 'null';
  if (value === true) return 'true';
  if (value === false) return 'false';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') {
    return Number.isInteger(value) && !Object.is(value, -0) ? String(value) : float(value);
  }
  if (value instanceof PyNumber) {
    if (!value.isFloat) {
      if (!/^-?\d+$/.test(value.raw)) return float(value.value); // NaN / Infinity literals
      return BigInt(value.raw).toString();
    }
    return float(value.value);
  }
  if (Array.isArray(value)) return `[${value.map(dumps).join(',')}]`;
  if (typeof value === 'object') {
    const record = value as Record<string, unknown>;
    const keys = keyOrder.get(record) ?? Object.keys(record);
    return `{${keys.map((k) => `${JSON.stringify(k)}:${dumps(record[k])}`).join(',')}}`;
  }
  return JSON.stringify(String(value));
}

// ---------------------------------------------------------------------------------------------------------
// CPython's json.loads (the C scanner of CPython <= 3.12)

/** json.JSONDecodeError: `msg` and `pos` (a code-point offset into the decoded text). */
export class JsonDecodeError extends Error {
  override name = 'JsonDecodeError';
  constructor(
    readonly msg: string,
    readonly pos: number,
  ) {
    super(`${msg} (char ${pos})`);
  }
}

class StopIteration {
  constructor(readonly pos: number) {}
}

/**
 * CPython's scanner recurses once per nested object or array and gives up at the interpreter's recursion
 * limit (1000 frames, some of them FastAPI's own): a RecursionError, which FastAPI answers as a body it
 * could not parse (400).
 */
export const MAX_JSON_DEPTH = 950;

/** Nesting deeper than CPython's json reader can follow. */
export class JsonTooDeepError extends Error {
  override name = 'JsonTooDeepError';
}

const WS = new Set([' ', '\t', '\n', '\r']);
const isDigit = (c: string | undefined) => c !== undefined && c >= '0' && c <= '9';

/**
 * `json.loads(text)` as CPython 3.11 reads it: the same accepted inputs (NaN and Infinity literals
 * included), numbers as PyNumber tokens, duplicate keys keep the last value at the first position, and the
 * same JsonDecodeError message and position for every malformed input ("Expecting value", "Extra data",
 * "Expecting property name enclosed in double quotes", "Unterminated string starting at", ...).
 */
export function parsePythonJson(text: string): unknown {
  const s = Array.from(text); // Python indexes code points
  const len = s.length;
  let depth = 0;
  const enter = () => {
    if (++depth > MAX_JSON_DEPTH)
      throw new JsonTooDeepError('maximum recursion depth exceeded while decoding a JSON document');
  };
  const skip = (i: number) => {
    while (i < len && WS.has(s[i]!)) i++;
    return i;
  };

  const scanString = (begin: number): [string, number] => {
    // `begin` is the index of the opening quote; C scanstring_unicode.
    let out = '';
    let end = begin + 1;
    for (;;) {
      let next = end;
      let c: string | undefined;
      for (; next < len; next++) {
        c = s[next]!;
        if (c === '"' || c === '\\') break;
        if (c.codePointAt(0)! <= 0x1f) throw new JsonDecodeError('Invalid control character at', next);
      }
      if (next >= len || (c !== '"' && c !== '\\'))
        throw new JsonDecodeError('Unterminated string starting at', begin);
      out += s.slice(end, next).join('');
      next++;
      if (c === '"') return [out, next];
      if (next === len) throw new JsonDecodeError('Unterminated string starting at', begin);
      const e = s[next]!;
      if (e !== 'u') {
        end = next + 1;
        const simple: Record<string, string> = {
          '"': '"',
          '\\': '\\',
          '/': '/',
          b: '\b',
          f: '\f',
          n: '\n',
          r: '\r',
          t: '\t',
        };
        if (!(e in simple)) throw new JsonDecodeError('Invalid \\escape', end - 2);
        out += simple[e];
        continue;
      }
      next++;
      end = next + 4;
      if (end >= len) throw new JsonDecodeError('Invalid \\uXXXX escape', next - 1);
      const hex = s.slice(next, end).join('');
      if (!/^[0-9a-fA-F]{4}$/.test(hex)) throw new JsonDecodeError('Invalid \\uXXXX escape', end - 5);
      let code = parseInt(hex, 16);
      if (code >= 0xd800 && code <= 0xdbff && end + 6 < len && s[end] === '\\' && s[end + 1] === 'u') {
        const hex2 = s.slice(end + 2, end + 6).join('');
        if (!/^[0-9a-fA-F]{4}$/.test(hex2)) throw new JsonDecodeError('Invalid \\uXXXX escape', end + 1);
        const low = parseInt(hex2, 16);
        if (low >= 0xdc00 && low <= 0xdfff) {
          code = 0x10000 + ((code - 0xd800) << 10) + (low - 0xdc00);
          end += 6;
        }
      }
      out += String.fromCodePoint(code);
    }
  };

  const scanNumber = (start: number): [PyNumber, number] => {
    let i = start;
    if (s[i] === '-') {
      i++;
      if (i >= len) throw new StopIteration(start);
    }
    if (s[i]! >= '1' && s[i]! <= '9') {
      i++;
      while (isDigit(s[i])) i++;
    } else if (s[i] === '0') i++;
    else throw new StopIteration(start);
    let isFloat = false;
    if (i < len - 1 && s[i] === '.' && isDigit(s[i + 1])) {
      isFloat = true;
      i += 2;
      while (isDigit(s[i])) i++;
    }
    if (i < len - 1 && (s[i] === 'e' || s[i] === 'E')) {
      const eStart = i;
      i++;
      if (i < len - 1 && (s[i] === '-' || s[i] === '+')) i++;
      while (isDigit(s[i])) i++;
      if (isDigit(s[i - 1])) isFloat = true;
      else i = eStart;
    }
    return [new PyNumber(s.slice(start, i).join(''), isFloat), i];
  };

  const scanOnce = (idx: number): [unknown, number] => {
    if (idx >= len) throw new StopIteration(idx);
    const c = s[idx]!;
    const word = (w: string) => s.slice(idx, idx + w.length).join('') === w;
    if (c === '"') return scanString(idx);
    if (c === '{') return parseObject(idx + 1);
    if (c === '[') return parseArray(idx + 1);
    if (c === 'n' && word('null')) return [null, idx + 4];
    if (c === 't' && word('true')) return [true, idx + 4];
    if (c === 'f' && word('false')) return [false, idx + 5];
    if (c === 'N' && word('NaN')) return [new PyNumber('NaN', true), idx + 3];
    if (c === 'I' && word('Infinity')) return [new PyNumber('Infinity', true), idx + 8];
    if (c === '-' && word('-Infinity')) return [new PyNumber('-Infinity', true), idx + 9];
    return scanNumber(idx);
  };

  const parseObject = (start: number): [Record<string, unknown>, number] => {
    enter();
    const obj: Record<string, unknown> = {};
    const order: string[] = [];
    let i = skip(start);
    if (i >= len || s[i] !== '}') {
      for (;;) {
        if (i >= len || s[i] !== '"')
          throw new JsonDecodeError('Expecting property name enclosed in double quotes', i);
        const [key, afterKey] = scanString(i);
        i = skip(afterKey);
        if (i >= len || s[i] !== ':') throw new JsonDecodeError("Expecting ':' delimiter", i);
        i = skip(i + 1);
        const [value, afterValue] = scanOnce(i);
        if (!Object.prototype.hasOwnProperty.call(obj, key)) order.push(key);
        Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
        i = skip(afterValue);
        if (i < len && s[i] === '}') break;
        if (i >= len || s[i] !== ',') throw new JsonDecodeError("Expecting ',' delimiter", i);
        i = skip(i + 1);
      }
    }
    keyOrder.set(obj, order);
    depth--;
    return [obj, i + 1];
  };

  const parseArray = (start: number): [unknown[], number] => {
    enter();
    const out: unknown[] = [];
    let i = skip(start);
    if (i >= len || s[i] !== ']') {
      for (;;) {
        const [value, after] = scanOnce(i);
        out.push(value);
        i = skip(after);
        if (i < len && s[i] === ']') break;
        if (i >= len || s[i] !== ',') throw new JsonDecodeError("Expecting ',' delimiter", i);
        i = skip(i + 1);
      }
    }
    depth--;
    return [out, i + 1];
  };

  try {
    const [value, end] = scanOnce(skip(0));
    const rest = skip(end);
    if (rest !== len) throw new JsonDecodeError('Extra data', rest);
    return value;
  } catch (error) {
    if (error instanceof StopIteration) throw new JsonDecodeError('Expecting value', error.pos);
    throw error;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Pydantic's lax ("python mode") validators as zod schemas

/** What a py validator reports: pydantic's error type, message and (for some types) context. */
export interface PyErrorInfo {
  type: string;
  msg: string;
  ctx?: Record<string, unknown>;
}

type Check<T> = (value: unknown) => { value: T } | { error: PyErrorInfo };

const MISSING: PyErrorInfo = { type: 'missing', msg: 'Field required' };

/**
 * Wraps a pydantic-style check as a zod schema: a failure is a zod issue carrying the PyErrorInfo.
 * `jsonSchema` documents it (z.toJSONSchema takes it from the schema's metadata).
 */
function pyType<T>(check: Check<T>, jsonSchema: Record<string, unknown>) {
  return z
    .unknown()
    .transform((value, ctx): T => {
      const result = value === undefined ? { error: MISSING } : check(value);
      if ('error' in result) {
        ctx.addIssue({
          code: 'custom',
          message: result.error.msg,
          input: value,
          params: { pydantic: result.error },
        });
        return z.NEVER;
      }
      return result.value;
    })
    .meta(jsonSchema);
}

const err = (type: string, msg: string, ctx?: Record<string, unknown>) => ({
  error: ctx ? { type, msg, ctx } : { type, msg },
});

const INT_TYPE = () => err('int_type', 'Input should be a valid integer');
const INT_PARSING = () =>
  err('int_parsing', 'Input should be a valid integer, unable to parse string as an integer');
const INT_SIZE = () =>
  err('int_parsing_size', 'Unable to parse input string as an integer, exceeded maximum size');
const I64_MAX = 2 ** 63; // i64::MAX as f64

/** pydantic-core's strip_underscores: single underscores between characters only. */
function stripUnderscores(s: string): string | null {
  if (s.startsWith('_') || s.endsWith('_') || !s.includes('_') || s.includes('__')) return null;
  return s.replace(/_/g, '');
}

/** pydantic-core str_as_int: trimmed, `+`/`-`, underscores, a `.000` tail. */
function strAsInt(raw: string): { value: bigint } | { error: PyErrorInfo } {
  const str = raw.trim();
  if (str.length > 4300) return INT_SIZE();
  const parse = (t: string): bigint | null => {
    for (const candidate of [t, stripUnderscores(t)]) {
      if (candidate !== null && /^[+-]?\d+$/.test(candidate)) return BigInt(candidate.replace(/^\+/, ''));
    }
    return null;
  };
  const direct = parse(str);
  if (direct !== null) return { value: direct };
  const dot = str.indexOf('.');
  if (dot >= 0 && /^0*$/.test(str.slice(dot + 1))) {
    const stripped = parse(str.slice(0, dot));
    if (stripped !== null) return { value: stripped };
  }
  return INT_PARSING();
}

/** pydantic-core float_as_int. */
function floatAsInt(x: number): { value: bigint } | { error: PyErrorInfo } {
  if (!Number.isFinite(x)) return err('finite_number', 'Input should be a finite number');
  if (x % 1 !== 0)
    return err('int_from_float', 'Input should be a valid integer, got a number with a fractional part');
  if (x > -I64_MAX && x < I64_MAX) return { value: BigInt(x) };
  return INT_SIZE();
}

/** Rust's `f64::from_str` after pydantic's trim (and its underscore rule). */
function strAsFloat(raw: string): number | null {
  const grammar = /^[+-]?(?:inf|infinity|nan|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)$/i;
  for (const candidate of [raw.trim(), stripUnderscores(raw)]) {
    if (candidate === null || !grammar.test(candidate)) continue;
    const body = candidate.replace(/^[+-]/, '').toLowerCase();
    const negative = candidate.startsWith('-');
    if (body === 'nan') return NaN;
    if (body === 'inf' || body === 'infinity') return negative ? -Infinity : Infinity;
    return Number(candidate);
  }
  return null;
}

interface Bounds {
  gt?: number;
  ge?: number;
  lt?: number;
  le?: number;
}

const numberSchema = (type: 'integer' | 'number', b: Bounds) => ({
  type,
  ...(b.gt !== undefined ? { exclusiveMinimum: b.gt } : {}),
  ...(b.ge !== undefined ? { minimum: b.ge } : {}),
  ...(b.lt !== undefined ? { exclusiveMaximum: b.lt } : {}),
  ...(b.le !== undefined ? { maximum: b.le } : {}),
});

// The message shows the bound as Rust prints it (100.0 -> "100"); ctx shows it as Python (float: 100.0).
function checkBounds(n: number | bigint, bounds: Bounds, asFloat: boolean): PyErrorInfo | null {
  const ctxValue = (b: number) => (asFloat ? PyNumber.float(b) : b);
  const cmp = (b: number) => (typeof n === 'bigint' ? Number(n) - b : n - b);
  if (bounds.gt !== undefined && !(cmp(bounds.gt) > 0))
    return err('greater_than', `Input should be greater than ${bounds.gt}`, { gt: ctxValue(bounds.gt) })
      .error;
  if (bounds.ge !== undefined && !(cmp(bounds.ge) >= 0))
    return err('greater_than_equal', `Input should be greater than or equal to ${bounds.ge}`, {
      ge: ctxValue(bounds.ge),
    }).error;
  if (bounds.lt !== undefined && !(cmp(bounds.lt) < 0))
    return err('less_than', `Input should be less than ${bounds.lt}`, { lt: ctxValue(bounds.lt) }).error;
  if (bounds.le !== undefined && !(cmp(bounds.le) <= 0))
    return err('less_than_equal', `Input should be less than or equal to ${bounds.le}`, {
      le: ctxValue(bounds.le),
    }).error;
  return null;
}

/** Python's repr of a str (the quoting pydantic's `expected` lists use). */
function pyRepr(value: unknown): string {
  if (typeof value !== 'string') return pyDumps(value);
  const quote = value.includes("'") && !value.includes('"') ? '"' : "'";
  return `${quote}${value.replace(/\\/g, '\\\\').replace(quote === "'" ? /'/g : /"/g, `\\${quote}`)}${quote}`;
}

/** pydantic's "'a', 'b' or 'c'". */
function expectedList(values: readonly unknown[]): string {
  const reprs = values.map(pyRepr);
  return reprs.length <= 1 ? (reprs[0] ?? '') : `${reprs.slice(0, -1).join(', ')} or ${reprs.at(-1)}`;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' &&
  v !== null &&
  !Array.isArray(v) &&
  (Object.getPrototypeOf(v) === Object.prototype || Object.getPrototypeOf(v) === null);

/**
 * Pydantic v2 field types in lax (python) mode, as zod schemas. Inputs are what FastAPI hands pydantic:
 * json.loads values (PyNumber for numbers) for a JSON body, raw strings for path, query and form values.
 * The output is a plain JS value (int: number, exact up to 2^53).
 */
export const py = {
  /** `int` (with Field(gt=, ge=, lt=, le=)): ints, integral floats, bools, numeric strings. */
  int(bounds: Bounds = {}) {
    return pyType<number>(
      (v) => {
        let r: { value: bigint } | { error: PyErrorInfo };
        if (typeof v === 'boolean') r = { value: v ? 1n : 0n };
        else if (v instanceof PyNumber) r = v.isFloat ? floatAsInt(v.value) : { value: BigInt(v.raw) };
        else if (typeof v === 'string') r = strAsInt(v);
        else return INT_TYPE();
        if ('error' in r) return r;
        const bound = checkBounds(r.value, bounds, false);
        return bound ? { error: bound } : { value: Number(r.value) };
      },
      numberSchema('integer', bounds),
    );
  },
  /** `float` (with Field(gt=, ...)): numbers, bools, numeric strings (inf and nan allowed, as pydantic does). */
  float(bounds: Bounds = {}) {
    return pyType<number>(
      (v) => {
        let x: number;
        if (v instanceof PyNumber) x = v.value;
        else if (typeof v === 'boolean') x = v ? 1 : 0;
        else if (typeof v === 'string') {
          const parsed = strAsFloat(v);
          if (parsed === null)
            return err('float_parsing', 'Input should be a valid number, unable to parse string as a number');
          x = parsed;
        } else return err('float_type', 'Input should be a valid number');
        const bound = checkBounds(x, bounds, true);
        return bound ? { error: bound } : { value: x };
      },
      numberSchema('number', bounds),
    );
  },
  /** `bool`: true/false, 0/1 (and 0.0/1.0), and the strings pydantic reads (case-insensitive, untrimmed). */
  bool() {
    const parsing = () => err('bool_parsing', 'Input should be a valid boolean, unable to interpret input');
    return pyType<boolean>(
      (v) => {
        if (typeof v === 'boolean') return { value: v };
        if (typeof v === 'string') {
          const t = v.toLowerCase();
          if (['0', 'off', 'f', 'false', 'n', 'no'].includes(t)) return { value: false };
          if (['1', 'on', 't', 'true', 'y', 'yes'].includes(t)) return { value: true };
          return parsing();
        }
        if (v instanceof PyNumber) {
          const x = v.value;
          if (v.isFloat && (!Number.isFinite(x) || x % 1 !== 0))
            return err('bool_type', 'Input should be a valid boolean');
          if (x === 0 || x === 1) return { value: x === 1 };
          return parsing();
        }
        return err('bool_type', 'Input should be a valid boolean');
      },
      { type: 'boolean' },
    );
  },
  /** `str` (with Field(min_length=, max_length=), counted in code points). */
  str(limits: { minLength?: number; maxLength?: number } = {}) {
    return pyType<string>(
      (v) => {
        if (typeof v !== 'string') return err('string_type', 'Input should be a valid string');
        const n = Array.from(v).length;
        const plural = (k: number) => (k === 1 ? '' : 's');
        if (limits.minLength !== undefined && n < limits.minLength)
          return err(
            'string_too_short',
            `String should have at least ${limits.minLength} character${plural(limits.minLength)}`,
            {
              min_length: limits.minLength,
            },
          );
        if (limits.maxLength !== undefined && n > limits.maxLength)
          return err(
            'string_too_long',
            `String should have at most ${limits.maxLength} character${plural(limits.maxLength)}`,
            {
              max_length: limits.maxLength,
            },
          );
        return { value: v };
      },
      {
        type: 'string',
        ...(limits.minLength !== undefined ? { minLength: limits.minLength } : {}),
        ...(limits.maxLength !== undefined ? { maxLength: limits.maxLength } : {}),
      },
    );
  },
  /** A str-valued `Enum` (error type `enum`) or `Literal[...]` (`literal_error`). */
  enum<const T extends readonly string[]>(values: T, kind: 'enum' | 'literal' = 'enum') {
    const expected = expectedList(values);
    return pyType<T[number]>(
      (v) =>
        typeof v === 'string' && values.includes(v)
          ? { value: v as T[number] }
          : err(kind === 'enum' ? 'enum' : 'literal_error', `Input should be ${expected}`, { expected }),
      { type: 'string', enum: [...values] },
    );
  },
  /** `list[item]`: a list only (a string is list_type); item errors are located by index. */
  list<T>(item: z.ZodType<T>) {
    const items = z.toJSONSchema(item, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
    delete items.$schema;
    return z
      .unknown()
      .transform((v, ctx): T[] => {
        if (v === undefined || !Array.isArray(v)) {
          const info = v === undefined ? MISSING : err('list_type', 'Input should be a valid list').error;
          ctx.addIssue({ code: 'custom', message: info.msg, input: v, params: { pydantic: info } });
          return z.NEVER;
        }
        const out: T[] = [];
        v.forEach((element, i) => {
          const result = item.safeParse(element);
          if (result.success) out.push(result.data);
          else
            for (const issue of result.error.issues)
              ctx.addIssue({
                ...(issue as z.core.$ZodIssueCustom),
                code: 'custom',
                path: [i, ...issue.path],
              });
        });
        return out;
      })
      .meta({ type: 'array', items });
  },
  /**
   * A pydantic model read from a JSON body (FastAPI validates with from_attributes=True): a non-object is
   * one `model_attributes_type` error for the whole model; fields are checked in declaration order, every
   * error collected; unknown keys are ignored (pydantic's default).
   */
  model<S extends z.ZodRawShape>(shape: S, title: string) {
    const inner = z.object(shape);
    const { $schema: _drop, ...jsonSchema } = z.toJSONSchema(inner, {
      io: 'input',
      unrepresentable: 'any',
    }) as Record<string, unknown>;
    return z
      .unknown()
      .superRefine((v, ctx) => {
        if (v === undefined)
          ctx.addIssue({ code: 'custom', message: MISSING.msg, input: v, params: { pydantic: MISSING } });
        else if (!isPlainObject(v)) {
          const info = err(
            'model_attributes_type',
            'Input should be a valid dictionary or object to extract fields from',
          ).error;
          ctx.addIssue({ code: 'custom', message: info.msg, input: v, params: { pydantic: info } });
        }
      })
      .pipe(inner)
      .meta({ title, ...jsonSchema });
  },
};

// ---------------------------------------------------------------------------------------------------------
// The translation: zod failure -> FastAPI's 422

/** One element of FastAPI's 422 `detail`, in FastAPI's key order (no `url`: FastAPI drops it). */
export interface FastApiError {
  type: string;
  loc: (string | number)[];
  msg: string;
  input: unknown;
  ctx?: Record<string, unknown>;
}

/** Where a parameter is read: FastAPI's `loc[0]`. */
export type ParamSource = 'path' | 'query' | 'header' | 'cookie' | 'body';

const at = (value: unknown, path: readonly PropertyKey[]): unknown => {
  let current = value;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
};

// Plain zod issues (schemas not built with `py`) get the nearest pydantic wording.
const ZOD_EXPECTED: Record<string, PyErrorInfo> = {
  string: { type: 'string_type', msg: 'Input should be a valid string' },
  number: { type: 'float_type', msg: 'Input should be a valid number' },
  int: { type: 'int_type', msg: 'Input should be a valid integer' },
  boolean: { type: 'bool_type', msg: 'Input should be a valid boolean' },
  array: { type: 'list_type', msg: 'Input should be a valid list' },
  object: {
    type: 'model_attributes_type',
    msg: 'Input should be a valid dictionary or object to extract fields from',
  },
};

function infoOf(issue: z.core.$ZodIssue, input: unknown): PyErrorInfo {
  const pydantic = (issue as { params?: { pydantic?: PyErrorInfo } }).params?.pydantic;
  if (pydantic) return pydantic;
  switch (issue.code) {
    case 'invalid_type':
      return input === undefined
        ? MISSING
        : (ZOD_EXPECTED[issue.expected] ?? { type: `${issue.expected}_type`, msg: issue.message });
    case 'too_small':
    case 'too_big': {
      const bound = Number(issue.code === 'too_small' ? issue.minimum : issue.maximum);
      if (issue.origin === 'string') {
        const key = issue.code === 'too_small' ? 'min_length' : 'max_length';
        const word = issue.code === 'too_small' ? 'at least' : 'at most';
        return {
          type: issue.code === 'too_small' ? 'string_too_short' : 'string_too_long',
          msg: `String should have ${word} ${bound} character${bound === 1 ? '' : 's'}`,
          ctx: { [key]: bound },
        };
      }
      const inclusive = issue.inclusive !== false;
      const name = issue.code === 'too_small' ? (inclusive ? 'ge' : 'gt') : inclusive ? 'le' : 'lt';
      return checkBounds(issue.code === 'too_small' ? -Infinity : Infinity, { [name]: bound }, false)!;
    }
    case 'invalid_value': {
      const expected = expectedList(issue.values);
      return { type: 'literal_error', msg: `Input should be ${expected}`, ctx: { expected } };
    }
    default:
      return { type: 'value_error', msg: `Value error, ${issue.message}`, ctx: { error: {} } };
  }
}

/**
 * FastAPI's error list for a zod failure of the parameters read from `source`.
 *
 * - `loc` is `[source, ...path]`: `["query","force_restart"]`, `["body","epochs"]`, `["body","tags",1]`,
 *   `["body"]` for the whole body.
 * - `input` is the value at that place in `received` (the parsed JSON body, or the raw strings of path,
 *   query and form parameters). For a missing field it is the enclosing object when `received` is a JSON
 *   model (pydantic's own `missing`), and null for a missing parameter, form field or body (FastAPI's
 *   get_missing_field_error).
 * - `ctx` only for the error types that have one.
 */
export function fastapiErrors(
  issues: readonly z.core.$ZodIssue[],
  source: ParamSource,
  received: unknown,
  missingInput: 'enclosing' | 'null',
): FastApiError[] {
  return issues.map((issue) => {
    const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
    const value = at(received, path);
    const info = infoOf(issue, value);
    const input =
      info.type === 'missing'
        ? missingInput === 'enclosing' && path.length > 0
          ? at(received, path.slice(0, -1))
          : null
        : value;
    const error: FastApiError = {
      type: info.type,
      loc: [source, ...path],
      msg: info.msg,
      input: input ?? null,
    };
    if (info.ctx) error.ctx = info.ctx;
    return error;
  });
}

/** A failed FastAPI request validation: answered 422 `{"detail":[...]}`. */
export class RequestValidationError extends Error {
  override name = 'RequestValidationError';
  constructor(readonly errors: FastApiError[]) {
    super(errors[0]?.msg ?? 'validation error');
  }
}

/** FastAPI's HTTPException: `{"detail": ...}` with the given status (and headers, e.g. `allow`). */
export class HttpException extends Error {
  override name = 'HttpException';
  constructor(
    readonly status: number,
    readonly detail: unknown,
    readonly headers: Record<string, string> = {},
  ) {
    super(typeof detail === 'string' ? detail : `HTTP ${status}`);
  }
}

/**
 * A JSON answer as Starlette's JSONResponse writes it (`application/json`, no charset).
 *
 * Fidelity note: where FastAPI cannot render an echoed input (a NaN or infinite float, sent as a JSON
 * `NaN`/`Infinity` literal) it answers a plain-text 500; this platform answers every bad input with a 4xx,
 * so such a value is written as the string Python's repr gives (`"nan"`, `"inf"`, `"-inf"`).
 */
export function fastapiJson(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  let text: string;
  try {
    text = pyDumps(body);
  } catch (error) {
    if (!(error instanceof PyRenderError)) throw error;
    text = pyDumps(body, true);
  }
  return new Response(text, { status, headers: { 'content-type': 'application/json', ...headers } });
}

/** Starlette's ServerErrorMiddleware answer. */
export function internalServerError(): Response {
  return new Response('Internal Server Error', {
    status: 500,
    headers: { 'content-type': 'text/plain; charset=utf-8' },
  });
}

/** The 422 answer: `{"detail":[{type, loc, msg, input[, ctx]}, ...]}` byte for byte as FastAPI writes it. */
export function validationErrorResponse(errors: FastApiError[]): Response {
  return fastapiJson({ detail: errors }, 422);
}

/**
 * Validates one source of a request; the errors are returned (not thrown) so that a route can collect
 * path, query and body errors in FastAPI's order before answering.
 */
export function validateSource<S extends z.ZodType>(
  schema: S,
  received: unknown,
  source: ParamSource,
  missingInput: 'enclosing' | 'null',
): { data?: z.output<S>; errors: FastApiError[] } {
  const result = schema.safeParse(received);
  if (result.success) return { data: result.data, errors: [] };
  return { errors: fastapiErrors(result.error.issues, source, received, missingInput) };
}

/** Throws the collected errors (path, then query, then body: FastAPI's order), if any. */
export function throwIfInvalid(...groups: FastApiError[][]): void {
  const errors = groups.flat();
  if (errors.length) throw new RequestValidationError(errors);
}

// ---------------------------------------------------------------------------------------------------------
// Reading a request body as FastAPI does

/** A JSON body's media type as FastAPI checks it: `application/json` or `application/*+json`. */
export function isJsonContentType(header: string | null): boolean {
  if (!header) return false;
  const type = header.split(';')[0]!.trim().toLowerCase();
  if (type.split('/').length !== 2) return false;
  const [main, sub] = type.split('/') as [string, string];
  return main === 'application' && (sub === 'json' || sub.endsWith('+json'));
}

/** Starlette's `request.form()` dispatch on the Content-Type. */
export function formKind(header: string | null): 'multipart' | 'urlencoded' | null {
  const type = (header ?? '').split(';')[0]!.trim().toLowerCase();
  if (type === 'multipart/form-data') return 'multipart';
  if (type === 'application/x-www-form-urlencoded') return 'urlencoded';
  return null;
}

/**
 * What FastAPI hands the body model: `undefined` for no body (empty, or the JSON literal null: a
 * `missing ["body"]` error), the json.loads value for a JSON content type, else the raw text (which a model
 * refuses as `model_attributes_type`). Malformed JSON is the 422 `json_invalid` FastAPI builds itself;
 * undecodable bytes in a JSON body are its 400.
 *
 * Fidelity note: undecodable bytes in a non-JSON body crash FastAPI's error rendering (a plain-text 500);
 * here they are decoded with U+FFFD replacements and refused as any other raw body (422).
 */
export function fastapiBody(bytes: Uint8Array, contentType: string | null): unknown {
  if (bytes.length === 0) return undefined;
  const decode = () => new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  if (!isJsonContentType(contentType)) return new TextDecoder('utf-8').decode(bytes);
  let text: string;
  try {
    text = decode();
  } catch {
    throw new HttpException(400, 'There was an error parsing the body');
  }
  try {
    const value = parsePythonJson(text);
    return value === null ? undefined : value;
  } catch (error) {
    if (error instanceof JsonTooDeepError)
      throw new HttpException(400, 'There was an error parsing the body');
    if (!(error instanceof JsonDecodeError)) throw error;
    throw new RequestValidationError([
      {
        type: 'json_invalid',
        loc: ['body', error.pos],
        msg: 'JSON decode error',
        input: {},
        ctx: { error: error.msg },
      },
    ]);
  }
}
