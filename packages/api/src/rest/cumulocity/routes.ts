import type { TeamRole } from '@trainhub/db';
import { z } from 'zod';
import type { Principal } from '../../auth/principal';
import { LoginRateLimitedError } from '../../auth/login-limit';
import { parseAuthorization, principalFromApiKey, principalFromBasic } from '../../auth/resolve';
import {
  BadRequestError,
  MethodNotAllowedError,
  json,
  type RestStyle,
  type RouteContext,
  type RouteDef,
} from '../http';

// A minimal Cumulocity platform surface beside MLW, so Cumulocity's own clients can log in:
// `Client.authenticate(...)` of npm `@c8y/client` reads `GET /tenant/currentTenant` (the tenant is the
// caller's team, named by its slug), and Cumulocity UIs read `GET /user/currentUser`. Same credentials as
// the MLW style: Basic `tenant/user:password` or `user:password`, or `Bearer <api key>`.

const INFO = 'https://cumulocity.com/guides/reference/rest-implementation/#error_reporting';

/** No or bad credentials (Cumulocity's error shape, the same bodies as the MLW style's 401s). */
class C8yAuthError extends Error {
  constructor(readonly missing: boolean) {
    super(missing ? 'No auth information found' : 'Invalid credentials!');
  }
}

/** Cumulocity's error shape `{error: "<domain>/<kind>", message, info}` for every failure. */
export function c8yErrorResponse(error: unknown): Response {
  if (error instanceof C8yAuthError) {
    return json(
      {
        error: error.missing ? 'general/internalError' : 'security/Unauthorized',
        message: error.message,
        info: INFO,
      },
      401,
    );
  }
  // Too many failed passwords (auth/login-limit.ts): the 401 shape, saying why and for how long.
  if (error instanceof LoginRateLimitedError) {
    const message = `Invalid credentials! : ${error.message}`;
    return json({ error: 'security/Unauthorized', message, info: INFO }, 401, {
      'retry-after': String(error.retryAfterSeconds),
    });
  }
  if (error instanceof MethodNotAllowedError)
    return json({ error: 'general/methodNotAllowed', message: 'method not allowed', info: INFO }, 405);
  if (error instanceof BadRequestError)
    return json({ error: 'general/badRequest', message: error.message, info: INFO }, error.status);
  console.error('c8y: unexpected error', error instanceof Error ? error.stack : String(error));
  return json({ error: 'general/internalError', message: 'internal server error', info: INFO }, 500);
}

async function principalOf(ctx: RouteContext): Promise<Principal> {
  const header = ctx.request.headers.get('authorization');
  const auth = parseAuthorization(header);
  if (!auth) throw new C8yAuthError(!header);
  const principal =
    auth.scheme === 'bearer'
      ? await principalFromApiKey(ctx.deps.db, auth.token)
      : await principalFromBasic(ctx.deps.db, auth.user, auth.password, ctx.clientIp);
  if (!principal) throw new C8yAuthError(false);
  return principal;
}

/**
 * The caller's tenant: the team of an API key, or the user's team (the one named in `tenant/user`, else the
 * first team the user joined). Null for a user in no team.
 */
async function tenantOf(ctx: RouteContext, principal: Principal) {
  const teamId =
    principal.kind === 'apiKey'
      ? principal.teamId
      : [...principal.memberships].sort((a, b) => a.teamId - b.teamId)[0]?.teamId;
  if (teamId === undefined) return null;
  const team = await ctx.deps.db.team.findUnique({ where: { id: teamId }, select: { slug: true } });
  if (!team) return null;
  const role =
    principal.kind === 'apiKey'
      ? principal.role
      : principal.memberships.find((m) => m.teamId === teamId)!.role;
  return { slug: team.slug, role };
}

/** MLW's roles (E2+ reference) a team role grants. */
const ROLES: Record<TeamRole, string[]> = {
  VIEWER: ['READ'],
  EDITOR: ['READ', 'CREATE', 'UPDATE'],
  ADMIN: ['READ', 'CREATE', 'UPDATE', 'ADMIN'],
  OWNER: ['READ', 'CREATE', 'UPDATE', 'ADMIN'],
};

const origin = (ctx: RouteContext) => ctx.url.origin;

export const c8yTenantSchema = z.object({
  name: z.string(),
  domainName: z.string(),
  allowCreateTenants: z.boolean(),
  customProperties: z.record(z.string(), z.unknown()),
  self: z.string(),
  applications: z.object({ self: z.string(), references: z.array(z.unknown()) }),
  ownedApplications: z.object({ self: z.string(), references: z.array(z.unknown()) }),
});

export const c8yUserSchema = z.object({
  id: z.string(),
  self: z.string(),
  userName: z.string(),
  email: z.string(),
  firstName: z.string(),
  lastName: z.string(),
  displayName: z.string(),
  enabled: z.boolean(),
  shouldResetPassword: z.boolean(),
  twoFactorAuthenticationEnabled: z.boolean(),
  effectiveRoles: z.array(z.object({ id: z.string(), name: z.string(), self: z.string() })),
  devicePermissions: z.record(z.string(), z.unknown()),
});

export const c8yRoutes: RouteDef[] = [
  {
    method: 'GET',
    path: '/tenant/currentTenant',
    operationId: 'currentTenant',
    summary: 'The caller’s tenant (its team): name = the team’s slug; the MLW microservice is subscribed',
    tags: ['Cumulocity'],
    response: c8yTenantSchema,
    security: ['basicAuth', 'bearerAuth'],
    async handler(ctx) {
      const principal = await principalOf(ctx);
      const tenant = await tenantOf(ctx, principal);
      if (!tenant) throw new C8yAuthError(false);
      const base = `${origin(ctx)}/tenant/tenants/${encodeURIComponent(tenant.slug)}`;
      return json({
        name: tenant.slug,
        domainName: ctx.url.hostname,
        allowCreateTenants: false,
        customProperties: {},
        self: `${origin(ctx)}/tenant/currentTenant`,
        applications: {
          self: `${base}/applications`,
          references: [
            {
              self: `${base}/applications/mlw`,
              application: {
                id: 'mlw',
                key: 'mlw-key',
                name: 'mlw',
                contextPath: 'mlw',
                type: 'MICROSERVICE',
                availability: 'MARKET',
                self: `${origin(ctx)}/application/applications/mlw`,
              },
            },
          ],
        },
        ownedApplications: { self: `${base}/ownedApplications`, references: [] },
      });
    },
  },
  {
    method: 'GET',
    path: '/user/currentUser',
    operationId: 'currentUser',
    summary: 'The caller: user name = email (an API key: `apikey-<id>`), effective MLW roles by team role',
    tags: ['Cumulocity'],
    response: c8yUserSchema,
    security: ['basicAuth', 'bearerAuth'],
    async handler(ctx) {
      const principal = await principalOf(ctx);
      const tenant = await tenantOf(ctx, principal);
      const user = principal.userId
        ? await ctx.deps.db.user.findUnique({
            where: { id: principal.userId },
            select: { email: true, name: true },
          })
        : null;
      const userName =
        principal.kind === 'user' ? principal.email : (user?.email ?? `apikey-${principal.keyId}`);
      const roles = tenant ? ROLES[tenant.role].map((r) => `ROLE_MACHINE_LEARNING_${r}`) : [];
      return json({
        id: userName,
        self: `${origin(ctx)}/user/currentUser`,
        userName,
        email: principal.kind === 'user' ? principal.email : (user?.email ?? ''),
        firstName: user?.name ?? '',
        lastName: '',
        displayName: user?.name || userName,
        enabled: true,
        shouldResetPassword: false,
        twoFactorAuthenticationEnabled: false,
        effectiveRoles: roles.map((id) => ({ id, name: id, self: `${origin(ctx)}/user/roles/${id}` })),
        devicePermissions: {},
      });
    },
  },
];

/** Mounted at `/tenant` and `/user` (the server hands both prefixes to one handler). */
export const cumulocityStyle: RestStyle = {
  basePath: '',
  routes: c8yRoutes,
  errorResponse: c8yErrorResponse,
  notFound: () => json({ error: 'general/notFound', message: 'resource not found', info: INFO }, 404),
};

/** The path prefixes the Cumulocity surface answers. */
export const CUMULOCITY_PREFIXES = ['/tenant', '/user'] as const;
