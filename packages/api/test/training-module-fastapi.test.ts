import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Validator } from '@seriousme/openapi-schema-validator';
import { testProviders } from '@trainhub/db/testing';
import { createRestHandler } from '../src/rest/http';
import { trainingModuleStyle } from '../src/rest/training-module/routes';
import { IRIS_CSV, makeWorld, multipart, type World } from './helpers';

// FastAPI fidelity of the session style, byte for byte: every case of section 2 of
// /work/shared/docs/fidelity/fastapi-422.md that this API's parameters can produce, plus sections 3 and 4
// (404, 405, content types, multipart). The expected bodies are the reference's strings with this API's
// field names (TrainingConfigParams: epochs/batch_size int, learning_rate float gt=0 le=100, init_eval
// bool, eval_metrics list[str], model str min_length=1, task_type a 3-value str Enum; force_restart an int
// query; import_model's model_type/model_name required str queries; upload_dataset's two UploadFiles).
//
// FastAPI validates the request before the endpoint runs, so an invalid request answers 422 even for an
// unknown session key: most cases use one (UNKNOWN), which also shows that order.

const UNKNOWN = 'tm_unknown';
const M = 'Field required';
const INT_PARSING = 'Input should be a valid integer, unable to parse string as an integer';
const J = { 'content-type': 'application/json' };

interface Case {
  name: string;
  method?: string;
  path: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array | FormData | URLSearchParams;
  status: number;
  /** The exact response body. */
  text: string;
  /** Extra response headers expected. */
  expectHeaders?: Record<string, string>;
}

const detail = (...errors: string[]) => `{"detail":[${errors.join(',')}]}`;
const intParsing = (input: string) =>
  `{"type":"int_parsing","loc":["body","epochs"],"msg":"${INT_PARSING}","input":${input}}`;
const boolParsing = (input: string) =>
  `{"type":"bool_parsing","loc":["body","init_eval"],"msg":"Input should be a valid boolean, unable to interpret input","input":${input}}`;
const modelAttributes = (input: string) =>
  `{"type":"model_attributes_type","loc":["body"],"msg":"Input should be a valid dictionary or object to extract fields from","input":${input}}`;
const jsonInvalid = (pos: number, error: string) =>
  `{"type":"json_invalid","loc":["body",${pos}],"msg":"JSON decode error","input":{},"ctx":{"error":"${error}"}}`;
const missingFile = (name: string) => `{"type":"missing","loc":["body","${name}"],"msg":"${M}","input":null}`;
const notUploadFile = (name: string, input: string) =>
  `{"type":"value_error","loc":["body","${name}"],"msg":"Value error, Expected UploadFile, received: <class 'str'>","input":${JSON.stringify(input)},"ctx":{"error":{}}}`;

const params = (
  body: string,
  headers: Record<string, string> = J,
): Omit<Case, 'name' | 'status' | 'text'> => ({
  method: 'POST',
  path: `/parameters/${UNKNOWN}`,
  headers,
  body,
});

const CASES: Case[] = [
  // Section 2: JSON body (POST /parameters/{key}, a TrainingConfigParams body).
  {
    name: 'no body at all',
    method: 'POST',
    path: `/parameters/${UNKNOWN}`,
    status: 422,
    text: detail(`{"type":"missing","loc":["body"],"msg":"${M}","input":null}`),
  },
  {
    name: 'body null',
    ...params('null'),
    status: 422,
    text: detail(`{"type":"missing","loc":["body"],"msg":"${M}","input":null}`),
  },
  {
    name: 'empty body with a JSON content type',
    ...params(''),
    status: 422,
    text: detail(`{"type":"missing","loc":["body"],"msg":"${M}","input":null}`),
  },
  ...['"abc"', '"1.5"', '""', '"0x10"', '"1e3"', '"true"'].map((input) => ({
    name: `int given ${input}`,
    ...params(`{"epochs":${input}}`),
    status: 422,
    text: detail(intParsing(input)),
  })),
  {
    name: 'int given 1.5',
    ...params('{"epochs":1.5}'),
    status: 422,
    text: detail(
      `{"type":"int_from_float","loc":["body","epochs"],"msg":"Input should be a valid integer, got a number with a fractional part","input":1.5}`,
    ),
  },
  {
    name: 'int given [1]',
    ...params('{"epochs":[1]}'),
    status: 422,
    text: detail(
      `{"type":"int_type","loc":["body","epochs"],"msg":"Input should be a valid integer","input":[1]}`,
    ),
  },
  {
    name: 'int given null',
    ...params('{"epochs":null}'),
    status: 422,
    text: detail(
      `{"type":"int_type","loc":["body","epochs"],"msg":"Input should be a valid integer","input":null}`,
    ),
  },
  {
    name: 'int given a float beyond i64',
    ...params('{"epochs":1.5e20}'),
    status: 422,
    text: detail(
      `{"type":"int_parsing_size","loc":["body","epochs"],"msg":"Unable to parse input string as an integer, exceeded maximum size","input":1.5e+20}`,
    ),
  },
  ...['"maybe"', '2', '""', '" true"'].map((input) => ({
    name: `bool given ${input}`,
    ...params(`{"init_eval":${input}}`),
    status: 422,
    text: detail(boolParsing(input)),
  })),
  {
    name: 'float given "fast"',
    ...params('{"learning_rate":"fast"}'),
    status: 422,
    text: detail(
      `{"type":"float_parsing","loc":["body","learning_rate"],"msg":"Input should be a valid number, unable to parse string as a number","input":"fast"}`,
    ),
  },
  {
    name: 'float given [1]',
    ...params('{"learning_rate":[1]}'),
    status: 422,
    text: detail(
      `{"type":"float_type","loc":["body","learning_rate"],"msg":"Input should be a valid number","input":[1]}`,
    ),
  },
  {
    name: 'list given "a,b"',
    ...params('{"eval_metrics":"a,b"}'),
    status: 422,
    text: detail(
      `{"type":"list_type","loc":["body","eval_metrics"],"msg":"Input should be a valid list","input":"a,b"}`,
    ),
  },
  {
    name: 'list item given 5 (loc has the index)',
    ...params('{"eval_metrics":["accuracy",5]}'),
    status: 422,
    text: detail(
      `{"type":"string_type","loc":["body","eval_metrics",1],"msg":"Input should be a valid string","input":5}`,
    ),
  },
  {
    name: 'str given 5',
    ...params('{"model":5}'),
    status: 422,
    text: detail(
      `{"type":"string_type","loc":["body","model"],"msg":"Input should be a valid string","input":5}`,
    ),
  },
  ...['[1,2]', '"hello"', '[]'].map((input) => ({
    name: `body model given ${input}`,
    ...params(input),
    status: 422,
    text: detail(modelAttributes(input)),
  })),
  {
    name: 'str-Enum with 3 values given "c"',
    ...params('{"task_type":"c"}'),
    status: 422,
    text: detail(
      `{"type":"enum","loc":["body","task_type"],"msg":"Input should be 'classification', 'binary' or 'regression'","input":"c","ctx":{"expected":"'classification', 'binary' or 'regression'"}}`,
    ),
  },
  {
    name: 'int ge=1 given 0',
    ...params('{"batch_size":0}'),
    status: 422,
    text: detail(
      `{"type":"greater_than_equal","loc":["body","batch_size"],"msg":"Input should be greater than or equal to 1","input":0,"ctx":{"ge":1}}`,
    ),
  },
  {
    name: 'int le=100000 given 100001',
    ...params('{"epochs":100001}'),
    status: 422,
    text: detail(
      `{"type":"less_than_equal","loc":["body","epochs"],"msg":"Input should be less than or equal to 100000","input":100001,"ctx":{"le":100000}}`,
    ),
  },
  {
    name: 'float le=100 given 101',
    ...params('{"learning_rate":101}'),
    status: 422,
    text: detail(
      `{"type":"less_than_equal","loc":["body","learning_rate"],"msg":"Input should be less than or equal to 100","input":101,"ctx":{"le":100.0}}`,
    ),
  },
  {
    name: 'float gt=0 given 0',
    ...params('{"learning_rate":0}'),
    status: 422,
    text: detail(
      `{"type":"greater_than","loc":["body","learning_rate"],"msg":"Input should be greater than 0","input":0,"ctx":{"gt":0.0}}`,
    ),
  },
  {
    name: 'float input printed as Python: 1e5 is 100000.0',
    ...params('{"learning_rate":1e5}'),
    status: 422,
    text: detail(
      `{"type":"less_than_equal","loc":["body","learning_rate"],"msg":"Input should be less than or equal to 100","input":100000.0,"ctx":{"le":100.0}}`,
    ),
  },
  {
    name: 'min_length=1 given ""',
    ...params('{"model":""}'),
    status: 422,
    text: detail(
      `{"type":"string_too_short","loc":["body","model"],"msg":"String should have at least 1 character","input":"","ctx":{"min_length":1}}`,
    ),
  },
  {
    name: 'max_length=500 given 501 characters',
    ...params(`{"cache_dir":"${'é'.repeat(501)}"}`),
    status: 422,
    text: detail(
      `{"type":"string_too_long","loc":["body","cache_dir"],"msg":"String should have at most 500 characters","input":"${'é'.repeat(501)}","ctx":{"max_length":500}}`,
    ),
  },
  {
    name: 'errors in field declaration order, all collected',
    ...params('{"init_eval":"maybe","epochs":"abc","model":5}'),
    status: 422,
    text: detail(
      `{"type":"string_type","loc":["body","model"],"msg":"Input should be a valid string","input":5}`,
      intParsing('"abc"'),
      boolParsing('"maybe"'),
    ),
  },
  {
    name: 'malformed JSON {"name": ',
    ...params('{"name": '),
    status: 422,
    text: detail(jsonInvalid(9, 'Expecting value')),
  },
  {
    name: 'trailing comma (CPython 3.11)',
    ...params('{"name": "n",}'),
    status: 422,
    text: detail(jsonInvalid(13, 'Expecting property name enclosed in double quotes')),
  },
  { name: 'extra data', ...params('{} x'), status: 422, text: detail(jsonInvalid(3, 'Extra data')) },
  {
    name: 'unterminated string',
    ...params('{"s": "abc'),
    status: 422,
    text: detail(jsonInvalid(6, 'Unterminated string starting at')),
  },
  { name: 'not JSON', ...params('abc'), status: 422, text: detail(jsonInvalid(0, 'Expecting value')) },
  { name: 'whitespace only', ...params('  '), status: 422, text: detail(jsonInvalid(2, 'Expecting value')) },
  {
    name: 'positions count code points',
    ...params('{"s": "é", }'),
    status: 422,
    text: detail(jsonInvalid(11, 'Expecting property name enclosed in double quotes')),
  },
  // Deviation (documented in fastapi.ts): FastAPI answers a plain-text 500 when it cannot print a NaN or
  // infinite input; this platform answers 422 with Python's repr as a string.
  {
    name: 'a NaN literal is refused with a 4xx, its input written as "nan"',
    ...params('{"learning_rate":NaN,"seed":-Infinity}'),
    status: 422,
    text: detail(
      `{"type":"greater_than","loc":["body","learning_rate"],"msg":"Input should be greater than 0","input":"nan","ctx":{"gt":0.0}}`,
      `{"type":"finite_number","loc":["body","seed"],"msg":"Input should be a finite number","input":"-inf"}`,
    ),
  },
  // Section 2: query parameters.
  {
    name: 'query int ?force_restart=abc',
    method: 'POST',
    path: `/training/stop/${UNKNOWN}?force_restart=abc`,
    status: 422,
    text: detail(
      `{"type":"int_parsing","loc":["query","force_restart"],"msg":"${INT_PARSING}","input":"abc"}`,
    ),
  },
  {
    name: 'query int: an empty value is a value',
    method: 'POST',
    path: `/training/stop/${UNKNOWN}?force_restart=`,
    status: 422,
    text: detail(`{"type":"int_parsing","loc":["query","force_restart"],"msg":"${INT_PARSING}","input":""}`),
  },
  {
    name: 'query int: repeated keys take the last value',
    method: 'POST',
    path: `/training/stop/${UNKNOWN}?force_restart=1&force_restart=x`,
    status: 422,
    text: detail(`{"type":"int_parsing","loc":["query","force_restart"],"msg":"${INT_PARSING}","input":"x"}`),
  },
  {
    name: 'required queries absent (declaration order, input null)',
    method: 'POST',
    path: `/import_model/${UNKNOWN}`,
    status: 422,
    text: detail(
      `{"type":"missing","loc":["query","model_type"],"msg":"${M}","input":null}`,
      `{"type":"missing","loc":["query","model_name"],"msg":"${M}","input":null}`,
    ),
  },
  // Section 2: UploadFile form parameters.
  {
    name: 'upload: no body',
    method: 'POST',
    path: `/upload_dataset/${UNKNOWN}`,
    status: 422,
    text: detail(missingFile('train_file'), missingFile('test_file')),
  },
  {
    name: 'upload: JSON sent',
    method: 'POST',
    path: `/upload_dataset/${UNKNOWN}`,
    headers: J,
    body: '{"train_file":"a"}',
    status: 422,
    text: detail(missingFile('train_file'), missingFile('test_file')),
  },
  {
    name: 'upload: other parts only',
    method: 'POST',
    path: `/upload_dataset/${UNKNOWN}`,
    body: multipart({ other: { name: 'a.csv', content: 'x' } }),
    status: 422,
    text: detail(missingFile('train_file'), missingFile('test_file')),
  },
  {
    name: 'upload: a wrong field name for test_file',
    method: 'POST',
    path: `/upload_dataset/${UNKNOWN}`,
    body: multipart({ train_file: { name: 'a.csv', content: 'x' }, test: { name: 'b.csv', content: 'x' } }),
    status: 422,
    text: detail(missingFile('test_file')),
  },
  {
    name: 'upload: "" is missing',
    method: 'POST',
    path: `/upload_dataset/${UNKNOWN}`,
    body: multipart({ test_file: { name: 'b.csv', content: 'x' } }, { train_file: '' }),
    status: 422,
    text: detail(missingFile('train_file')),
  },
  {
    name: 'upload: a text value instead of a file (multipart)',
    method: 'POST',
    path: `/upload_dataset/${UNKNOWN}`,
    body: multipart({}, { train_file: 'hello' }),
    status: 422,
    text: detail(notUploadFile('train_file', 'hello'), missingFile('test_file')),
  },
  {
    name: 'upload: text values (urlencoded)',
    method: 'POST',
    path: `/upload_dataset/${UNKNOWN}`,
    body: new URLSearchParams({ train_file: 'hello', test_file: 'x' }),
    status: 422,
    text: detail(notUploadFile('train_file', 'hello'), notUploadFile('test_file', 'x')),
  },
  // Section 3: unknown routes, methods.
  { name: 'unknown path', path: '/nope', status: 404, text: '{"detail":"Not Found"}' },
  {
    name: 'unknown path, any method',
    method: 'DELETE',
    path: '/nope/x',
    status: 404,
    text: '{"detail":"Not Found"}',
  },
  {
    name: 'wrong method',
    method: 'POST',
    path: '/status',
    status: 405,
    text: '{"detail":"Method Not Allowed"}',
    expectHeaders: { allow: 'GET' },
  },
  {
    name: 'wrong method on a keyed route',
    method: 'GET',
    path: `/parameters/${UNKNOWN}`,
    status: 405,
    text: '{"detail":"Method Not Allowed"}',
    expectHeaders: { allow: 'POST' },
  },
  {
    name: 'HEAD on a GET route',
    method: 'HEAD',
    path: '/healthcheck',
    status: 405,
    text: '',
    expectHeaders: { allow: 'GET' },
  },
  {
    name: 'trailing slash redirects',
    path: '/healthcheck/?a=1',
    status: 307,
    text: '',
    expectHeaders: { location: 'http://localhost/training-module/healthcheck?a=1' },
  },
  // Section 4: content types.
  {
    name: 'text/plain JSON is raw text',
    ...params('{"name":"n","epochs":1}', { 'content-type': 'text/plain' }),
    status: 422,
    text: detail(modelAttributes('"{\\"name\\":\\"n\\",\\"epochs\\":1}"')),
  },
  {
    name: 'no content type is raw text',
    ...params('{"epochs":1}', {}),
    status: 422,
    text: detail(modelAttributes('"{\\"epochs\\":1}"')),
  },
  {
    name: 'urlencoded is raw text',
    ...params('name=n&epochs=1', { 'content-type': 'application/x-www-form-urlencoded' }),
    status: 422,
    text: detail(modelAttributes('"name=n&epochs=1"')),
  },
  {
    name: 'application/json; charset=utf-8 is JSON',
    ...params('{"epochs":"x"}', { 'content-type': 'application/json; charset=utf-8' }),
    status: 422,
    text: detail(intParsing('"x"')),
  },
  {
    name: 'APPLICATION/JSON is JSON',
    ...params('{"epochs":"x"}', { 'content-type': 'APPLICATION/JSON' }),
    status: 422,
    text: detail(intParsing('"x"')),
  },
  {
    name: 'application/vnd.api+json is JSON',
    ...params('{"epochs":"x"}', { 'content-type': 'application/vnd.api+json' }),
    status: 422,
    text: detail(intParsing('"x"')),
  },
  {
    name: 'invalid UTF-8 in a JSON body',
    method: 'POST',
    path: `/parameters/${UNKNOWN}`,
    headers: J,
    body: new Uint8Array([0x7b, 0xff, 0x7d]),
    status: 400,
    text: '{"detail":"There was an error parsing the body"}',
  },
  {
    name: 'JSON nested deeper than CPython recurses (RecursionError: 400)',
    ...params(`${'['.repeat(50_000)}${']'.repeat(50_000)}`),
    status: 400,
    text: '{"detail":"There was an error parsing the body"}',
  },
  {
    name: 'multipart without a boundary',
    method: 'POST',
    path: `/upload_dataset/${UNKNOWN}`,
    headers: { 'content-type': 'multipart/form-data' },
    body: 'x',
    status: 400,
    text: '{"detail":"Missing boundary in multipart."}',
  },
  {
    name: 'multipart with a garbage body',
    method: 'POST',
    path: `/upload_dataset/${UNKNOWN}`,
    headers: { 'content-type': 'multipart/form-data; boundary=xyz' },
    body: 'garbage',
    status: 400,
    text: '{"detail":"Invalid multipart data."}',
  },
];

describe.each(testProviders)('training module: FastAPI fidelity on %s', (provider) => {
  let w: World;
  let handle: (request: Request) => Promise<Response>;
  const send = (
    method: string,
    path: string,
    init: { headers?: Record<string, string>; body?: Case['body'] } = {},
  ) =>
    handle(
      new Request(`http://localhost/training-module${path}`, {
        method,
        headers: init.headers,
        body: init.body as BodyInit | undefined,
      }),
    );

  beforeAll(async () => {
    w = await makeWorld(provider);
    handle = createRestHandler(trainingModuleStyle, () => w.deps);
  });
  afterAll(async () => {
    await w?.drop();
  });

  it.each(CASES)('$name', async (c) => {
    const response = await send(c.method ?? 'GET', c.path, { headers: c.headers, body: c.body });
    const text = await response.text();
    expect({ status: response.status, text }).toEqual({ status: c.status, text: c.text });
    if (c.status !== 307 && c.method !== 'HEAD')
      expect(response.headers.get('content-type')).toBe('application/json');
    for (const [name, value] of Object.entries(c.expectHeaders ?? {}))
      expect(response.headers.get(name)).toBe(value);
  });

  it('a valid request to an unknown key: the same 401 on every keyed endpoint', async () => {
    const calls: [string, string, RequestInit?][] = [
      ['POST', `/parameters/${UNKNOWN}`, { headers: J, body: '{}' }],
      [
        'POST',
        `/upload_dataset/${UNKNOWN}`,
        {
          body: multipart({
            train_file: { name: 'a.csv', content: IRIS_CSV },
            test_file: { name: 'b.csv', content: IRIS_CSV },
          }),
        },
      ],
      ['POST', `/preprocess/${UNKNOWN}`],
      ['POST', `/training/start/${UNKNOWN}`],
      ['POST', `/training/stop/${UNKNOWN}?force_restart=1_000`],
      ['GET', `/monitor/${UNKNOWN}`],
      ['GET', `/model_ready/${UNKNOWN}`],
      ['GET', `/download_model/${UNKNOWN}`],
      ['GET', `/download_results/${UNKNOWN}`],
      ['POST', `/import_model/${UNKNOWN}?model_type=a&model_name=b`],
      ['GET', `/get_imported_model/${UNKNOWN}`],
    ];
    for (const [method, path, init] of calls) {
      const response = await send(method, path, init as never);
      expect({ path, status: response.status, text: await response.text() }).toEqual({
        path,
        status: 401,
        text: '{"detail":"invalid or expired session key"}',
      });
    }
  });

  it('accepts what pydantic accepts: 1.0, true and "7" for an int, " 1 " / "+1" / "1_000" for an int query', async () => {
    const start = await send('GET', '/start_session?force_restart=+1', {
      headers: { 'x-api-key': w.a.keys.EDITOR },
    });
    expect(start.status).toBe(200);
    const { key } = (await start.json()) as { key: string };
    for (const [input, epochs] of [
      ['1.0', 1],
      ['true', 1],
      ['"7"', 7],
      ['" 12 "', 12],
      ['"1_000"', 1000],
    ] as const) {
      const response = await send('POST', `/parameters/${key}`, {
        headers: J,
        body: `{"epochs":${input},"unknown":1}`,
      });
      expect(response.status).toBe(200);
      expect(((await response.json()) as { config: { epochs: number } }).config.epochs).toBe(epochs);
    }
    for (const value of ['1.0', ' 1 ', '1_000', '+1', '-0', '99999999999999999999']) {
      const response = await send('GET', `/start_session?force_restart=${encodeURIComponent(value)}`, {
        headers: { 'x-api-key': w.a.keys.EDITOR },
      });
      // -0 is 0: no restart while a session is active (409); every other value restarts.
      expect([value, response.status]).toEqual([value, value === '-0' ? 409 : 200]);
    }
  });

  it('serves /openapi.json at the style root (a valid OpenAPI 3.1 document) and the docs pages', async () => {
    const response = await send('GET', '/openapi.json');
    expect(response.status).toBe(200);
    const doc = (await response.json()) as {
      servers: { url: string }[];
      paths: Record<string, Record<string, { operationId: string; responses: Record<string, unknown> }>>;
      components: { schemas: Record<string, unknown> };
    };
    expect(doc.servers).toEqual([{ url: '/training-module' }]);
    expect(Object.keys(doc.paths)).toContain('/start_session');
    expect(Object.keys(doc.paths)).not.toContain('/openapi.json');
    expect(doc.paths['/parameters/{key}']!.post!.responses['422']).toEqual({
      description: expect.any(String),
      content: { 'application/json': { schema: { $ref: '#/components/schemas/HTTPValidationError' } } },
    });
    expect(Object.keys(doc.components.schemas).sort()).toEqual([
      'Body_upload_dataset_upload_dataset__key__post',
      'HTTPValidationError',
      'TrainingConfigParams',
      'ValidationError',
    ]);
    // FastAPI's operation ids and summaries (what generated clients name their methods after).
    expect(doc.paths['/start_session']!.get).toMatchObject({
      operationId: 'start_session_start_session_get',
      summary: 'Start Session',
    });
    expect(doc.paths['/parameters/{key}']!.post).toMatchObject({
      operationId: 'update_training_config_parameters__key__post',
      requestBody: {
        content: { 'application/json': { schema: { $ref: '#/components/schemas/TrainingConfigParams' } } },
      },
    });
    expect(doc.components.schemas.TrainingConfigParams).toMatchObject({
      type: 'object',
      properties: {
        epochs: { type: 'integer', minimum: 1 },
        learning_rate: { type: 'number', exclusiveMinimum: 0 },
      },
    });
    const result = await new Validator().validate(structuredClone(doc) as never);
    expect(result.errors ?? []).toEqual([]);
    for (const page of ['/docs', '/redoc']) {
      const html = await send('GET', page);
      expect(html.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(await html.text()).toContain('/training-module/openapi.json');
    }
  });
});
