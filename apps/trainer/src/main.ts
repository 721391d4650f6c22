import { pino } from 'pino';
import { ConfigError, createDb, migrate } from '@trainhub/db';
import { loadTrainerConfig } from './env';
import { beat, markStopped, registerTrainer } from './heartbeat';

// The training worker: connects, registers itself, sends a heartbeat every few seconds, and on
// SIGTERM/SIGINT stops cleanly (marks itself stopped, closes the database) before exiting.

async function main(): Promise<void> {
  let config;
  try {
    config = loadTrainerConfig();
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
  await registerTrainer(db, { id: config.trainerId, concurrency: config.concurrency, backend: null });
  log.info({ concurrency: config.concurrency, heartbeatMs: config.heartbeatMs }, 'trainer started');

  let beating: Promise<void> = Promise.resolve();
  const timer = setInterval(() => {
    beating = beat(db, config.trainerId, null).catch((error: unknown) => {
      log.warn({ err: error }, 'heartbeat failed; retrying at the next interval');
    });
  }, config.heartbeatMs);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping');
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
