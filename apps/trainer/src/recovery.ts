import type { Db, Execution } from '@trainhub/db';
import { ProgressRecorder } from './progress';
import { finishExecution } from './queue';

// Recovery of executions whose trainer process died (SIGKILL, out of memory, crash). Without help, such an
// execution waits until its lease expires (TRAINER_LEASE_MS) and is then resumed by whichever trainer claims
// it. When the dead trainer's identity is known (a supervisor restarts it under the same TRAINER_ID, or names
// the previous one in TRAINER_PREVIOUS_ID) the new process takes its executions back at start, and a run that
// kills its trainer on every attempt ends FAILED with the reason instead of crash-looping forever.

const DIED = /^The trainer running it died \((.+)\); resuming from its last checkpoint$/;

/** The status message of an execution whose trainer died; `dyingReason` reads the reason back. */
export function diedMessage(reason: string): string {
  return `The trainer running it died (${reason}); resuming from its last checkpoint`;
}

/** The reason recorded by `diedMessage`, or null when the message is another one. */
export function dyingReason(message: string | null): string | null {
  return (message && DIED.exec(message)?.[1]) ?? null;
}

/**
 * Makes the RUNNING executions leased by the given trainer ids claimable now: their leases end at once and
 * their status message names why the trainer died. Call it only for ids of trainers known to be dead: at
 * start, this process's own TRAINER_ID (ids are unique among live trainers, so a lease under our id belongs
 * to our dead predecessor) and the id a supervisor reports as its previous child. Returns the executions'
 * ids. The normal claim then resumes them from their last checkpoint, counting an attempt each.
 */
export async function reclaimDeadTrainerLeases(
  db: Db,
  trainerIds: string[],
  reason: string,
  now = new Date(),
): Promise<number[]> {
  const held = await db.execution.findMany({
    where: { status: 'RUNNING', leaseOwner: { in: trainerIds } },
    select: { id: true },
  });
  const reclaimed: number[] = [];
  for (const { id } of held) {
    // Conditional on the row still being leased by the dead trainer: a row claimed meanwhile is not touched.
    const { count } = await db.execution.updateMany({
      where: { id, status: 'RUNNING', leaseOwner: { in: trainerIds } },
      data: { leaseExpiresAt: new Date(now.getTime() - 1), message: diedMessage(reason) },
    });
    if (count === 1) reclaimed.push(id);
  }
  return reclaimed;
}

/**
 * Ends a claimed execution that has used up its attempts (`attempt > maxAttempts`) as FAILED, with a message
 * that says its trainer process died `attempt - 1` times and, when a supervisor reported it, how (e.g.
 * "killed by SIGKILL, likely out of memory"). The message also goes to the execution's log. Returns false
 * when the lease was lost meanwhile.
 */
export async function failAfterTrainerDeaths(
  db: Db,
  execution: Execution,
  trainerId: string,
): Promise<boolean> {
  const deaths = execution.attempt - 1;
  const reason = dyingReason(execution.message);
  const message = reason
    ? `The trainer process died ${deaths} times during this run (last: ${reason}); not retrying. A model too big for the trainer's memory does this: use a smaller model or batch size, or a host with more memory`
    : `The trainer running it stopped ${deaths} times during this run (crash or lost connection); not retrying`;
  const recorder = await ProgressRecorder.open(db, execution.id, execution.checkpointEpoch);
  recorder.log(message, 'error');
  await recorder.flush(true);
  return finishExecution(db, execution.id, trainerId, { status: 'FAILED', message, error: message });
}
