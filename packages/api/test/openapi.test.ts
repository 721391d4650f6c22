import { Validator } from '@seriousme/openapi-schema-validator';
import { describe, expect, it } from 'vitest';
import { openApiDocument, openApiStyles, type OpenApiStyleName } from '../src/openapi';

// Every route each style serves, written out independently of the route tables.
const EXPECTED: Record<OpenApiStyleName, string[]> = {
  mlw: [
    'GET /service/mlw/projects',
    'POST /service/mlw/projects',
    'GET /service/mlw/projects/{projectID}',
    'PUT /service/mlw/projects/{projectID}',
    'DELETE /service/mlw/projects/{projectID}',
    'GET /service/mlw/projects/{projectID}/resources',
    'POST /service/mlw/projects/{projectID}/resources',
    'GET /service/mlw/projects/{projectID}/resources/{resourceID}',
    'DELETE /service/mlw/projects/{projectID}/resources/{resourceID}',
    'GET /service/mlw/projects/{projectID}/resources/{resourceID}/download',
    'POST /service/mlw/projects/{projectID}/resources/createnew',
    'GET /service/mlw/projects/{projectID}/resources/{resourceID}/preview',
    'PUT /service/mlw/projects/{projectID}/resources/{resourceID}/save',
    'GET /service/mlw/resources/deploy',
    'POST /service/mlw/projects/{projectID}/resources/{resourceID}/deploy',
    'DELETE /service/mlw/projects/{projectID}/resources/{resourceID}/deploy',
    'GET /service/mlw/projects/{projectID}/resources/{resourceID}/predict/{modelID}',
    'POST /service/mlw/projects/{projectID}/resources/{resourceID}/trainNN',
    'GET /service/mlw/tasks',
    'GET /service/mlw/tasks/{taskID}',
    'DELETE /service/mlw/tasks/{taskID}',
    'GET /service/mlw/tasks/{taskID}/task/{subTaskID}',
    'PUT /service/mlw/tasks/{taskID}/task/{subTaskID}',
    'DELETE /service/mlw/tasks/{taskID}/task/{subTaskID}',
  ],
  'edge-impulse': [
    'POST /v1/api-login',
    'GET /v1/api/projects',
    'POST /v1/api/projects/create',
    'GET /v1/api/{projectId}/impulse',
    'POST /v1/api/{projectId}/impulse',
    'GET /v1/api/{projectId}/training/keras/{learnId}',
    'POST /v1/api/{projectId}/training/keras/{learnId}',
    'POST /v1/api/{projectId}/jobs/train/keras/{learnId}',
    'GET /v1/api/{projectId}/jobs',
    'GET /v1/api/{projectId}/jobs/{jobId}/status',
    'GET /v1/api/{projectId}/jobs/{jobId}/stdout',
    'POST /v1/api/{projectId}/jobs/{jobId}/cancel',
    'GET /v1/api/{projectId}/training/keras/{learnId}/metadata',
    'GET /v1/api/{projectId}/socket-token',
    'GET /v1/api/{projectId}',
    'GET /v1/api/projects/api-key-info',
    'GET /v1/api/{projectId}/apikeys',
    'POST /v1/api/{projectId}/apikeys',
    'POST /v1/api/{projectId}/impulse/get-new-block-id',
    'GET /v1/api/{projectId}/jobs/all',
    'GET /v1/api/{projectId}/jobs/history',
    'GET /v1/api/{projectId}/jobs/{jobId}/stdout/download',
    'GET /v1/api/{projectId}/raw-data',
    'GET /v1/api/{projectId}/raw-data/count',
    'GET /v1/api/{projectId}/raw-data/{sampleId}',
    'DELETE /v1/api/{projectId}/raw-data/{sampleId}',
    'GET /v1/api/{projectId}/devkeys',
    'GET /v1/api/{projectId}/classify/{sampleId}',
    'POST /v1/api/{projectId}/jobs/evaluate',
    'POST /v1/api/{projectId}/jobs/classify',
    'GET /v1/api/{projectId}/classify/all/result',
    'GET /v1/api/{projectId}/deployment/evaluate',
    'GET /v1/api/{projectId}/deployment',
    'GET /v1/api/{projectId}/deployment/download',
  ],
  'training-module': [
    'GET /training-module/healthcheck',
    'GET /training-module/start_session',
    'POST /training-module/parameters/{key}',
    'GET /training-module/parameters',
    'POST /training-module/upload_dataset/{key}',
    'POST /training-module/preprocess/{key}',
    'GET /training-module/preprocess_status',
    'POST /training-module/training/start/{key}',
    'POST /training-module/training/stop/{key}',
    'GET /training-module/status',
    'GET /training-module/monitor/{key}',
    'GET /training-module/model_ready/{key}',
    'GET /training-module/download_model/{key}',
    'GET /training-module/download_results/{key}',
    'POST /training-module/import_model/{key}',
    'GET /training-module/import_status',
    'GET /training-module/get_imported_model/{key}',
  ],
};

describe.each(Object.keys(openApiStyles) as OpenApiStyleName[])('OpenAPI document %s', (name) => {
  const doc = openApiDocument(name) as {
    openapi: string;
    paths: Record<string, Record<string, { operationId: string }>>;
  };

  it('is a valid OpenAPI 3.1 document', async () => {
    expect(doc.openapi).toBe('3.1.0');
    const result = await new Validator().validate(structuredClone(doc));
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it('documents every implemented route, and nothing else', () => {
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`),
    );
    expect(documented.sort()).toEqual([...EXPECTED[name]].sort());
    // Served and undocumented: only a style's own docs routes (hidden, as FastAPI's /openapi.json and /docs).
    const served = openApiStyles[name].style.routes
      .filter((r) => !r.hidden)
      .map((r) => `${r.method} ${openApiStyles[name].style.basePath}${r.path}`);
    expect(served.sort()).toEqual(documented.sort());
  });
});
