import { createSigner, createVerifier } from 'fast-jwt'
import { UserId } from '../../generated/routes.js'
import { isDevelopmentMode, type Config } from '../config.js'

/** Signs and verifies tokens only when no JWT settings are given; `npm start` says so loudly. */
export const developmentJwtSecret = 'livechat-development-secret-never-use-in-production'

/** Who calls; `expiresAt` (ms since the epoch) is when their token stops being valid. */
export type Principal = { userId: number; roles: string[]; tenantIds: number[]; expiresAt: number }

/** Who a stream token speaks for: what a bearer token and X-Tenant-ID would have said. */
export type StreamCredentials = { principal: Principal; tenantId?: number }

const maxId = UserId.maximum ?? Number.MAX_SAFE_INTEGER

function positiveId(value: unknown): number | undefined {
  const number = typeof value === 'string' && /^[1-9][0-9]*$/.test(value) ? Number(value) : value
  return typeof number === 'number' && Number.isInteger(number) && number >= 1 && number <= maxId ? number : undefined
}

export function createTokenVerifier(config: Config): (token: string) => Principal {
  const verify = createVerifier({
    key: config.JWT_PUBLIC_KEY ?? config.JWT_SECRET ?? developmentJwtSecret,
    algorithms: config.JWT_PUBLIC_KEY ? ['RS256', 'ES256'] : ['HS256'],
    // fast-jwt checks iss/aud only when present; a configured one must also be there.
    requiredClaims: ['exp', ...(config.JWT_ISSUER ? ['iss'] : []), ...(config.JWT_AUDIENCE ? ['aud'] : [])],
    ...(config.JWT_ISSUER && { allowedIss: config.JWT_ISSUER }),
    ...(config.JWT_AUDIENCE && { allowedAud: config.JWT_AUDIENCE }),
  })
  return (token) => principalFromClaims(verify(token))
}

/** Throws when the claims do not say who the caller is; the caller maps that to 401. */
function principalFromClaims(claims: Record<string, unknown>): Principal {
  const userId = positiveId(claims.sub)
  const roles = claims.roles
  const tenants = claims.tenants
  if (userId === undefined) throw new Error('claim "sub" must be a positive integer user id')
  if (!Array.isArray(roles) || !roles.every((role) => typeof role === 'string')) {
    throw new Error('claim "roles" must be an array of strings')
  }
  // A token without the claim acts for no tenant (an identity provider's admin tokens often lack it).
  const tenantIds = tenants === undefined ? [] : Array.isArray(tenants) ? tenants.map(positiveId) : [undefined]
  if (tenantIds.some((id) => id === undefined)) throw new Error('claim "tenants" must be an array of tenant ids')
  return { userId, roles, tenantIds: tenantIds as number[], expiresAt: Number(claims.exp) * 1000 }
}

export type TokenClaims = { sub: number; roles: string[]; tenants: number[] }

/** HS256 tokens for development and tests; production tokens come from the identity provider. */
export function createTokenSigner(config: Config, expiresIn = '1h'): (claims: TokenClaims) => string {
  if (config.JWT_PUBLIC_KEY) throw new Error('Tokens for a public-key setup are minted by the identity provider')
  if (!config.JWT_SECRET && !isDevelopmentMode(config)) throw new Error('No signing secret')
  const sign = createSigner({
    key: config.JWT_SECRET ?? developmentJwtSecret,
    algorithm: 'HS256',
    expiresIn,
    ...(config.JWT_ISSUER && { iss: config.JWT_ISSUER }),
    ...(config.JWT_AUDIENCE && { aud: config.JWT_AUDIENCE }),
  })
  return (claims) => sign({ ...claims, sub: String(claims.sub) })
}
