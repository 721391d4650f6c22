import { z } from 'zod';

// The MLW answers as the Cumulocity MLW API reference documents them, written from the reference (the
// seed page /work/shared/seeds/mlw-train-nn.md and docs/fidelity/mlw.md §1-§5: SoftwareAG/c8y-docs
// api-reference-mlw-bundle, era E1: `<epoch>_Project` ids, ctime dates), NOT from our presenters. Objects are
// strict: a key the reference does not have, or a missing one, fails. Every MLW answer the tests produce goes
// through `checkMlwAnswer`.

/** Python `time.ctime()`: `Tue Sep 29 05:45:22 2020`, `Mon Aug  3 12:28:08 2020` (space-padded day). */
export const ctime = z
  .string()
  .regex(
    /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) ( [1-9]|[12]\d|3[01]) \d{2}:\d{2}:\d{2} \d{4}$/,
  );
const projectId = z.string().regex(/^\d+_Project$/);
const resourceId = z.string().regex(/^\d+_Resource$/);
const digits = z.string().regex(/^\d+$/);
const property = z.object({ key: z.string(), label: z.string(), value: z.unknown() }).strict();

/** §2 Project: no sortTime, no resources; `isFreezeProjectPull` is E2+ (optional). */
export const refProject = z
  .object({
    id: projectId,
    name: z.string(),
    description: z.string(),
    createdAt: ctime,
    properties: z.array(property),
    isModified: z.boolean(),
    isFreeze: z.boolean(),
    isFreezeProjectPull: z.boolean().optional(),
    selectedVersion: z.string(),
    versions: z.array(z.string()),
    resourcesCount: z
      .object({
        data: z.number().int().min(0),
        model: z.number().int().min(0),
        code: z.number().int().min(0),
        workflow: z.number().int().min(0),
        pipeline: z.number().int().min(0),
        'nn-designer': z.number().int().min(0),
        totalCount: z.number().int().min(0),
      })
      .strict(),
  })
  .strict();

const FORMATS = ['CSV', 'JSON', 'TXT', 'IMAGE', 'ZIP', 'PY', 'PMML', 'ONNX', 'PIPELINE', 'ARCHITECTURE'];

/** §2 Resource: `type` = file format, `category` = group, `url` under `./MLW/<P>/<Folder>/`. */
export const refResource = z
  .object({
    id: resourceId,
    name: z.string(),
    description: z.string(),
    createdAt: ctime,
    properties: z.array(property),
    editedAt: z.union([z.literal(''), ctime]),
    type: z.string().refine((t) => FORMATS.includes(t), 'a file format'),
    url: z.string().regex(/^\.\/MLW\/\d+_Project\/(Data|Model|Code|Pipeline|Workflow|NN-Designer)\/.+/),
    downloadUrl: z.string().regex(/^\/download\/\d+_Project\/.+/),
    size: z.number().int().min(0),
    mimeType: z.string().regex(/^[a-z]+\/[\w.+-]+$/i),
    extension: z.string().regex(/^\.\w+$/),
    category: z.enum(['Data', 'Model', 'Code', 'Pipeline', 'Workflow', 'NN-Designer']),
    deployed: z.boolean().optional(),
    mleID: z.string().optional(),
  })
  .strict()
  .superRefine((r, ctx) => {
    const folder = r.category;
    if (!r.url.includes(`/${folder}/`)) ctx.addIssue({ code: 'custom', message: 'url folder != category' });
    if (r.extension === '.csv' && r.mimeType !== 'text/csv')
      ctx.addIssue({ code: 'custom', message: 'csv mimeType' });
    if (r.extension === '.architecture' && (r.type !== 'ARCHITECTURE' || r.category !== 'NN-Designer'))
      ctx.addIssue({ code: 'custom', message: 'architecture file' });
  });

const group = z.array(refResource);
/** §2 ProjectWithResources: every Project key plus the six groups. */
export const refProjectWithResources = refProject
  .extend({
    resources: z
      .object({
        data: group,
        model: group,
        code: group,
        pipeline: group,
        workflow: group,
        'nn-designer': group,
      })
      .strict(),
  })
  .strict()
  .superRefine((p, ctx) => {
    for (const key of ['data', 'model', 'code', 'pipeline', 'workflow', 'nn-designer'] as const) {
      if (p.resources[key].length !== p.resourcesCount[key])
        ctx.addIssue({ code: 'custom', message: `resourcesCount.${key} != resources.${key}.length` });
    }
  });

const STAGES = ['ARCH_READ', 'ARCH_CREATE_LAYER', 'DATA_INIT', 'DATA_PROCESS', 'COMPILE', 'TRAIN', 'SAVE'];

/** §2 IndividualTask (NN), the seed's keys; `fileName`, `completedAt`, `fileSaved` once the model is saved. */
export const refIndividualTask = z
  .object({
    status: z.string(),
    type: z.literal('NN'),
    projectID: projectId,
    log: z.record(
      z.string().refine((s) => STAGES.includes(s), 'a stage'),
      z
        .object({
          timestamp: z.string().regex(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{6}$/),
          type: z.string(),
          message: z.string(),
          error: z.string(),
        })
        .strict(),
    ),
    properties: z.array(property),
    message: z.string(),
    history: z.array(z.object({ epoch: z.number().int() }).catchall(z.number().nullable())),
    tasksID: digits,
    taskName: z.string(),
    id: digits,
    executedAt: ctime,
    pID: z.string(),
    fileName: z
      .string()
      .regex(/^\.\/MLW\/\d+_Project\/Model\/.+/)
      .optional(),
    completedAt: ctime.optional(),
    fileSaved: z.literal(true).optional(),
  })
  .strict()
  .refine((t) => (t.fileName === undefined) === (t.fileSaved === undefined), 'fileName with fileSaved')
  .refine((t) => t.status !== 'COMPLETED' || t.fileSaved === true, 'a completed run has saved its file');

const NN_PROPERTIES = [
  'problemType',
  'optimizer',
  'learningRate',
  'loss',
  'metrics',
  'epoch',
  'testSize',
  'batchSize',
];

const taskBase = z.object({
  id: digits,
  name: z.string(),
  createdAt: ctime,
  sortTime: z.number().int(),
  type: z.literal('NN'),
  projectID: projectId,
  projectName: z.string(),
  startDate: z.string().regex(/^(\d{4}-\d{2}-\d{2})?$/),
  startTimeH: z.string().regex(/^(\d{2})?$/),
  startTimeM: z.string().regex(/^(\d{2})?$/),
  properties: z
    .array(property)
    .refine((p) => p.map((x) => x.key).join() === NN_PROPERTIES.join(), 'the eight NN properties in order'),
  cronExpression: z.string(),
  status: z.enum(['NOT SCHEDULED', 'SCHEDULED', 'RUNNING', 'EXECUTED']),
  recurrence: z.enum(['ONE_TIME', 'REPEAT']),
  timeZone: z.literal('UTC').optional(),
});
/** §2 Task (the seed's 200 answer): `individualTasks` a list... */
export const refTask = taskBase.extend({ individualTasks: z.array(refIndividualTask) }).strict();
/** ...or a map by id in the DELETE /tasks/T answer (§1 #35). */
const refTaskInMap = taskBase.extend({ individualTasks: z.record(digits, refIndividualTask) }).strict();

export const refError = z
  .object({ message: z.string(), errorCode: z.number().int(), exception: z.string() })
  .strict();
export const refAuthError = z.object({ error: z.string(), message: z.string(), info: z.string() }).strict();
export const refVariableIssue = z
  .object({
    error: z.string(),
    message: z.literal('Variable issue'),
    info: z.array(z.object({ loc: z.array(z.string()), msg: z.string(), type: z.string() }).strict()),
  })
  .strict();

/** §1, answer by route (method + path pattern relative to /service/mlw). */
const ROUTES: [string, RegExp, z.ZodType][] = [
  ['GET', /^\/projects$/, z.object({ data: z.array(refProject) }).strict()],
  ['POST', /^\/projects$/, refProject],
  ['GET', /^\/projects\/[^/]+$/, refProject],
  ['PUT', /^\/projects\/[^/]+\/?$/, refProject],
  ['DELETE', /^\/projects\/[^/]+$/, z.object({ data: z.array(refProject) }).strict()],
  ['GET', /^\/projects\/[^/]+\/resources$/, refProjectWithResources],
  ['POST', /^\/projects\/[^/]+\/resources$/, refProjectWithResources],
  ['POST', /^\/projects\/[^/]+\/resources\/createnew$/, refProjectWithResources],
  ['GET', /^\/projects\/[^/]+\/resources\/[^/]+$/, refResource],
  ['DELETE', /^\/projects\/[^/]+\/resources\/[^/]+$/, refProjectWithResources],
  ['GET', /^\/projects\/[^/]+\/resources\/[^/]+\/preview$/, z.object({ content: z.string() }).strict()],
  [
    'PUT',
    /^\/projects\/[^/]+\/resources\/[^/]+\/save$/,
    z.object({ message: z.literal('File updated successfully!'), data: refResource }).strict(),
  ],
  ['POST', /^\/projects\/[^/]+\/resources\/[^/]+\/trainNN$/, refTask],
  [
    'GET',
    /^\/resources\/deploy$/,
    z
      .object({ data: z.array(z.object({ id: z.string(), name: z.string(), type: z.string() }).strict()) })
      .strict(),
  ],
  ['POST', /^\/projects\/[^/]+\/resources\/[^/]+\/deploy$/, refResource],
  ['DELETE', /^\/projects\/[^/]+\/resources\/[^/]+\/deploy$/, refResource],
  ['GET', /^\/projects\/[^/]+\/resources\/[^/]+\/predict\/[^/]+$/, refProjectWithResources],
  ['GET', /^\/tasks$/, z.object({ data: z.array(refTask) }).strict()],
  ['GET', /^\/tasks\/[^/]+$/, refTask],
  ['DELETE', /^\/tasks\/[^/]+$/, z.object({ data: z.record(digits, refTaskInMap) }).strict()],
  ['GET', /^\/tasks\/[^/]+\/task\/[^/]+$/, refIndividualTask],
  [
    'PUT',
    /^\/tasks\/[^/]+\/task\/[^/]+$/,
    z.object({ message: z.literal('Triggered early stopping') }).strict(),
  ],
  ['DELETE', /^\/tasks\/[^/]+\/task\/[^/]+$/, z.object({ data: z.array(refTask) }).strict()],
];

/** How many answers were checked, by route (a test can assert the workflow covered them). */
export const checkedAnswers = new Map<string, number>();

/**
 * Checks one MLW answer against the reference: 2xx JSON bodies by route, error bodies against the
 * reference's three error shapes (401/403 auth shape, "Variable issue", `{message, errorCode, exception}`).
 * A 2xx answer of a route the reference does not document fails too. Throws with the zod issues.
 */
export function checkMlwAnswer(method: string, path: string, status: number, body: unknown): void {
  const relative = path.replace(/^\/service\/mlw/, '').split('?')[0]!;
  let schema: z.ZodType;
  if (status >= 200 && status < 300) {
    const route = ROUTES.find(([m, re]) => m === method && re.test(relative));
    if (!route) throw new Error(`MLW reference: no documented answer for ${method} ${relative}`);
    schema = route[2];
    const key = `${method} ${route[1].source}`;
    checkedAnswers.set(key, (checkedAnswers.get(key) ?? 0) + 1);
  } else if (status === 401 || status === 403) {
    schema = refAuthError;
  } else {
    schema = z.union([refError, refVariableIssue]);
  }
  const result = schema.safeParse(body);
  if (!result.success) {
    throw new Error(
      `MLW reference: ${method} ${relative} ${status} does not match: ${JSON.stringify(result.error.issues.slice(0, 5))}\n${JSON.stringify(body).slice(0, 1500)}`,
    );
  }
}
