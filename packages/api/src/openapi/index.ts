import { z } from 'zod';
import type { RestStyle, RouteDef } from '../rest/http';
import { edgeImpulseStyle } from '../rest/edge-impulse/routes';
import { genericResponseSchema } from '../rest/edge-impulse/contracts';
import { mlwStyle } from '../rest/mlw/routes';
import { mlwAuthErrorSchema, mlwErrorSchema } from '../rest/mlw/contracts';
import { trainingModuleStyle } from '../rest/training-module/routes';
import { httpErrorSchema, validationErrorSchema } from '../rest/training-module/contracts';

// OpenAPI 3.1 documents generated from the very route tables and zod contracts that serve the requests
// (z.toJSONSchema), so a route cannot be served without being documented.

type Json = Record<string, unknown>;

const schema = (type: z.ZodType, io: 'input' | 'output'): Json => {
  const { $schema: _drop, ...rest } = z.toJSONSchema(type, {
    io,
    unrepresentable: 'any',
    target: 'draft-2020-12',
  }) as Json;
  return rest;
};

interface StyleDoc {
  style: RestStyle;
  title: string;
  description: string;
  securitySchemes: Json;
  errors: Record<string, { description: string; schema: z.ZodType }>;
}

function operation(route: RouteDef, doc: StyleDoc): Json {
  const parameters: Json[] = [];
  const pathNames = [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);
  const paramShapes = (route.params?.shape ?? {}) as Record<string, z.ZodType>;
  for (const name of pathNames) {
    parameters.push({
      name,
      in: 'path',
      required: true,
      schema: paramShapes[name] ? schema(paramShapes[name], 'input') : { type: 'string' },
    });
  }
  for (const [name, type] of Object.entries((route.query?.shape ?? {}) as Record<string, z.ZodType>)) {
    parameters.push({
      name,
      in: 'query',
      required: !type.safeParse(undefined).success,
      schema: schema(type, 'input'),
    });
  }
  const op: Json = {
    operationId: route.operationId,
    summary: route.summary,
    tags: route.tags ?? [],
    parameters,
    responses: {
      '200': {
        description: 'OK',
        content:
          route.response === 'file'
            ? {
                'application/octet-stream': {
                  schema: { type: 'string', contentMediaType: 'application/octet-stream' },
                },
              }
            : { 'application/json': { schema: schema(route.response, 'output') } },
      },
      ...Object.fromEntries(
        Object.entries(doc.errors).map(([status, e]) => [
          status,
          {
            description: e.description,
            content: { 'application/json': { schema: schema(e.schema, 'output') } },
          },
        ]),
      ),
    },
  };
  if (route.security) op.security = route.security.map((name) => ({ [name]: [] }));
  if (route.body) {
    op.requestBody = {
      required: true,
      content: {
        'application/json': { schema: schema(route.body, 'input') },
        ...(doc.style === mlwStyle ? { 'text/plain': { schema: schema(route.body, 'input') } } : {}),
      },
    };
  } else if (route.multipart) {
    op.requestBody = {
      required: true,
      content: {
        'multipart/form-data': {
          schema: {
            type: 'object',
            required: route.multipart.files,
            properties: Object.fromEntries(
              route.multipart.files.map((f) => [
                f,
                { type: 'string', contentMediaType: 'application/octet-stream' },
              ]),
            ),
          },
        },
      },
    };
  }
  return op;
}

function document(doc: StyleDoc): Json {
  const paths: Record<string, Json> = {};
  for (const route of doc.style.routes) {
    if (route.hidden) continue;
    const path = `${doc.style.basePath}${route.path}`;
    paths[path] ??= {};
    paths[path][route.method.toLowerCase()] = operation(route, doc);
  }
  return {
    openapi: '3.1.0',
    info: { title: doc.title, version: '1.0.0', description: doc.description },
    servers: [{ url: '/' }],
    paths,
    components: { securitySchemes: doc.securitySchemes },
  };
}

const mlw: StyleDoc = {
  style: mlwStyle,
  title: 'Trainhub — MLW style',
  description:
    'Cumulocity Machine Learning Workbench compatible API. JSON bodies are accepted with any content type.',
  securitySchemes: {
    basicAuth: { type: 'http', scheme: 'basic' },
    bearerAuth: { type: 'http', scheme: 'bearer' },
  },
  errors: {
    '400': { description: 'Bad request (e.g. a missing mandatory hyperparameter)', schema: mlwErrorSchema },
    '401': { description: 'No or invalid credentials', schema: mlwAuthErrorSchema },
    '403': { description: 'The role does not allow this', schema: mlwAuthErrorSchema },
    '404': { description: 'Unknown (or another team’s) id', schema: mlwErrorSchema },
    '409': { description: 'Conflict', schema: mlwErrorSchema },
    '413': { description: 'Upload larger than the limit', schema: mlwErrorSchema },
  },
};

const edgeImpulse: StyleDoc = {
  style: edgeImpulseStyle,
  title: 'Trainhub — Edge Impulse style',
  description:
    'Edge Impulse compatible API. Every answer is an envelope { success, error? }; failures also carry a 4xx status. Live job updates: socket.io at /socket.io with a socket token (events job-data-{jobId}, job-finished-{jobId}).',
  securitySchemes: {
    ApiKeyAuthentication: { type: 'apiKey', in: 'header', name: 'x-api-key' },
    JWTAuthentication: { type: 'apiKey', in: 'cookie', name: 'jwt' },
    JWTHttpHeaderAuthentication: { type: 'apiKey', in: 'header', name: 'x-jwt-token' },
  },
  errors: Object.fromEntries(
    ['400', '401', '403', '404', '409', '413'].map((status) => [
      status,
      { description: 'Failure: { success: false, error }', schema: genericResponseSchema },
    ]),
  ),
};

const trainingModule: StyleDoc = {
  style: trainingModuleStyle,
  title: 'Trainhub — training module (session) style',
  description:
    'Numenta training module compatible API (FastAPI conventions). Calls with {key} are authorized by the session key.',
  securitySchemes: {
    ApiKeyAuthentication: { type: 'apiKey', in: 'header', name: 'x-api-key' },
    bearerAuth: { type: 'http', scheme: 'bearer' },
  },
  errors: {
    '400': { description: 'Invalid request', schema: httpErrorSchema },
    '401': { description: 'Not authenticated / invalid session key', schema: httpErrorSchema },
    '404': { description: 'Not found', schema: httpErrorSchema },
    '409': { description: 'Not possible in the session’s state', schema: httpErrorSchema },
    '413': { description: 'Upload larger than the limit', schema: httpErrorSchema },
    '422': { description: 'Validation Error', schema: validationErrorSchema },
  },
};

export const openApiStyles = { mlw, 'edge-impulse': edgeImpulse, 'training-module': trainingModule } as const;
export type OpenApiStyleName = keyof typeof openApiStyles;

const cache = new Map<string, Json>();

/** The OpenAPI 3.1 document of one REST style. */
export function openApiDocument(name: OpenApiStyleName): Json {
  if (!cache.has(name)) cache.set(name, document(openApiStyles[name]));
  return cache.get(name)!;
}
