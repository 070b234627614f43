import type { FastifyInstance, FastifyRequest } from 'fastify'
import { TenantId } from '../../generated/routes.js'
import { AuthenticationError, InvalidRequestError, PermissionError } from '../platform/domain-errors.js'
import type { Principal } from '../platform/tokens.js'

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal
    /** The tenant the call acts for; set on tenant-scoped operations only. */
    tenantId: number
  }
}

export type AuthenticationDependencies = {
  verifyToken: (token: string) => Principal
  isTenantActive: (tenantId: number) => Promise<boolean>
}

// The auth scheme name is case-insensitive (RFC 9110 §11.1).
const bearerPattern = /^Bearer +([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*)$/i
const tenantHeaderPattern = /^[1-9][0-9]{0,9}$/
const maxTenantId = TenantId.maximum ?? Number.MAX_SAFE_INTEGER

/**
 * Checks, in the order the contract lists them: token (401), X-Tenant-ID (400), tenant (403), role (403).
 * It runs on `onRequest`, before the body is even parsed, so an unauthenticated caller learns nothing
 * about what a valid body looks like. The roles come from the operation's scopes in openapi.yaml.
 */
export function registerAuthentication(app: FastifyInstance, dependencies: AuthenticationDependencies): void {
  app.decorateRequest('principal', null as unknown as Principal)
  app.decorateRequest('tenantId', 0)
  app.addHook('onRequest', async (request) => {
    const security = request.routeOptions.config.security
    if (!security) return
    request.principal = authenticate(request, dependencies.verifyToken)
    if (security.tenantScoped) request.tenantId = await authorizeTenant(request, dependencies.isTenantActive)
    const allowed: readonly string[] = security.roles
    if (!request.principal.roles.some((role) => allowed.includes(role))) {
      throw new PermissionError('roles', `This operation needs the role ${allowed.join(' or ')}`)
    }
  })
}

function authenticate(request: FastifyRequest, verifyToken: AuthenticationDependencies['verifyToken']): Principal {
  const header = request.headers.authorization
  if (!header) throw new AuthenticationError('The Authorization header is missing')
  const match = bearerPattern.exec(header)
  if (!match) throw new AuthenticationError('The Authorization header must be "Bearer <JWT>"')
  try {
    return verifyToken(match[1])
  } catch (error) {
    request.log.info({ reason: (error as Error).message }, 'token refused')
    throw new AuthenticationError('The token is invalid or expired')
  }
}

async function authorizeTenant(
  request: FastifyRequest,
  isTenantActive: AuthenticationDependencies['isTenantActive'],
): Promise<number> {
  const header = request.headers['x-tenant-id']
  if (header === undefined) {
    throw new InvalidRequestError('TENANT_HEADER_MISSING', 'X-Tenant-ID is required', {
      'X-Tenant-ID': ['The header is required'],
    })
  }
  const tenantId = typeof header === 'string' && tenantHeaderPattern.test(header.trim()) ? Number(header.trim()) : NaN
  if (!(tenantId <= maxTenantId)) {
    throw new InvalidRequestError('TENANT_HEADER_INVALID', 'X-Tenant-ID is invalid', {
      'X-Tenant-ID': ['Must be a positive integer tenant id'],
    })
  }
  if (!request.principal.tenantIds.includes(tenantId) || !(await isTenantActive(tenantId))) {
    // One answer for "not yours", "unknown" and "inactive", so tenant ids cannot be probed.
    throw new PermissionError('X-Tenant-ID', 'The tenant is not active or not available to this user')
  }
  return tenantId
}
