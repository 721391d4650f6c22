export { getHealth, TRAINER_LIVENESS_MS, type Health, type TrainerHealth } from './services/health';
export { createApiKey, createUserWithTeam, ROLE_RANK, API_KEY_PREFIX, slugify } from './services/accounts';
export { DOMAIN_ERROR_STATUS, DomainError, type DomainErrorCode } from './services/errors';
export { generateToken, hashPassword, hashToken, verifyPassword } from './auth/secrets';
export { loadJwtSecret, loadSecretFile } from './auth/secret-file';
export { LoginRateLimitedError, LOGIN_MAX_FAILURES, LOGIN_WINDOW_SECONDS } from './auth/login-limit';
export {
  CLIENT_IP_HEADER,
  clientIpFromHeaders,
  clientIpOf,
  parseTrustProxy,
  trustClientIpHeader,
} from './auth/client-ip';
export { atLeast, roleIn, type Principal } from './auth/principal';
export { checkPassword, principalFromUserId } from './auth/resolve';
// The domain services are imported from their own modules: `@trainhub/api/services/<name>`.
