import pg from 'pg';
import type { Logger } from 'pino';
import { dbProvider, type Execution } from '@trainhub/db';
import { claimNext, QUEUE_CHANNEL } from './queue';
import { failAfterTrainerDeaths } from './recovery';
import { runExecution, type RunContext } from './runner';
import { materializeDueSchedules } from './schedules';

export interface WorkerOptions {
  concurrency: number;
  /** Idle poll interval; on PostgreSQL a NOTIFY wakes the worker sooner. */
  pollMs: number;
  /** How often due cron ticks are materialized. */
  scheduleMs: number;
  databaseUrl: string;
}

/**
 * The trainer's main loop: materializes due schedules, claims executions up to its concurrency and runs
 * them. `stop()` lets running executions reach a batch boundary, checkpoint and go back to the queue.
 */
export class Worker {
  private readonly running = new Map<number, Promise<void>>();
  private stopping = false;
  private wake: (() => void) | null = null;
  private listener: pg.Client | null = null;
  private loop: Promise<void> | null = null;

  constructor(
    private readonly ctx: Omit<RunContext, 'shuttingDown'>,
    private readonly options: WorkerOptions,
    private readonly log: Logger,
  ) {}

  get currentExecutionIds(): number[] {
    return [...this.running.keys()];
  }

  async start(): Promise<void> {
    if (dbProvider(this.ctx.db) === 'postgresql') await this.listen();
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await this.loop;
    await Promise.allSettled(this.running.values());
    await this.listener?.end().catch(() => undefined);
  }

  private async listen(): Promise<void> {
    try {
      const client = new pg.Client({ connectionString: this.options.databaseUrl });
      client.on('notification', () => this.wake?.());
      client.on('error', (error) => {
        this.log.warn({ err: error }, 'queue listener lost; polling only');
        this.listener = null;
      });
      await client.connect();
      await client.query(`LISTEN ${QUEUE_CHANNEL}`);
      this.listener = client;
    } catch (error) {
      this.log.warn({ err: error }, 'could not LISTEN for queued executions; polling only');
    }
  }

  private async run(): Promise<void> {
    const runCtx: RunContext = { ...this.ctx, shuttingDown: () => this.stopping };
    let nextScheduleCheck = 0;
    while (!this.stopping) {
      if (Date.now() >= nextScheduleCheck) {
        nextScheduleCheck = Date.now() + this.options.scheduleMs;
        await materializeDueSchedules(this.ctx.db, this.log).catch((error: unknown) =>
          this.log.warn({ err: error }, 'materializing schedules failed'),
        );
      }
      if (this.running.size < this.options.concurrency) {
        const execution = await claimNext(this.ctx.db, this.ctx).catch((error: unknown) => {
          this.log.warn({ err: error }, 'claiming failed');
          return null;
        });
        if (execution) {
          this.start_(runCtx, execution);
          continue;
        }
      }
      await this.idle(this.options.pollMs);
    }
  }

  private start_(runCtx: RunContext, execution: Execution): void {
    this.log.info({ execution: execution.id, attempt: execution.attempt }, 'claimed execution');
    // Attempts used up by trainers that died running it (a model too big for memory kills every trainer
    // that takes it): FAILED with the reason, instead of killing trainer after trainer forever.
    const exhausted = execution.attempt > this.ctx.maxAttempts && execution.stopRequest !== 'CANCEL';
    const done = (
      exhausted
        ? failAfterTrainerDeaths(this.ctx.db, execution, this.ctx.trainerId).then((failed) => {
            if (failed)
              this.log.warn(
                { execution: execution.id, attempt: execution.attempt },
                'execution failed: trainer died every attempt',
              );
          })
        : runExecution(runCtx, execution)
    )
      .catch((error: unknown) => this.log.error({ err: error, execution: execution.id }, 'execution crashed'))
      .finally(() => {
        this.running.delete(execution.id);
        this.wake?.();
      });
    this.running.set(execution.id, done);
  }

  private idle(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(finish, ms);
      function finish() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = () => {
        this.wake = null;
        finish();
      };
    });
  }
}
