import type { TeamRole } from '@trainhub/db';
import { z } from 'zod';
import type { Principal } from '../../auth/principal';
import {
  BadRequestError,
  MethodNotAllowedError,
  json,
  route,
  type RestDeps,
  type RestStyle,
  type RouteDef,
} from '../http';
import { CumulocityAuthError, authenticateCumulocity, cumulocityAuthResponse } from './auth';

// A minimal Cumulocity platform surface beside MLW, so Cumulocity's own clients can log in:
// `Client.authenticate(...)` of npm `@c8y/client` reads `GET /tenant/currentTenant` (the tenant is the
// caller's team, named by its slug), and Cumulocity UIs read `GET /user/currentUser`. Same credentials as
// the MLW style (./auth.ts): Basic `tenant/user:password` or `user:password`, or `Bearer <api key>`.

const INFO = 'https://cumulocity.com/guides/reference/rest-implementation/#error_reporting';

/** Cumulocity's error shape `{error: "<domain>/<kind>", message, info}` for every failure. */
export function c8yErrorResponse(error: unknown): Response {
  const auth = cumulocityAuthResponse(error);
  if (auth) return auth;
  if (error instanceof MethodNotAllowedError)
    return json({ error: 'general/methodNotAllowed', message: 'method not allowed', info: INFO }, 405);
  if (error instanceof BadRequestError)
    return json({ error: 'general/badRequest', message: error.message, info: INFO }, error.status);
  console.error('c8y: unexpected error', error instanceof Error ? error.stack : String(error));
  return json({ error: 'general/internalError', message: 'internal server error', info: INFO }, 500);
}

/**
 * The caller's tenant: the team of an API key, or the user's team (the one named in `tenant/user`, else the
 * first team the user joined). Null for a user in no team.
 */
async function tenantOf(deps: RestDeps, principal: Principal) {
  const teamId =
    principal.kind === 'apiKey'
      ? principal.teamId
      : [...principal.memberships].sort((a, b) => a.teamId - b.teamId)[0]?.teamId;
  if (teamId === undefined) return null;
  const team = await deps.db.team.findUnique({ where: { id: teamId }, select: { slug: true } });
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
  route({
    method: 'GET',
    path: '/tenant/currentTenant',
    operationId: 'currentTenant',
    summary: 'The caller’s tenant (its team): name = the team’s slug; the MLW microservice is subscribed',
    tags: ['Cumulocity'],
    response: c8yTenantSchema,
    security: ['basicAuth', 'bearerAuth'],
    async handler({ principal, deps, url }) {
      const tenant = await tenantOf(deps, principal);
      if (!tenant) throw new CumulocityAuthError(false);
      const base = `${url.origin}/tenant/tenants/${encodeURIComponent(tenant.slug)}`;
      return json({
        name: tenant.slug,
        domainName: url.hostname,
        allowCreateTenants: false,
        customProperties: {},
        self: `${url.origin}/tenant/currentTenant`,
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
                self: `${url.origin}/application/applications/mlw`,
              },
            },
          ],
        },
        ownedApplications: { self: `${base}/ownedApplications`, references: [] },
      });
    },
  }),
  route({
    method: 'GET',
    path: '/user/currentUser',
    operationId: 'currentUser',
    summary: 'The caller: user name = email (an API key: `apikey-<id>`), effective MLW roles by team role',
    tags: ['Cumulocity'],
    response: c8yUserSchema,
    security: ['basicAuth', 'bearerAuth'],
    async handler({ principal, deps, url }) {
      const tenant = await tenantOf(deps, principal);
      const user = principal.userId
        ? await deps.db.user.findUnique({
            where: { id: principal.userId },
            select: { email: true, name: true },
          })
        : null;
      const userName =
        principal.kind === 'user' ? principal.email : (user?.email ?? `apikey-${principal.keyId}`);
      const roles = tenant ? ROLES[tenant.role].map((r) => `ROLE_MACHINE_LEARNING_${r}`) : [];
      return json({
        id: userName,
        self: `${url.origin}/user/currentUser`,
        userName,
        email: principal.kind === 'user' ? principal.email : (user?.email ?? ''),
        firstName: user?.name ?? '',
        lastName: '',
        displayName: user?.name || userName,
        enabled: true,
        shouldResetPassword: false,
        twoFactorAuthenticationEnabled: false,
        effectiveRoles: roles.map((id) => ({ id, name: id, self: `${url.origin}/user/roles/${id}` })),
        devicePermissions: {},
      });
    },
  }),
];

/** Mounted at `/tenant` and `/user` (the server hands both prefixes to one handler). */
export const cumulocityStyle: RestStyle = {
  basePath: '',
  routes: c8yRoutes,
  errorResponse: c8yErrorResponse,
  authenticate: authenticateCumulocity,
  notFound: () => json({ error: 'general/notFound', message: 'resource not found', info: INFO }, 404),
};

/** The path prefixes the Cumulocity surface answers. */
export const CUMULOCITY_PREFIXES = ['/tenant', '/user'] as const;
