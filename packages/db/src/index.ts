export { createDb, dbProvider, type Db, type CreateDbOptions } from './client';
export {
  ConfigError,
  databaseEnvSchema,
  findRepoRoot,
  loadDatabaseConfig,
  parseEnv,
  providerOf,
  resolveDatabaseConfig,
  type DatabaseConfig,
  type DatabaseProvider,
} from './env';
export { migrate, MigrationError, type MigrateResult } from './migrate';
export * from './generated/postgresql/enums';
export { Prisma } from './generated/postgresql/client';
export type {
  User,
  Account,
  Session,
  VerificationToken,
  Team,
  Membership,
  TeamInvite,
  ApiKey,
  Project,
  Resource,
  LearnBlock,
  Task,
  Execution,
  ExecutionEvent,
  ScheduleOccurrence,
  TrainingSession,
  TrainerStatus,
  ModelJob,
  ModelDeployment,
  Sample,
} from './generated/postgresql/client';
export * from './contracts';
export * from './storage';
export * from './schedule';
export * from './status-reads';
