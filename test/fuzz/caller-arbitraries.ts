import fc from 'fast-check'
import type { FuzzWorld, Role } from './fuzz-world.js'
import type { Operation } from './openapi-operations.js'

/** Who a request claims to be, and so what it may see. */
export type Caller = {
  kind: string
  headers: Record<string, string>
  /** `?stream_token=` for operations a stream token opens. */
  streamToken?: string
  /** The tenants whose data this caller may be shown: X-Tenant-ID's, or the token's when it names none. */
  visibleTenants: number[]
  admin: boolean
  /** Whether the operation must refuse this caller (4xx): bad credentials, someone else's tenant, a wrong role. */
  mustBeRefused: boolean
}

const allRoles: Role[] = ['SUPPORT_AGENT', 'TENANT_USER', 'PLATFORM_ADMIN']
const garbageTenantHeaders = ['abc', '0', '-1', '1.0', ' ', '', '01', '99999999999', '2147483648', '1,1', '+1', '0x1', '1e1', '¹']

type Claims = { sub: number; roles: string[]; tenants: number[] }

function caller(world: FuzzWorld, kind: string, claims: Claims | string | undefined, tenantHeader?: number | string, mustBeRefused = false): Caller {
  const headers: Record<string, string> = {}
  if (typeof claims === 'string') headers.authorization = claims
  else if (claims) headers.authorization = `Bearer ${world.sign(claims)}`
  if (tenantHeader !== undefined) headers['x-tenant-id'] = String(tenantHeader)
  const tokenTenants = typeof claims === 'object' ? claims.tenants : []
  const named = typeof tenantHeader === 'number' && tokenTenants.includes(tenantHeader) ? [tenantHeader] : undefined
  return { kind, headers, visibleTenants: named ?? tokenTenants, admin: typeof claims === 'object' && claims.roles.includes('PLATFORM_ADMIN'), mustBeRefused }
}

/** Callers the operation lets in: each role of each security requirement, acting for tenant A. */
function validCallers(world: FuzzWorld, operation: Operation): Caller[] {
  const callers: Caller[] = []
  for (const requirement of operation.requirements) {
    if (!('roles' in requirement)) continue
    for (const role of requirement.roles as Role[]) {
      for (const sub of world.usersByRole[role]) {
        const tenantLists = role === 'PLATFORM_ADMIN' ? [[]] : [[world.tenantA], [world.tenantA, world.tenantB]]
        for (const tenants of tenantLists) {
          const header = requirement.tenant ? world.tenantA : undefined
          callers.push(caller(world, `${role} ${sub} of [${tenants}] as ${header ?? 'no tenant'}`, { sub, roles: [role], tenants }, header))
        }
      }
    }
  }
  return callers
}

/** Callers that must be refused (401, 400 or 403), or for public operations, headers that must not matter. */
function refusedCallers(world: FuzzWorld, operation: Operation): fc.Arbitrary<Caller> {
  const { tenantA: a, tenantB: b, scratchTenant: scratch } = world
  const allowed = operation.requirements.flatMap((requirement) => ('roles' in requirement ? requirement.roles : []))
  const others = allRoles.filter((role) => !allowed.includes(role))
  const bearer = operation.requirements.filter((requirement): requirement is { roles: string[]; tenant: boolean } => 'roles' in requirement)
  const authenticated = bearer.length > 0
  // Admin operations ignore X-Tenant-ID; streams and stream tokens take it optionally, but never a bad one.
  const tenantChecked = bearer.some((requirement) => requirement.tenant)
  const tenantRequired = authenticated && bearer.every((requirement) => requirement.tenant)
  const agent = (tenants: number[]) => ({ sub: world.usersByRole.SUPPORT_AGENT[0], roles: allowed.length > 0 ? allowed : ['SUPPORT_AGENT'], tenants })
  const fixed = [
    caller(world, 'no Authorization', undefined, a, authenticated),
    caller(world, 'X-Tenant-ID missing', agent([a]), undefined, tenantRequired),
    caller(world, "another tenant's X-Tenant-ID", agent([a]), b, tenantChecked),
    caller(world, 'an unknown tenant in token and header', agent([a, 999_999]), 999_999, tenantChecked),
    caller(world, 'a token with no tenants', agent([]), a, tenantChecked),
    caller(world, 'the scratch tenant (maybe inactive)', agent([a, scratch]), scratch),
    ...others.map((role) => caller(world, `wrong role ${role}`, { sub: world.usersByRole[role][0], roles: [role], tenants: [a] }, a, authenticated)),
    ...world.refusedAuthorizations.map((authorization, index) => caller(world, `refused token #${index}`, authorization, a, authenticated)),
    ...garbageTenantHeaders.map((header) => caller(world, `X-Tenant-ID ${JSON.stringify(header)}`, agent([a]), header, tenantChecked)),
  ]
  const garbageAuthorization = fc
    .tuple(fc.constantFrom('Bearer ', 'bearer  ', 'Basic ', ''), fc.string({ unit: 'binary-ascii', maxLength: 200 }))
    .map(([scheme, text]) => caller(world, 'garbage Authorization', `${scheme}${text.replace(/[^\x20-\x7E]/g, '')}`, a, authenticated))
  const streamToken = operation.requirements.some((requirement) => 'streamToken' in requirement)
    ? [
        fc
          .string({ unit: 'binary-ascii', maxLength: 300 })
          .map((token): Caller => ({ kind: 'garbage stream token', headers: {}, streamToken: token, visibleTenants: [], admin: false, mustBeRefused: true })),
      ]
    : []
  return fc.oneof(fc.constantFrom(...fixed), garbageAuthorization, ...streamToken)
}

/** Callers the operation lets in, and every way of being refused. */
export function callerArbitraries(world: FuzzWorld, operation: Operation) {
  const valid = validCallers(world, operation)
  const anonymous: Caller = { kind: 'anonymous', headers: {}, visibleTenants: [], admin: false, mustBeRefused: false }
  return { valid: valid.length === 0 ? fc.constant(anonymous) : fc.constantFrom(...valid), invalid: refusedCallers(world, operation) }
}
