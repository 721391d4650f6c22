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
 * most once per flush interval. An epoch row is only written once a checkpoint covers it (held until then, or
 * written at once when its checkpoint came first), so history never holds an epoch a resume would repeat.
 * On resume, epochs past the checkpoint are removed, and epochs the checkpoint covers but the history lacks
 * (a trainer that died between its checkpoint and the epoch row) are restored from the checkpoint's own
 * history: no duplicates, no gaps.
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
    private checkpointedEpoch: number,
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
      checkpointEpoch ?? 0,
    );
  }

  /** Restores epochs up to the checkpoint that the history lacks, from the checkpoint's own history. */
  async backfill(history: EpochData[]): Promise<void> {
    const present = await this.db.executionEvent.findMany({
      where: { executionId: this.executionId, kind: 'EPOCH' },
      select: { epoch: true },
    });
    const have = new Set(present.map((e) => e.epoch));
    for (const entry of history) {
      if (entry.epoch <= this.checkpointedEpoch && !have.has(entry.epoch)) {
        this.pending.push({
          kind: 'EPOCH',
          epoch: entry.epoch,
          data: entry as unknown as Prisma.InputJsonValue,
        });
      }
    }
    await this.flush();
  }

  stage(stage: TrainingStage, message: string): void {
    this.stageLog = { ...this.stageLog, [stage]: message };
    this.stageUpdate = { stage, message };
    this.pending.push({ kind: 'STAGE', message: stage, data: { message } });
  }

  log(message: string, level: 'info' | 'warn' | 'error' = 'info'): void {
    this.pending.push({ kind: 'LOG', level, message: message.slice(0, 4000) });
  }

  /** Records an epoch: at once when its checkpoint is already stored, else held until `checkpoint`. */
  async epoch(data: EpochData): Promise<void> {
    const event: PendingEvent = {
      kind: 'EPOCH',
      epoch: data.epoch,
      data: data as unknown as Prisma.InputJsonValue,
    };
    if (data.epoch <= this.checkpointedEpoch) {
      this.pending.push(event);
      await this.flush();
    } else {
      this.pendingEpoch = event;
    }
  }

  /** Records a stored checkpoint, together with the held epoch it covers, in one transaction. */
  async checkpoint(key: string, epoch: number): Promise<void> {
    this.checkpointedEpoch = Math.max(this.checkpointedEpoch, epoch);
    const covered = this.pendingEpoch !== null && (this.pendingEpoch.epoch ?? 0) <= epoch;
    await this.flush(covered, { checkpointKey: key, checkpointEpoch: epoch });
  }

  /**
   * Writes what is buffered. `includeEpoch` also writes a held epoch row (at checkpoints and at the end);
   * periodic flushes leave it for its checkpoint.
   */
  flush(includeEpoch = false, executionData: Prisma.ExecutionUpdateInput = {}): Promise<void> {
    const run = async () => {
      const taken = this.pending.length;
      const events = this.pending.slice(0, taken);
      const held = includeEpoch ? this.pendingEpoch : null;
      if (held) events.push(held);
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
      if (held && this.pendingEpoch === held) this.pendingEpoch = null;
      if (this.stageUpdate === stageUpdate) this.stageUpdate = null;
    };
    // Serialize flushes: seq numbers and the held epoch must not interleave.
    this.flushing = this.flushing.then(run, run);
    return this.flushing;
  }
}
