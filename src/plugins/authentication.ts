import type { FastifyRequest } from 'fastify'
import { TenantDomain, TenantId } from '../../generated/routes.js'
import { AuthenticationError, InvalidRequestError, PermissionError } from '../platform/domain-errors.js'
import { pipelineStage } from '../platform/pipeline-stage.js'
import type { Principal, StreamCredentials } from '../platform/tokens.js'

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal
    /**
     * The tenant the call acts for: set on every tenant-scoped operation (read it with `tenantOf`); undefined
     * where the operation takes none, or takes one optionally and none was given.
     */
    tenantId: number | undefined
  }
}

export type AuthenticationDependencies = {
  verifyToken: (token: string) => Principal
  isTenantActive: (tenantId: number) => Promise<boolean>
  /** The tenant whose domain a host name (lower-case, without port) is. */
  tenantOfDomain: (hostName: string) => Promise<number | undefined>
  redeemStreamToken: (token: string, path: string, presented: { userId?: number; tenantId?: number }) => Promise<StreamCredentials>
}

// The auth scheme name is case-insensitive (RFC 9110 §11.1).
const bearerPattern = /^Bearer +([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*)$/i
const tenantHeaderPattern = /^[1-9][0-9]{0,9}$/
const maxTenantId = TenantId.maximum ?? Number.MAX_SAFE_INTEGER
const domainPattern = new RegExp(TenantDomain.pattern ?? '^$')

/**
 * Checks, in the order the contract lists them: token (401), X-Tenant-ID or domain (400), tenant (403), role (403).
 * It runs on `onRequest`, before the body is even parsed, so an unauthenticated caller learns nothing
 * about what a valid body looks like, and after the address rate limit, so guessing tokens is limited too. The roles
 * come from the operation's scopes in openapi.yaml.
 */
export const authentication = pipelineStage<AuthenticationDependencies>('authentication', ['address-rate-limit'], async (app, dependencies) => {
  app.decorateRequest('principal', null as unknown as Principal)
  app.decorateRequest('tenantId', undefined)
  app.addHook('onRequest', async (request) => {
    const security = request.routeOptions.config.security
    if (!security) return
    const streamToken = security.streamToken ? (request.query as { stream_token?: unknown }).stream_token : undefined
    if (typeof streamToken === 'string') {
      await authenticateStreamToken(request, streamToken, dependencies)
    } else {
      request.principal = authenticate(request, dependencies.verifyToken)
      if (security.tenantScoped) {
        const tenantId = await requestedTenant(request, dependencies.tenantOfDomain, security.tenantScoped === true)
        if (tenantId !== undefined) {
          await authorizeTenant(request, tenantId, dependencies.isTenantActive)
          request.tenantId = tenantId
        }
      }
    }
    const allowed: readonly string[] = security.roles
    if (!request.principal.roles.some((role) => allowed.includes(role))) {
      throw new PermissionError('roles', `This operation needs the role ${allowed.join(' or ')}`)
    }
  })
})

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

/**
 * A stream token stands in for both headers. When a client sends headers too, they must be the token's:
 * a token works for its own user and tenant only.
 */
async function authenticateStreamToken(request: FastifyRequest, token: string, dependencies: AuthenticationDependencies): Promise<void> {
  const bearer = request.headers.authorization === undefined ? undefined : authenticate(request, dependencies.verifyToken)
  const tenantHeader = request.headers['x-tenant-id'] === undefined ? undefined : tenantIdOf(request.headers['x-tenant-id'])
  const path = request.routeOptions.url ?? request.url
  const credentials = await dependencies.redeemStreamToken(token, path, { userId: bearer?.userId, tenantId: tenantHeader })
  request.principal = credentials.principal
  if (credentials.tenantId === undefined) return
  if (!(await dependencies.isTenantActive(credentials.tenantId))) {
    throw new PermissionError('X-Tenant-ID', 'The tenant is not active or not available to this user')
  }
  request.tenantId = credentials.tenantId
}

function tenantIdOf(header: string | string[]): number {
  const tenantId = typeof header === 'string' && tenantHeaderPattern.test(header.trim()) ? Number(header.trim()) : NaN
  if (!(tenantId <= maxTenantId)) {
    throw new InvalidRequestError('TENANT_HEADER_INVALID', 'X-Tenant-ID is invalid', {
      'X-Tenant-ID': ['Must be a positive integer tenant id'],
    })
  }
  return tenantId
}

/**
 * The host name the call was sent to, as a tenant's domain would be written; undefined when it cannot be one
 * (an IP address, say). Fastify's `hostname` is the Host header without its port, or X-Forwarded-Host when
 * TRUST_PROXY trusts the peer: a client reaching the service directly cannot choose its tenant by that header.
 */
function hostNameOf(request: FastifyRequest): string | undefined {
  const hostName = request.hostname.toLowerCase().replace(/\.$/, '')
  return hostName.length <= (TenantDomain.maxLength ?? 253) && domainPattern.test(hostName) ? hostName : undefined
}

/**
 * The tenant the call names: by X-Tenant-ID, or by the domain it was sent to. A call may carry both, as a
 * client that always sends the header does, but they must name the same tenant.
 */
async function requestedTenant(
  request: FastifyRequest,
  tenantOfDomain: AuthenticationDependencies['tenantOfDomain'],
  required: boolean,
): Promise<number | undefined> {
  const header = request.headers['x-tenant-id']
  const named = header === undefined ? undefined : tenantIdOf(header)
  const hostName = hostNameOf(request)
  const byDomain = hostName === undefined ? undefined : await tenantOfDomain(hostName)
  if (named !== undefined && byDomain !== undefined && named !== byDomain) {
    throw new InvalidRequestError('TENANT_MISMATCH', 'X-Tenant-ID does not match the domain', {
      'X-Tenant-ID': [`The host ${hostName} is the domain of another tenant; send its id, or no X-Tenant-ID`],
    })
  }
  const tenantId = named ?? byDomain
  if (tenantId === undefined && required) {
    throw new InvalidRequestError('TENANT_HEADER_MISSING', 'X-Tenant-ID is required', {
      'X-Tenant-ID': ["The header is required unless the call is sent to the tenant's domain"],
    })
  }
  return tenantId
}

async function authorizeTenant(
  request: FastifyRequest,
  tenantId: number,
  isTenantActive: AuthenticationDependencies['isTenantActive'],
): Promise<void> {
  if (!request.principal.tenantIds.includes(tenantId) || !(await isTenantActive(tenantId))) {
    // One answer for "not yours", "unknown" and "inactive", so tenant ids cannot be probed.
    throw new PermissionError('X-Tenant-ID', 'The tenant is not active or not available to this user')
  }
}
