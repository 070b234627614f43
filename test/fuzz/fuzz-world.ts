/** Kinds of seeded ids, as the fuzzer puts them into paths, queries and bodies. */
export type IdKind = 'session' | 'closableSession' | 'requestedSession' | 'assignableSession' | 'message' | 'ticket' | 'mutableTicket' | 'reply' | 'notification'

export type TenantIds = Record<IdKind, string[]>

export type Role = 'SUPPORT_AGENT' | 'TENANT_USER' | 'PLATFORM_ADMIN'

/**
 * What the fuzzer knows of the seeded database. Both tenants' data is made by the same user ids, so a query
 * that forgets its tenant would hand one tenant's rows to the other's caller.
 */
export type FuzzWorld = {
  /** The tenant every valid caller acts for. */
  tenantA: number
  /** The other tenant: none of its ids may come back to a caller acting for A. */
  tenantB: number
  /** A tenant the fuzz may rename and deactivate; A and B stay active so most requests get past the tenant check. */
  scratchTenant: number
  a: TenantIds
  b: TenantIds
  /** Text written into tenant B's messages, subjects and replies; none may come back to A's callers. */
  secretOfB: string
  usersByRole: Record<Role, number[]>
  /** Signs a valid token; the fuzzer chooses its claims. */
  sign: (claims: { sub: number; roles: string[]; tenants: number[] }) => string
  /** Authorization headers that must all be 401: expired, foreign-signed, `alg: none`, malformed claims. */
  refusedAuthorizations: string[]
}
