import { describe, expect, it } from 'vitest';
import { JsonDecodeError, parsePythonJson, pyDumps, pyFloatRepr } from '../src/rest/training-module/fastapi';

// The CPython pieces the session style's FastAPI fidelity rests on. Expected values are what CPython 3.11
// prints (repr(float), json.dumps(..., separators=(",", ":"), ensure_ascii=False), json.loads errors).

describe('pyFloatRepr is repr(float)', () => {
  it.each([
    [100, '100.0'],
    [1e15, '1000000000000000.0'],
    [1e16, '1e+16'],
    [1.5e20, '1.5e+20'],
    [1e22, '1e+22'],
    [0.0001, '0.0001'],
    [0.00001, '1e-05'],
    [1.234e-7, '1.234e-07'],
    [123.456, '123.456'],
    [-2.5, '-2.5'],
    [-0, '-0.0'],
    [0, '0.0'],
    [5e-324, '5e-324'],
    [1.7976931348623157e308, '1.7976931348623157e+308'],
    [0.1 + 0.2, '0.30000000000000004'],
  ])('%s -> %s', (x, text) => {
    expect(pyFloatRepr(x)).toBe(text);
  });
});

describe('parsePythonJson is json.loads', () => {
  it.each([
    ['{"a":1', "Expecting ',' delimiter", 6],
    ['[1,]', 'Expecting value', 3],
    ['[1 2]', "Expecting ',' delimiter", 3],
    ['{"a" 1}', "Expecting ':' delimiter", 5],
    ['{"a":1}}', 'Extra data', 7],
    ['{', 'Expecting property name enclosed in double quotes', 1],
    ['[', 'Expecting value', 1],
    ['"\\x"', 'Invalid \\escape', 1],
    ['"\\u12"', 'Invalid \\uXXXX escape', 2],
    ['"\\u12zz"', 'Invalid \\uXXXX escape', 2],
    ['"a\nb"', 'Invalid control character at', 2],
    ['tru', 'Expecting value', 0],
    ['-', 'Expecting value', 0],
    ['01', 'Extra data', 1],
    ['1.', 'Extra data', 1],
    ['1e+', 'Extra data', 1],
    ['', 'Expecting value', 0],
  ])('%j: %s at %d', (text, msg, pos) => {
    let error: unknown;
    try {
      parsePythonJson(text);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(JsonDecodeError);
    expect({ msg: (error as JsonDecodeError).msg, pos: (error as JsonDecodeError).pos }).toEqual({
      msg,
      pos,
    });
  });

  it('reads what CPython reads and prints it back as json.dumps does', () => {
    const text =
      '{"b": 1.0, "2": [1e5, -0, 99999999999999999999, 1.5e20], "s": "\\u00e9\\ud83d\\ude00\\n/", "n": null, "t": true, "b": 2}';
    // Duplicate keys keep the last value at the first position; integer-like keys stay in place.
    expect(pyDumps(parsePythonJson(text))).toBe(
      '{"b":2,"2":[100000.0,0,99999999999999999999,1.5e+20],"s":"é😀\\n/","n":null,"t":true}',
    );
    expect(pyDumps(parsePythonJson(' [NaN, Infinity, -Infinity] '), true)).toBe('["nan","inf","-inf"]');
    expect(() => pyDumps(parsePythonJson('[NaN]'))).toThrow();
  });
});
