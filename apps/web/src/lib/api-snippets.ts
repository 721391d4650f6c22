/**
 * The API page's curl snippets, generated from each style's OpenAPI document (the same route tables the
 * REST handlers serve) and this project's ids written the way each style reads them.
 *
 * Id formats (packages/api/src/rest): MLW projects are `N_Project` and resources `N_Resource` (a bare number
 * answers 404), its tasks and sub-tasks plain numbers; Edge Impulse and the training-session style take plain
 * numbers. A path parameter with no id in this project stays as `{name}`, and the snippet is marked not ready.
 */

export type ApiStyleId = 'mlw' | 'edge-impulse' | 'training-module';

/** This project's ids the snippets are filled with (the newest of each kind), all plain database ids. */
export interface SnippetIds {
  projectId: number;
  /** Newest CSV (dataset) resource. */
  datasetId?: number;
  /** Newest `.architecture` resource: trainNN's `{resourceID}`. */
  architectureId?: number;
  /** Newest trained model resource. */
  modelId?: number;
  /** Newest resource of any kind. */
  resourceId?: number;
  taskId?: number;
  executionId?: number;
  /** Newest Edge Impulse learn block. */
  learnBlockId?: number;
}

export interface SnippetOperation {
  method: string;
  path: string;
  requestBody?: { content?: Record<string, unknown> };
  /** OpenAPI parameters: the required query ones are filled in (an enum's first value, else an example). */
  parameters?: {
    name: string;
    in: string;
    required?: boolean;
    schema?: { enum?: unknown[]; example?: unknown; type?: string };
  }[];
}

/** Values for required query parameters that have no enum in the documents. */
const QUERY_EXAMPLES: Record<string, string> = { type: 'tfjs' };

export interface Snippet {
  /** The shell command, ready to paste (reads the key from $TRAINHUB_API_KEY). */
  command: string;
  /** False when a path parameter or body field has no value in this project yet. */
  ready: boolean;
  /** What is left to fill in before it runs, in words (empty when ready). */
  todo: string[];
}

/** How each style takes an API key (comments go on their own line: a `#` after `\` would end the command). */
export const STYLE_AUTH: Record<ApiStyleId, { header: string; note?: string }> = {
  mlw: {
    header: '-H "Authorization: Bearer $TRAINHUB_API_KEY"',
    note: '# MLW also takes Basic auth: replace the -H line with -u "$EMAIL:$PASSWORD"',
  },
  'edge-impulse': { header: '-H "x-api-key: $TRAINHUB_API_KEY"' },
  'training-module': { header: '-H "Authorization: Bearer $TRAINHUB_API_KEY"' },
};

const mlwProject = (id: number) => `${id}_Project`;
const mlwResource = (id: number) => `${id}_Resource`;

/** The value of one path parameter, in the style's own id format; undefined when the project has none. */
export function pathValue(
  style: ApiStyleId,
  path: string,
  name: string,
  ids: SnippetIds,
): string | undefined {
  const key = name.toLowerCase();
  if (style === 'mlw') {
    if (key === 'projectid') return mlwProject(ids.projectId);
    if (key === 'resourceid') {
      // trainNN and the NN designer's preview/save take an architecture file; deploy/undeploy a model;
      // predict scores a dataset.
      const id = /\/(trainNN|preview|save)$/.test(path)
        ? ids.architectureId
        : path.endsWith('/deploy')
          ? ids.modelId
          : path.includes('/predict/')
            ? ids.datasetId
            : ids.resourceId;
      return id === undefined ? undefined : mlwResource(id);
    }
    if (key === 'taskid') return ids.taskId?.toString();
    if (key === 'subtaskid') return ids.executionId?.toString();
    return undefined;
  }
  if (style === 'edge-impulse') {
    if (key === 'projectid') return String(ids.projectId);
    if (key === 'jobid') return ids.executionId?.toString();
    if (key === 'learnid') return ids.learnBlockId?.toString();
    return undefined;
  }
  return undefined;
}

/** A JSON body the route accepts, with this project's ids; `undefined` when the route takes no JSON. */
export function exampleBody(
  style: ApiStyleId,
  op: SnippetOperation,
  ids: SnippetIds,
): { json: unknown; ready: boolean } | undefined {
  const content = op.requestBody?.content;
  if (!content || !('application/json' in content)) return undefined;
  if (style === 'mlw' && op.path.endsWith('/trainNN')) {
    return {
      json: {
        modelName: 'from-the-api',
        dataID: ids.datasetId !== undefined ? mlwResource(ids.datasetId) : '{dataID}',
        problemType: 'classification',
        epoch: 10,
        batchSize: 16,
        learningRate: 0.01,
        optimizer: 'adam',
        loss: 'categorical_crossentropy',
        metrics: ['accuracy'],
        testSize: 0.2,
      },
      ready: ids.datasetId !== undefined,
    };
  }
  if (style === 'mlw' && op.method === 'post' && /\/projects$/.test(op.path))
    return { json: { name: 'my-project', description: 'created from the API' }, ready: true };
  if (style === 'mlw' && op.method === 'put' && /\/projects\/\{projectID\}$/.test(op.path))
    return { json: { description: 'edited from the API' }, ready: true };
  if (style === 'edge-impulse' && op.path.endsWith('/projects/create'))
    return { json: { projectName: 'my-project' }, ready: true };
  if (style === 'edge-impulse' && /\/jobs\/train\/keras\/\{learnId\}$/.test(op.path))
    return { json: { trainingCycles: 10, learningRate: 0.01 }, ready: true };
  // Other JSON bodies: an empty object to fill in from the interactive reference.
  return { json: {}, ready: false };
}

const shellQuote = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`;

/** The curl command for one operation of a style, filled with this project's ids. */
export function buildSnippet(
  style: ApiStyleId,
  op: SnippetOperation,
  ids: SnippetIds,
  origin: string,
): Snippet {
  const todo: string[] = [];
  const path = op.path.replace(/\{([^}]+)\}/g, (whole, name: string) => {
    const value = pathValue(style, op.path, name, ids);
    if (value === undefined) todo.push(`${whole}: this project has none yet`);
    return value ?? whole;
  });
  const query = new URLSearchParams();
  for (const p of op.parameters ?? []) {
    if (p.in !== 'query' || !p.required) continue;
    const value = p.schema?.enum?.[0] ?? p.schema?.example ?? QUERY_EXAMPLES[p.name];
    if (value === undefined) todo.push(`the ${p.name} query parameter`);
    query.set(p.name, value === undefined ? `{${p.name}}` : String(value));
  }
  const search = query.toString();
  const url = `${origin}${path}${search ? `?${search}` : ''}`;
  const auth = STYLE_AUTH[style];
  const lines = [`curl -sS -X ${op.method.toUpperCase()} "${url}"`, auth.header];
  const body = exampleBody(style, op, ids);
  if (body) {
    if (!body.ready)
      todo.push(
        Object.keys(body.json as object).length === 0
          ? 'the JSON body: its fields are in the interactive reference'
          : 'the values in braces in the JSON body: this project has none of that kind yet',
      );
    lines.push('-H "content-type: application/json"', `-d ${shellQuote(JSON.stringify(body.json))}`);
  }
  const command = lines.join(' \\\n  ');
  return { command: auth.note ? `${auth.note}\n${command}` : command, ready: todo.length === 0, todo };
}
