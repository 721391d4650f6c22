import { parseArgs } from 'node:util';
import { createDb, loadDatabaseConfig, migrate, type Db } from '@trainhub/db';
import { z } from 'zod';
import { createApiKey, createUserWithTeam } from '../services/accounts';
import { DomainError } from '../services/errors';

// Operator CLI: `npm run admin -- <command> [options]`. Prints results as plain lines (a created API key
// is printed once and never again) and exits non-zero with usage on bad arguments.

export const USAGE = `usage: npm run admin -- <command> [options]

commands:
  create-user --email E --password P [--team T] [--name N]
      creates a user (and team T if missing) with the user as the team's owner
  create-api-key --email E --team T [--project NAME] --role viewer|editor|admin [--name N]
      creates an API key for team T (or one project of it), printed once
`;

class UsageError extends Error {}

const createUserArgs = z.object({
  email: z.email('--email must be an email address'),
  password: z.string().min(8, '--password must have at least 8 characters'),
  team: z.string().min(1).optional(),
  name: z.string().min(1).optional(),
});

const createApiKeyArgs = z.object({
  email: z.email('--email must be an email address'),
  team: z.string().min(1, '--team is required'),
  project: z.string().min(1).optional(),
  role: z.enum(['viewer', 'editor', 'admin'], '--role must be viewer, editor or admin'),
  name: z.string().min(1).optional(),
});

function parse<T extends z.ZodType>(schema: T, args: string[], options: Record<string, { type: 'string' }>) {
  let values: Record<string, unknown>;
  try {
    ({ values } = parseArgs({ args, options, strict: true, allowPositionals: false }));
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const result = schema.safeParse(values);
  if (!result.success) {
    const missing = result.error.issues.map((i) =>
      i.code === 'invalid_type' && i.input === undefined ? `--${String(i.path[0])} is required` : i.message,
    );
    throw new UsageError(missing.join('; '));
  }
  return result.data as z.infer<T>;
}

const stringOption = { type: 'string' } as const;

export async function runAdmin(argv: string[], db: Db, out: (line: string) => void): Promise<void> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'create-user': {
      const args = parse(createUserArgs, rest, {
        email: stringOption,
        password: stringOption,
        team: stringOption,
        name: stringOption,
      });
      const result = await createUserWithTeam(db, args);
      out(
        `created user ${result.user.email} (id ${result.user.id}) as owner of team "${result.team.name}" (id ${result.team.id})`,
      );
      return;
    }
    case 'create-api-key': {
      const args = parse(createApiKeyArgs, rest, {
        email: stringOption,
        team: stringOption,
        project: stringOption,
        role: stringOption,
        name: stringOption,
      });
      const result = await createApiKey(db, {
        ...args,
        role: args.role.toUpperCase() as 'VIEWER' | 'EDITOR' | 'ADMIN',
      });
      out(
        `created ${args.role} API key ${result.id} for team ${result.teamId}${result.projectId ? `, project ${result.projectId}` : ''}`,
      );
      out('store it now, it is not shown again:');
      out(result.key);
      return;
    }
    default:
      throw new UsageError(command ? `unknown command: ${command}` : 'no command given');
  }
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === 'help') {
    process.stdout.write(USAGE);
    return argv.length === 0 ? 2 : 0;
  }
  let db: Db | undefined;
  try {
    const { databaseUrl } = loadDatabaseConfig(process.env, 'admin');
    await migrate(databaseUrl);
    db = createDb(databaseUrl);
    await runAdmin(argv, db, (line) => console.log(line));
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`admin: ${error.message}\n\n${USAGE}`);
      return 2;
    }
    if (error instanceof DomainError) {
      process.stderr.write(`admin: ${error.message}\n`);
      return 1;
    }
    throw error;
  } finally {
    await db?.$disconnect();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.exitCode = await main();
}
