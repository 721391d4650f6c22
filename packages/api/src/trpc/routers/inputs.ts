import { hyperparametersSchema, problemTypeSchema } from '@trainhub/db/contracts';
import { z } from 'zod';

// The input schemas of the tRPC procedures the web UI's forms call, shared by both sides: the form checks
// its values with the very schema the procedure parses, and a refusal names the same fields either way.
// Browser-safe on purpose (zod and @trainhub/db/contracts only): client components import this module
// through `@trainhub/api/inputs`.

export const idSchema = z.number().int().positive();
export const teamRoleSchema = z.enum(['OWNER', 'ADMIN', 'EDITOR', 'VIEWER']);
/** A name a person types: trimmed, at least one letter or digit. */
const typedName = (max: number, what: string) =>
  z
    .string()
    .trim()
    .min(1, `write a ${what} with at least one letter or digit`)
    .max(max, `the ${what} is longer than ${max} characters`);

/** The input of every team-wide procedure (members, API keys, invites, team settings). */
export const teamInput = z.object({ teamId: idSchema });

export const createTeamInput = z.object({ name: z.string().max(200) });
export const renameTeamInput = teamInput.extend({ name: z.string().max(200) });
export const deleteTeamInput = teamInput.extend({ confirmName: z.string().max(200) });
export const createInviteInput = teamInput.extend({ role: teamRoleSchema });
export const createApiKeyInput = teamInput.extend({
  name: typedName(100, 'key name'),
  role: z.enum(['ADMIN', 'EDITOR', 'VIEWER'], 'an API key is an admin, editor or viewer'),
  projectId: idSchema.nullish(),
});
export const setMemberRoleInput = teamInput.extend({ userId: z.string().min(1), role: teamRoleSchema });

export const createProjectInput = z.object({
  name: typedName(200, 'project name'),
  description: z.string().max(2000).nullish(),
  teamId: idSchema.optional(),
});
export const updateProjectInput = z.object({
  projectId: idSchema,
  name: typedName(200, 'project name').optional(),
  description: z.string().max(2000).nullish(),
});

/** One hidden layer of the Train form's simple mode ("16, 8 tanh"). */
export const denseLayerInput = z.object({
  type: z.literal('dense'),
  units: z
    .number('write the number of units, e.g. 16')
    .int('write the number of units, e.g. 16')
    .min(1, 'a layer has at least 1 unit')
    .max(100_000, 'a layer has at most 100000 units'),
  activation: z.string().trim().min(1).max(40).default('relu'),
});

/**
 * `tasks.train`: train on a dataset resource, once (now or at `startAt`) or on a cron schedule. The network
 * is an architecture resource (`architectureResourceId`, copied into the task) or a list of dense hidden
 * layers (`layers`); exactly one of the two. `labelColumn` defaults to the dataset's last column; `scaling`
 * is fitted on the training split and ignored when a preprocessing code resource is given. `timezone` is an
 * IANA name for the cron expression (UTC when absent).
 */
export const trainInput = z
  .object({
    projectId: idSchema,
    architectureResourceId: idSchema.optional(),
    layers: z
      .array(denseLayerInput)
      .min(1, 'list at least one hidden layer, e.g. 16, 8')
      .max(100, 'at most 100 hidden layers')
      .optional(),
    datasetResourceId: idSchema,
    codeResourceId: idSchema.nullish(),
    problemType: problemTypeSchema,
    modelName: typedName(200, 'model name'),
    labelColumn: z.string().trim().min(1).max(200).optional(),
    scaling: z.enum(['none', 'standardize', 'minmax']).optional(),
    hyperparameters: hyperparametersSchema,
    cronExpression: z.string().trim().min(1, 'write a cron expression, e.g. 0 3 * * *').max(200).optional(),
    timezone: z.string().trim().min(1).max(100).optional(),
    startAt: z.date('pick a date and time to start').optional(),
  })
  .refine((v) => (v.architectureResourceId === undefined) !== (v.layers === undefined), {
    message: 'choose an architecture file or list dense layers (one of the two)',
    path: ['architectureResourceId'],
  });
export type TrainInput = z.infer<typeof trainInput>;

/** Per-field messages by dotted path (`hyperparameters.epochs`, `layers.0.units`); '' is the whole input. */
export type FieldErrors = Record<string, string>;

/** A path segment of a zod issue, or of a Standard Schema issue (what tRPC's input parser reports). */
type PathSegment = PropertyKey | { key: PropertyKey };

/**
 * Validation issues (zod's, or the Standard Schema ones tRPC's input parser throws) as per-field messages,
 * the first message per field; tRPC's error data carries them as `fieldErrors`.
 */
export function fieldErrorsOf(error: {
  issues: readonly { path?: readonly PathSegment[] | undefined; message: string }[];
}): FieldErrors {
  const fields: FieldErrors = {};
  for (const issue of error.issues) {
    const key = (issue.path ?? [])
      .map((segment) => String(typeof segment === 'object' ? segment.key : segment))
      .join('.');
    fields[key] ??= issue.message;
  }
  return fields;
}
