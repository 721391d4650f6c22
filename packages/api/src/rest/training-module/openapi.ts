import { openApiDocument } from '../../openapi';
import { TM_BASE } from './contracts';

type Json = Record<string, unknown>;

let cached: Json | undefined;

/**
 * The session style's OpenAPI 3.1 document as FastAPI serves it at `/openapi.json` of its app: paths
 * relative to the app (`/start_session`), the mount point in `servers` (FastAPI's root_path), and the 422
 * answers as references to the `HTTPValidationError` / `ValidationError` component schemas FastAPI
 * declares, FastAPI's operation ids (`start_session_start_session_get`: generate_unique_id) and summaries
 * ("Start Session"), and request bodies as named schemas (`TrainingConfigParams`,
 * `Body_upload_dataset_upload_dataset__key__post`), so that clients generated from it (openapi-generator,
 * openapi-python-client) get the names a client of the FastAPI service has. Built from the same route
 * table as /api/openapi/training-module.json.
 */
export async function trainingModuleOpenApi(): Promise<Json> {
  if (cached) return cached;
  const doc = structuredClone(openApiDocument('training-module')) as Json & {
    paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
    components: Json;
  };
  const paths: typeof doc.paths = {};
  const schemas: Json = {};
  let validationSchema: Json | undefined;
  for (const [path, operations] of Object.entries(doc.paths)) {
    const relative = path.startsWith(TM_BASE) ? path.slice(TM_BASE.length) || '/' : path;
    for (const [method, op] of Object.entries(operations)) {
      const operation = op as typeof op & Json & { operationId: string; summary: string };
      // FastAPI's generate_unique_id (client method names) and its summary (the function name, titled).
      const name = operation.operationId;
      operation.description = operation.summary;
      operation.summary = name
        .split('_')
        .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
        .join(' ');
      operation.operationId = `${name}${relative}`.replace(/\W/g, '_') + `_${method}`;
      // Request bodies as named component schemas, with FastAPI's names.
      const content = (operation.requestBody as { content?: Record<string, { schema: Json }> } | undefined)
        ?.content;
      for (const [type, media] of Object.entries(content ?? {})) {
        const title =
          type === 'multipart/form-data'
            ? `Body_${operation.operationId}`
            : ((media.schema.title as string | undefined) ?? `Body_${operation.operationId}`);
        schemas[title] = { ...media.schema, title };
        media.schema = { $ref: `#/components/schemas/${title}` };
      }
      const invalid = operation.responses['422'] as
        { content: { 'application/json': { schema: Json } } } | undefined;
      if (!invalid) continue;
      validationSchema ??= invalid.content['application/json'].schema;
      invalid.content['application/json'].schema = { $ref: '#/components/schemas/HTTPValidationError' };
    }
    paths[relative] = operations;
  }
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
