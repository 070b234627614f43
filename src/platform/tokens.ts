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
  const lifetime = { maxAgeMs: config.JWT_MAX_AGE_SECONDS * 1000, skewMs: config.JWT_CLOCK_SKEW_SECONDS * 1000 }
  const verify = createVerifier({
    key: config.JWT_PUBLIC_KEY ?? config.JWT_SECRET ?? developmentJwtSecret,
    algorithms: config.JWT_PUBLIC_KEY ? ['RS256', 'ES256'] : ['HS256'],
    // fast-jwt checks iss/aud only when present; a configured one must also be there.
    requiredClaims: ['exp', ...(config.JWT_ISSUER ? ['iss'] : []), ...(config.JWT_AUDIENCE ? ['aud'] : [])],
    ...(config.JWT_ISSUER && { allowedIss: config.JWT_ISSUER }),
    ...(config.JWT_AUDIENCE && { allowedAud: config.JWT_AUDIENCE }),
    // The identity provider's clock may differ from ours: fast-jwt allows the skew on exp and nbf.
    clockTolerance: lifetime.skewMs,
    // A client sends the same token with every request: its signature is checked once, until it expires.
    cache: 10_000,
  })
  return (token) => {
    const claims = verify(token)
    refuseOverlongLifetime(claims, Date.now(), lifetime)
    return principalFromClaims(claims)
  }
}

/**
 * What fast-jwt leaves unchecked (its `maxAge` bounds only now - iat): a token issued in the future, or valid for
 * longer than JWT_MAX_AGE_SECONDS from now or from its issue. A leaked token is then good for that long at most.
 */
function refuseOverlongLifetime(claims: Record<string, unknown>, now: number, { maxAgeMs, skewMs }: { maxAgeMs: number; skewMs: number }): void {
  // fast-jwt has checked that exp is a number.
  const expiresAt = (claims.exp as number) * 1000
  if (expiresAt > now + maxAgeMs + skewMs) throw new Error('claim "exp" is further ahead than JWT_MAX_AGE_SECONDS')
  if (claims.iat === undefined) return
  if (typeof claims.iat !== 'number') throw new Error('claim "iat" must be a number')
  const issuedAt = claims.iat * 1000
  if (issuedAt > now + skewMs) throw new Error('claim "iat" is in the future by more than JWT_CLOCK_SKEW_SECONDS')
  if (expiresAt - issuedAt > maxAgeMs) throw new Error('the token lives longer than JWT_MAX_AGE_SECONDS (exp - iat)')
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

const secondsPerUnit = { s: 1, m: 60, h: 3600, d: 86400 }

/** Seconds in a lifetime written as a number and a unit: `30s`, `15m`, `1h`, `2d`. */
function lifetimeSeconds(lifetime: string): number {
  const match = /^([1-9][0-9]*)([smhd])$/.exec(lifetime)
  if (!match) throw new Error(`A token lifetime is a number and a unit (s, m, h or d), such as 1h; got "${lifetime}"`)
  return Number(match[1]) * secondsPerUnit[match[2] as keyof typeof secondsPerUnit]
}

/**
 * HS256 tokens for development and tests; production tokens come from the identity provider. They live
 * `lifetime`, or JWT_MAX_AGE_SECONDS where that is shorter, so that the service accepts them.
 */
export function createTokenSigner(config: Config, lifetime = '1h'): (claims: TokenClaims) => string {
  if (config.JWT_PUBLIC_KEY) throw new Error('Tokens for a public-key setup are minted by the identity provider')
  if (!config.JWT_SECRET && !isDevelopmentMode(config)) throw new Error('No signing secret')
  const sign = createSigner({
    key: config.JWT_SECRET ?? developmentJwtSecret,
    algorithm: 'HS256',
    expiresIn: Math.min(lifetimeSeconds(lifetime), config.JWT_MAX_AGE_SECONDS) * 1000,
    ...(config.JWT_ISSUER && { iss: config.JWT_ISSUER }),
    ...(config.JWT_AUDIENCE && { aud: config.JWT_AUDIENCE }),
  })
  return (claims) => sign({ ...claims, sub: String(claims.sub) })
}
