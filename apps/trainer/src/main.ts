import { pino } from 'pino';
import { ConfigError, createArtifactStore, createDb, migrate } from '@trainhub/db';
import { initBackend } from '@trainhub/ml';
import { loadTrainerConfig } from './env';
import { beat, markStopped, registerTrainer } from './heartbeat';
import { reclaimDeadTrainerLeases } from './recovery';
import { Worker } from './worker';

// The training worker: registers itself, heartbeats, claims and runs executions, materializes cron
// schedules. SIGTERM/SIGINT: running executions stop at a batch boundary and go back to the queue (resumed
// from their last checkpoint by the next trainer), the trainer marks itself stopped and exits 0.

async function main(): Promise<void> {
  let config;
  let store;
  try {
    config = loadTrainerConfig();
    store = createArtifactStore(config.dataDir);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(2);
    }
    throw error;
  }
  const log = pino({ level: config.logLevel, base: { trainer: config.trainerId } });
  await migrate(config.databaseUrl);
  const db = createDb(config.databaseUrl);
  const backend = await initBackend(config.backend, (line) => log.info(line));
  await registerTrainer(db, { id: config.trainerId, concurrency: config.concurrency, backend: backend.name });
  log.info(
    { concurrency: config.concurrency, backend: backend.name, provider: backend.provider },
    'trainer started',
  );
  // Executions leased under our id (or the predecessor's a supervisor names) belong to a trainer process
  // that died: take them back now instead of after TRAINER_LEASE_MS.
  const reclaimed = await reclaimDeadTrainerLeases(
    db,
    [config.trainerId, ...(config.previousTrainerId ? [config.previousTrainerId] : [])],
    config.previousExit ?? 'restarted under the same TRAINER_ID; cause unknown',
  );
  if (reclaimed.length > 0)
    log.warn(
      { executions: reclaimed, previousExit: config.previousExit ?? null },
      'resuming executions of a trainer process that died',
    );

  const worker = new Worker(
    {
      db,
      store,
      log,
      trainerId: config.trainerId,
      leaseMs: config.leaseMs,
      pollMs: Math.min(config.pollMs, 500),
      maxAttempts: config.maxAttempts,
      backend: config.backend,
      ...(config.modelStore ? { modelStore: config.modelStore } : {}),
    },
    {
      concurrency: config.concurrency,
      pollMs: config.pollMs,
      scheduleMs: 1000,
      databaseUrl: config.databaseUrl,
    },
    log,
  );
  await worker.start();

  let beating: Promise<void> = Promise.resolve();
  const timer = setInterval(() => {
    beating = beat(db, config.trainerId, worker.currentExecutionIds[0] ?? null).catch((error: unknown) => {
      log.warn({ err: error }, 'heartbeat failed; retrying at the next interval');
    });
  }, config.heartbeatMs);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal, running: worker.currentExecutionIds }, 'stopping');
    await worker.stop();
    clearInterval(timer);
    await beating;
    await markStopped(db, config.trainerId).catch((error: unknown) =>
      log.warn({ err: error }, 'could not mark stopped'),
    );
    await db.$disconnect();
    log.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

main().catch((error: unknown) => {
  console.error('trainer: fatal error', error);
  process.exit(1);
});
