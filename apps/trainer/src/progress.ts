import type { Db, EpochData, ExecutionEventKind, Prisma, StageLog, TrainingStage } from '@trainhub/db';

interface PendingEvent {
  kind: ExecutionEventKind;
  epoch?: number;
  level?: string;
  message?: string;
  data?: Prisma.InputJsonValue;
}

/**
 * Persists one execution's progress in batches: stage changes and log lines are buffered and written at
 * most once per flush interval; an epoch is written together with its checkpoint in one transaction, so the
 * history never holds an epoch the checkpoint does not cover. On resume, epochs past the checkpoint (written
 * by a trainer that died before checkpointing) are removed first, so history has no duplicates or gaps.
 */
export class ProgressRecorder {
  private pending: PendingEvent[] = [];
  private pendingEpoch: PendingEvent | null = null;
  private stageLog: StageLog;
  private stageUpdate: { stage: TrainingStage; message: string } | null = null;
  private flushing: Promise<void> = Promise.resolve();

  private constructor(
    private readonly db: Db,
    private readonly executionId: number,
    private nextSeq: number,
    stageLog: StageLog,
  ) {
    this.stageLog = stageLog;
  }

  static async open(db: Db, executionId: number, checkpointEpoch: number | null): Promise<ProgressRecorder> {
    await db.executionEvent.deleteMany({
      where: { executionId, kind: 'EPOCH', epoch: { gt: checkpointEpoch ?? 0 } },
    });
    const [last, execution] = await Promise.all([
      db.executionEvent.findFirst({
        where: { executionId },
        orderBy: { seq: 'desc' },
        select: { seq: true },
      }),
      db.execution.findUniqueOrThrow({ where: { id: executionId }, select: { stageLog: true } }),
    ]);
    return new ProgressRecorder(
      db,
      executionId,
      (last?.seq ?? 0) + 1,
      (execution.stageLog ?? {}) as StageLog,
    );
  }

  stage(stage: TrainingStage, message: string): void {
    this.stageLog = { ...this.stageLog, [stage]: message };
    this.stageUpdate = { stage, message };
    this.pending.push({ kind: 'STAGE', message: stage, data: { message } });
  }

  log(message: string, level: 'info' | 'warn' | 'error' = 'info'): void {
    this.pending.push({ kind: 'LOG', level, message: message.slice(0, 4000) });
  }

  /** Holds the epoch until its checkpoint is stored (see `checkpoint`), or the next `flush(true)`. */
  epoch(data: EpochData): void {
    this.pendingEpoch = { kind: 'EPOCH', epoch: data.epoch, data: data as unknown as Prisma.InputJsonValue };
  }

  /** Records a stored checkpoint together with the epoch it follows, in one transaction. */
  async checkpoint(key: string, epoch: number): Promise<void> {
    await this.flush(true, { checkpointKey: key, checkpointEpoch: epoch });
  }

  /**
   * Writes what is buffered. `includeEpoch` also writes a held epoch row (at checkpoints and at the end);
   * periodic flushes leave it for its checkpoint.
   */
  flush(includeEpoch = false, executionData: Prisma.ExecutionUpdateInput = {}): Promise<void> {
    const run = async () => {
      const taken = this.pending.length;
      const events = this.pending.slice(0, taken);
      if (includeEpoch && this.pendingEpoch) events.push(this.pendingEpoch);
      const stageUpdate = this.stageUpdate;
      if (events.length === 0 && !stageUpdate && Object.keys(executionData).length === 0) return;
      const rows = events.map((event) => ({ executionId: this.executionId, seq: this.nextSeq++, ...event }));
      await this.db.$transaction([
        this.db.executionEvent.createMany({ data: rows }),
        this.db.execution.update({
          where: { id: this.executionId },
          data: {
            ...executionData,
            ...(stageUpdate
              ? { stage: stageUpdate.stage, message: stageUpdate.message, stageLog: this.stageLog }
              : {}),
          },
        }),
      ]);
      this.pending = this.pending.slice(taken);
      if (includeEpoch) this.pendingEpoch = null;
      if (this.stageUpdate === stageUpdate) this.stageUpdate = null;
    };
    // Serialize flushes: seq numbers and the held epoch must not interleave.
    this.flushing = this.flushing.then(run, run);
    return this.flushing;
  }
}
