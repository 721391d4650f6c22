import { openApiDocument } from '../../openapi';
import { TM_BASE } from './contracts';

type Json = Record<string, unknown>;

let cached: Json | undefined;

/**
 * The session style's OpenAPI 3.1 document as FastAPI serves it at `/openapi.json` of its app: paths
 * relative to the app (`/start_session`), the mount point in `servers` (FastAPI's root_path), and the 422
 * answers as references to the `HTTPValidationError` / `ValidationError` component schemas FastAPI
 * declares, so that clients generated from it (openapi-generator, openapi-python-client) get the same
 * names. Built from the same route table as /api/openapi/training-module.json.
 */
export async function trainingModuleOpenApi(): Promise<Json> {
  if (cached) return cached;
  const doc = structuredClone(openApiDocument('training-module')) as Json & {
    paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
    components: Json;
  };
  const paths: typeof doc.paths = {};
  let validationSchema: Json | undefined;
  for (const [path, operations] of Object.entries(doc.paths)) {
    for (const operation of Object.values(operations)) {
      const invalid = operation.responses['422'] as
        { content: { 'application/json': { schema: Json } } } | undefined;
      if (!invalid) continue;
      validationSchema ??= invalid.content['application/json'].schema;
      invalid.content['application/json'].schema = { $ref: '#/components/schemas/HTTPValidationError' };
    }
    paths[path.startsWith(TM_BASE) ? path.slice(TM_BASE.length) || '/' : path] = operations;
  }
  const schemas: Json = {};
  if (validationSchema) {
    const { properties, ...outer } = validationSchema as { properties: { detail: { items: Json } } } & Json;
    schemas.ValidationError = properties.detail.items;
    schemas.HTTPValidationError = {
      ...outer,
      properties: {
        ...properties,
        detail: { ...properties.detail, items: { $ref: '#/components/schemas/ValidationError' } },
      },
    };
  }
  cached = {
    ...doc,
    servers: [{ url: TM_BASE }],
    paths,
    components: { ...doc.components, schemas },
  };
  return cached;
}
