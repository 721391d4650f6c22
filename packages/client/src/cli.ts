// trainhub: the platform from a terminal, on @trainhub/client. See `trainhub --help` and the README's
// "Use it from your own code" section for the exit codes.
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, join } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { SingleBar } from 'cli-progress';
import { Command, Option } from 'commander';
import {
  createClient,
  TrainhubError,
  type Client,
  type Execution,
  type ExecutionEvent,
  type RouterInputs,
} from './index';

/** Exit codes (documented in --help and the README). */
export const EXIT = {
  OK: 0,
  ERROR: 1, // bad usage, a refused input, a server or connection error
  AUTH: 2, // no key configured, or the key was refused (401/403)
  NOT_FOUND: 3, // the project, resource or execution does not exist (for this key)
  FAILED: 4, // the training ended FAILED
  STOPPED: 5, // the training ended STOPPED or CANCELLED
  INTERRUPTED: 130, // Ctrl-C while following, the run left going on
} as const;

const EXIT_HELP = `
Exit codes:
  0    success (train: the run COMPLETED)
  1    error: bad usage, refused input, server or connection error
  2    not signed in: no key configured, or the key was refused (401/403)
  3    not found: the project, resource or execution does not exist for this key
  4    train: the run ended FAILED
  5    train: the run ended STOPPED or CANCELLED
  130  interrupted while following; the run goes on

Configuration: TRAINHUB_URL and TRAINHUB_API_KEY override what \`trainhub login\` stored in
$XDG_CONFIG_HOME/trainhub/config.json (default ~/.config/trainhub/config.json, mode 0600).`;

interface Config {
  url: string;
  apiKey: string;
}

/** The config file: $XDG_CONFIG_HOME/trainhub/config.json, %APPDATA%\trainhub\config.json on Windows. */
export function configPath(env = process.env): string {
  const base =
    env.XDG_CONFIG_HOME ||
    (process.platform === 'win32' && env.APPDATA ? env.APPDATA : join(homedir(), '.config'));
  return join(base, 'trainhub', 'config.json');
}

function readConfig(): Partial<Config> {
  const path = configPath();
  if (!existsSync(path)) return {};
  return JSON.parse(readFileSync(path, 'utf8')) as Partial<Config>;
}

/** Stores the URL and key readable by the user only (directory 0700, file 0600). */
function writeConfig(config: Config): string {
  const path = configPath();
  const dir = join(path, '..');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileSync(path, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  chmodSync(path, 0o600); // an existing file keeps its mode on write
  return path;
}

class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

const program = new Command('trainhub')
  .description('Train neural networks on a Trainhub platform from the terminal')
  .version('0.1.0')
  .option('--json', 'print machine-readable JSON on stdout')
  .option('--url <url>', 'platform URL (default: TRAINHUB_URL, then the stored login)')
  .option('--api-key <key>', 'API key (default: TRAINHUB_API_KEY, then the stored login)')
  .addHelpText('after', EXIT_HELP);

const globals = () => program.opts<{ json?: boolean; url?: string; apiKey?: string }>();
const json = () => Boolean(globals().json);

function connection(): Config {
  const stored = readConfig();
  const url = globals().url || process.env.TRAINHUB_URL || stored.url;
  const apiKey = globals().apiKey || process.env.TRAINHUB_API_KEY || stored.apiKey;
  if (!url || !apiKey)
    throw new CliError(
      'not signed in: run `trainhub login` or set TRAINHUB_URL and TRAINHUB_API_KEY',
      EXIT.AUTH,
    );
  return { url, apiKey };
}
const client = (): Client => createClient(connection());

/** Prints `value` as JSON with --json, else the human text. */
function out(value: unknown, text: () => string) {
  process.stdout.write(json() ? `${JSON.stringify(value, null, 2)}\n` : `${text()}\n`);
}

function table(rows: Record<string, unknown>[]): string {
  if (!rows.length) return '(none)';
  const keys = Object.keys(rows[0]!);
  // Dates (tRPC answers keep them, through superjson) as ISO text, as --json prints them.
  const cell = (v: unknown) =>
    v === null || v === undefined ? '' : v instanceof Date ? v.toISOString() : String(v);
  const widths = keys.map((k) => Math.max(k.length, ...rows.map((r) => cell(r[k]).length)));
  const line = (values: string[]) =>
    values
      .map((v, i) => v.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(keys), ...rows.map((r) => line(keys.map((k) => cell(r[k]))))].join('\n');
}

const positiveInt = (what: string) => (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0)
    throw new CliError(`${what} must be a positive integer, got ${value}`, EXIT.ERROR);
  return n;
};
const number = (what: string) => (value: string) => {
  const n = Number(value);
  if (!Number.isFinite(n)) throw new CliError(`${what} must be a number, got ${value}`, EXIT.ERROR);
  return n;
};

program
  .command('login')
  .description('check an API key against the platform and store it (mode 0600) for the other commands')
  .option('--key <key>', 'the API key (default: TRAINHUB_API_KEY, else asked for)')
  .action(async (options: { key?: string }) => {
    const url = globals().url || process.env.TRAINHUB_URL || readConfig().url || 'http://localhost:3000';
    let apiKey = options.key || globals().apiKey || process.env.TRAINHUB_API_KEY;
    if (!apiKey) {
      const rl = createInterface({ input: process.stdin, output: process.stderr });
      apiKey = (await rl.question('API key: ')).trim();
      rl.close();
    }
    if (!apiKey) throw new CliError('no API key given', EXIT.AUTH);
    const projects = await createClient({ url, apiKey }).trpc.projects.list.query();
    const path = writeConfig({ url, apiKey });
    out(
      { url, configPath: path, projects: projects.length },
      () => `signed in to ${url} (${projects.length} projects visible); key stored in ${path}`,
    );
  });

const projects = program.command('projects').description('list or create projects');
projects
  .command('list', { isDefault: true })
  .description('the projects the key sees')
  .action(async () => {
    const list = await client().trpc.projects.list.query();
    out(list, () =>
      table(
        list.map((p) => ({ id: p.id, name: p.name, resources: p.resources.length, created: p.createdAt })),
      ),
    );
  });
projects
  .command('create <name>')
  .description('create a project')
  .option('--description <text>')
  .action(async (name: string, options: { description?: string }) => {
    const project = await client().trpc.projects.create.mutate({ name, description: options.description });
    out(project, () => `project ${project.id} created: ${project.name}`);
  });

program
  .command('upload <project> <file>')
  .description('upload a file to a project (streamed, any size up to the server limit)')
  .option('--name <name>', 'the stored name (default: the file name)')
  .action(async (project: string, file: string, options: { name?: string }) => {
    const resource = await client().uploadPath(positiveInt('project')(project), file, options.name);
    out(resource, () => `uploaded ${file} as resource ${resource.id} (${resource.name})`);
  });

/** A resource id, or a local file uploaded first (architectures as text with their kind). */
async function resourceArg(c: Client, projectId: number, value: string, kind: 'DATASET' | 'ARCHITECTURE') {
  if (/^\d+$/.test(value) && !existsSync(value)) return Number(value);
  if (!existsSync(value) || !statSync(value).isFile())
    throw new CliError(`${value}: no such file or resource id`, EXIT.ERROR);
  if (kind === 'ARCHITECTURE') {
    const resource = await c.trpc.resources.uploadText.mutate({
      projectId,
      name: basename(value),
      content: readFileSync(value, 'utf8'),
      kind,
    });
    return resource.id;
  }
  return (await c.uploadPath(projectId, value)).id;
}

const metricText = (data: unknown) =>
  Object.entries((data && typeof data === 'object' ? data : {}) as Record<string, unknown>)
    .filter(([k, v]) => typeof v === 'number' && !['epoch', 'durationMs', 'samplesPerSecond'].includes(k))
    .map(([k, v]) => `${k}=${(v as number).toPrecision(4)}`)
    .join(' ');

/** Asks what Ctrl-C should do: stop (keep the model so far), cancel (discard), or go on following. */
async function askInterrupt(): Promise<'stop' | 'cancel' | 'detach' | 'continue'> {
  if (!process.stdin.isTTY) return 'stop';
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  const answer = (
    await rl.question(
      '\n[s]top and keep the model so far, [c]ancel, [d]etach (leave it running), or go on? [s/c/d/N] ',
    )
  )
    .trim()
    .toLowerCase();
  rl.close();
  return answer.startsWith('s')
    ? 'stop'
    : answer.startsWith('c')
      ? 'cancel'
      : answer.startsWith('d')
        ? 'detach'
        : 'continue';
}

/** Follows a run with a progress bar (epochs) and the epoch metrics; Ctrl-C offers stop/cancel/detach. */
async function follow(c: Client, executionId: number, epochs: number | null): Promise<Execution> {
  const tty = process.stderr.isTTY && !json();
  const bar = new SingleBar({
    format: 'epoch {value}/{total} [{bar}] {percentage}% | {metrics}',
    barCompleteChar: '#',
    barIncompleteChar: '-',
    hideCursor: true,
    noTTYOutput: false,
    stream: process.stderr,
  });
  let total = epochs ?? 1;
  let current = 0;
  let lastMetrics = 'queued';
  if (tty) bar.start(total, 0, { metrics: 'queued' });
  const onEvent = (event: ExecutionEvent) => {
    if (json()) return process.stdout.write(`${JSON.stringify({ event })}\n`) && undefined;
    if (event.kind === 'EPOCH') {
      const epoch = event.epoch ?? 0; // 1-based
      const metrics = metricText(event.data);
      if (tty) {
        if (epoch > total) bar.setTotal((total = epoch));
        bar.update((current = epoch), { metrics: (lastMetrics = metrics) });
      } else process.stderr.write(`epoch ${epoch}${epochs ? `/${epochs}` : ''}: ${metrics}\n`);
    } else if (event.kind === 'STAGE' && tty) bar.update({ metrics: event.message ?? '' });
    else if (event.kind === 'LOG' && event.level === 'error')
      process.stderr.write(`\n${event.message ?? ''}\n`);
  };
  const abort = new AbortController();
  let asking = false;
  const onSigint = async () => {
    if (asking) return;
    asking = true;
    if (tty) bar.stop();
    const choice = await askInterrupt();
    asking = false;
    if (choice === 'detach') {
      process.stderr.write(
        `left execution ${executionId} running; follow it with: trainhub runs --execution ${executionId}\n`,
      );
      abort.abort(new CliError('interrupted', EXIT.INTERRUPTED));
    } else if (choice === 'stop' || choice === 'cancel') {
      await c.trpc.executions[choice].mutate({ executionId });
      process.stderr.write(`${choice} requested; waiting for the trainer to end the run...\n`);
    }
    if (tty && choice !== 'detach') bar.start(total, current, { metrics: lastMetrics });
  };
  process.on('SIGINT', onSigint);
  try {
    return await c.followExecution(executionId, { onEvent, signal: abort.signal });
  } finally {
    process.off('SIGINT', onSigint);
    if (tty) bar.stop();
  }
}

function finish(execution: Execution) {
  const metrics = execution.metrics;
  out({ execution }, () =>
    [
      `execution ${execution.id}: ${execution.status}${execution.error ? ` (${execution.error})` : ''}`,
      metrics && typeof metrics === 'object'
        ? `metrics: ${metricText(metrics) || JSON.stringify(metrics)}`
        : '',
      execution.modelResourceId
        ? `model: resource ${execution.modelResourceId} (trainhub download ${execution.projectId} ${execution.modelResourceId})`
        : '',
    ]
      .filter(Boolean)
      .join('\n'),
  );
  if (execution.status === 'FAILED') process.exitCode = EXIT.FAILED;
  else if (execution.status === 'STOPPED' || execution.status === 'CANCELLED')
    process.exitCode = EXIT.STOPPED;
}

program
  .command('train <project>')
  .description('start a training and follow it to the end with a progress bar and the epoch metrics')
  .requiredOption('--dataset <id|file>', 'dataset: a resource id, or a CSV file uploaded first')
  .requiredOption('--architecture <id|file>', 'architecture: a resource id, or a JSON file uploaded first')
  .addOption(
    new Option('--problem <type>', 'problem type')
      .choices(['classification', 'binary', 'regression'])
      .default('classification'),
  )
  .option('--model-name <name>', 'name of the trained model', 'model')
  .option('--epochs <n>', 'epochs', positiveInt('--epochs'), 10)
  .option('--batch-size <n>', 'batch size', positiveInt('--batch-size'), 32)
  .option('--learning-rate <x>', 'learning rate', number('--learning-rate'))
  .option('--test-size <x>', 'share of rows held out for validation (0..1)', number('--test-size'))
  .option('--detach', 'start it and print the execution without following it')
  .action(
    async (
      projectArg: string,
      options: {
        dataset: string;
        architecture: string;
        problem: RouterInputs['tasks']['train']['problemType'];
        modelName: string;
        epochs: number;
        batchSize: number;
        learningRate?: number;
        testSize?: number;
        detach?: boolean;
      },
    ) => {
      const c = client();
      const projectId = positiveInt('project')(projectArg);
      const datasetResourceId = await resourceArg(c, projectId, options.dataset, 'DATASET');
      const architectureResourceId = await resourceArg(c, projectId, options.architecture, 'ARCHITECTURE');
      const { task, execution } = await c.trpc.tasks.train.mutate({
        projectId,
        datasetResourceId,
        architectureResourceId,
        problemType: options.problem,
        modelName: options.modelName,
        hyperparameters: {
          epochs: options.epochs,
          batchSize: options.batchSize,
          ...(options.learningRate !== undefined ? { learningRate: options.learningRate } : {}),
          ...(options.testSize !== undefined ? { testSize: options.testSize } : {}),
        },
      });
      if (!execution) throw new CliError(`task ${task.id} has no run`, EXIT.ERROR);
      if (!json()) process.stderr.write(`task ${task.id}, execution ${execution.id} queued\n`);
      if (options.detach)
        return out({ task, execution }, () => `execution ${execution.id}: ${execution.status}`);
      finish(await follow(c, execution.id, options.epochs));
    },
  );

program
  .command('runs [project]')
  .description('runs (executions) of a project, newest first, or follow one with --execution')
  .option('--task <id>', 'only this task', positiveInt('--task'))
  .option(
    '--execution <id>',
    'follow this execution to its end (progress bar, then its metrics)',
    positiveInt('--execution'),
  )
  .option('--limit <n>', 'tasks to list', positiveInt('--limit'), 20)
  .action(
    async (projectArg: string | undefined, options: { task?: number; execution?: number; limit: number }) => {
      const c = client();
      if (options.execution) {
        const current = await c.trpc.executions.get.query({ executionId: options.execution });
        return finish(await follow(c, current.id, null));
      }
      const tasks = options.task
        ? [await c.trpc.tasks.get.query({ taskId: options.task })]
        : await c.trpc.tasks.list.query({
            ...(projectArg ? { projectId: positiveInt('project')(projectArg) } : {}),
            take: options.limit,
            runsPerTask: 5,
          });
      const runs = tasks.flatMap((t) =>
        (t.executions as Execution[]).map((e) => ({
          execution: e.id,
          task: t.id,
          taskName: t.name,
          status: e.status,
          model: e.modelResourceId,
          finished: e.finishedAt,
          metrics: metricText(e.metrics),
        })),
      );
      out(runs, () => table(runs));
    },
  );

program
  .command('download <project> <resource>')
  .description('download a resource (a trained model zip, a dataset) to a file, streamed')
  .option('-o, --output <file>', 'the file to write (default: resource-<id>.bin, or the resource name)')
  .action(async (projectArg: string, resourceArg_: string, options: { output?: string }) => {
    const c = client();
    const projectId = positiveInt('project')(projectArg);
    const resourceId = positiveInt('resource')(resourceArg_);
    const output =
      options.output ??
      (await c.trpc.resources.get.query({ projectId, resourceId })).name.split(/[/\\]/).pop()!;
    const bytes = await c.downloadToFile(projectId, resourceId, output);
    out({ path: output, bytes }, () => `wrote ${output} (${bytes} bytes)`);
  });

program
  .command('predict <project> <model>')
  .description(
    'predict rows with a trained model version (its MODEL resource id); rows as JSON or a CSV file',
  )
  .option('--rows <json>', 'rows as a JSON array: [[5.1,3.5,1.4,0.2]] or [{"sepal_length":5.1,...}]')
  .option('--csv <file>', 'rows from a CSV file with a header line (feature names)')
  .action(async (projectArg: string, modelArg: string, options: { rows?: string; csv?: string }) => {
    type Rows = RouterInputs['models']['predict']['rows'];
    let rows: Rows;
    if (options.rows) rows = JSON.parse(options.rows) as Rows;
    else if (options.csv) {
      const [header, ...lines] = readFileSync(options.csv, 'utf8')
        .split(/\r?\n/)
        .filter((l) => l.trim());
      const names = header!.split(',').map((n) => n.trim());
      rows = lines.map((line) => {
        const values = line.split(',');
        return Object.fromEntries(
          names.map((n, i) => {
            const v = values[i]?.trim() ?? '';
            return [n, v === '' ? null : Number.isFinite(Number(v)) ? Number(v) : v];
          }),
        );
      });
    } else throw new CliError('give --rows or --csv', EXIT.ERROR);
    const result = await client().trpc.models.predict.mutate({
      projectId: positiveInt('project')(projectArg),
      resourceId: positiveInt('model')(modelArg),
      rows,
    });
    out(result, () =>
      result.predictions
        .map((p, i) =>
          'label' in p
            ? `${i}: ${p.label} (${Object.entries(p.probabilities)
                .map(([k, v]) => `${k}=${v.toFixed(3)}`)
                .join(' ')})`
            : `${i}: ${Object.entries(p.values)
                .map(([k, v]) => `${k}=${v}`)
                .join(' ')}`,
        )
        .join('\n'),
    );
  });

/** The exit code of an error: the domain code's, else 1. */
function exitCodeOf(error: unknown): number {
  if (error instanceof CliError) return error.exitCode;
  if (error instanceof TrainhubError) {
    if (error.code === 'UNAUTHENTICATED' || error.code === 'FORBIDDEN') return EXIT.AUTH;
    if (error.code === 'NOT_FOUND') return EXIT.NOT_FOUND;
  }
  return EXIT.ERROR;
}

program.parseAsync(process.argv).catch((error: unknown) => {
  const code = exitCodeOf(error);
  const message = error instanceof Error ? error.message : String(error);
  if (json()) {
    const domain = error instanceof TrainhubError ? error.code : undefined;
    process.stdout.write(`${JSON.stringify({ error: { message, code: domain, exitCode: code } })}\n`);
  } else process.stderr.write(`trainhub: ${message}\n`);
  process.exit(code);
});
