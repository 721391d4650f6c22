export { getHealth, TRAINER_LIVENESS_MS, type Health, type TrainerHealth } from './services/health';
export { createApiKey, createUserWithTeam, ROLE_RANK, API_KEY_PREFIX, slugify } from './services/accounts';
export { DomainError, type DomainErrorCode } from './services/errors';
export { generateToken, hashPassword, hashToken, verifyPassword } from './auth/secrets';
export { loadJwtSecret } from './auth/secret-file';
export type { Principal } from './auth/principal';
export { createInvite, listInvites, revokeInvite, describeInvite, acceptInvite } from './services/invites';
export { signUp, openSignupAvailable, MIN_PASSWORD_LENGTH } from './services/signup';
export { createTeam, renameTeam } from './services/team-settings';
