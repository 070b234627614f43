import { LRUCache } from 'lru-cache'
import type { components } from '../../../generated/openapi.js'
import { isUniqueViolation } from '../../platform/database.js'
import { InvalidCursorError, NotFoundError } from '../../platform/domain-errors.js'
import { toPage, type PageRequest } from '../../platform/pagination.js'
import type { Transaction, Transactions } from '../../platform/transactions.js'
import { DomainTakenError } from './tenant-errors.js'
import type { NewTenant, Tenant, TenantRepository } from './tenant-repository.js'
import { tenantDomainIndex } from './tenant-table.js'

// The OpenAPI default of CreateTenantRequest.agent_capacity (the column's default too).
const defaultAgentCapacity = 5

export type TenantService = ReturnType<typeof createTenantService>

type Dependencies = {
  transactions: Pick<Transactions, 'run' | 'executor' | 'afterCommit'>
  tenantRepository: TenantRepository
  /**
   * Told of every change the tenant check of requests depends on (activation, domain) after its commit, so
   * open streams and other instances' caches can follow at once.
   */
  changed: (tenantId: number) => void
  /** Seconds the tenant check of every request reuses an answer ("active", a domain's tenant); 0 asks the database every time. */
  cacheSeconds: number
}

type Schemas = components['schemas']

// Enough for every tenant (and host name) a busy instance serves at once; the least recently seen are asked again.
const cacheEntries = 10_000

export function createTenantService({ transactions, tenantRepository, changed, cacheSeconds }: Dependencies) {
  const ttl = cacheSeconds * 1000
  // Only "active" is kept: a refusal is never stale, and a tenant created or reactivated is usable at once.
  const knownActive = cacheSeconds > 0 ? new LRUCache<number, true>({ max: cacheEntries, ttl }) : undefined
  // "No tenant has this domain" is kept too: a host that is no tenant's (the API's own name) is the common case.
  const knownDomains = cacheSeconds > 0 ? new LRUCache<string, { tenantId: number | undefined }>({ max: cacheEntries, ttl }) : undefined
  // Bumped by every forget: an answer read before a change is not cached after it.
  let generation = 0

  /**
   * A write that may take a domain another tenant has: the unique index decides. Its own unit of work, so that
   * in a request's transaction the violation rolls back a savepoint only, and the 409 can still be stored.
   */
  async function claimingDomain<Result>(domain: string | null | undefined, write: (tx: Transaction) => Promise<Result>): Promise<Result> {
    try {
      return await transactions.run(write)
    } catch (error) {
      if (domain && isUniqueViolation(error, tenantDomainIndex)) throw new DomainTakenError(domain)
      throw error
    }
  }

  return {
    async create(values: Schemas['CreateTenantRequest']): Promise<Tenant> {
      const tenant: NewTenant = {
        name: values.name,
        active: values.active ?? true,
        domain: values.domain?.toLowerCase() ?? null,
        agentCapacity: values.agent_capacity ?? defaultAgentCapacity,
      }
      return claimingDomain(tenant.domain, async (tx) => {
        const created = await tenantRepository.insert(tx, tenant)
        // Instances may have cached that no tenant has this domain.
        if (created.domain !== null) transactions.afterCommit(tx, () => changed(created.id))
        return created
      })
    },

    async update(id: number, changes: Schemas['UpdateTenantRequest']): Promise<Tenant> {
      const { agent_capacity: agentCapacity, ...rest } = changes
      const stored = { ...rest, ...(changes.domain ? { domain: changes.domain.toLowerCase() } : {}), ...(agentCapacity === undefined ? {} : { agentCapacity }) }
      return claimingDomain(stored.domain, async (tx) => {
        const tenant = await tenantRepository.update(tx, id, stored)
        if (!tenant) throw new NotFoundError('Tenant', 'tenant_id')
        // A capacity change moves the queue: every instance hears of it, and one serves it.
        if (changes.active !== undefined || changes.domain !== undefined || agentCapacity !== undefined) transactions.afterCommit(tx, () => changed(id))
        return tenant
      })
    },

    async list(page: PageRequest<number>) {
      const executor = transactions.executor()
      if (page.cursor !== undefined && !(await tenantRepository.findById(executor, page.cursor))) throw new InvalidCursorError()
      return toPage(await tenantRepository.page(executor, page), page, (tenant) => String(tenant.id))
    },

    /** Asked by every tenant-scoped request: the database answers at most once per tenant per cache period. */
    async isActive(id: number): Promise<boolean> {
      if (knownActive?.has(id)) return true
      const asked = generation
      const active = await tenantRepository.isActive(transactions.executor(), id)
      if (active && asked === generation) knownActive?.set(id, true)
      return active
    },

    /** The tenant whose domain `hostName` (lower-case) is, asked by every tenant-scoped request as `isActive` is. */
    async tenantOfDomain(hostName: string): Promise<number | undefined> {
      const known = knownDomains?.get(hostName)
      if (known) return known.tenantId
      const asked = generation
      const tenantId = await tenantRepository.findIdByDomain(transactions.executor(), hostName)
      if (asked === generation) knownDomains?.set(hostName, { tenantId })
      return tenantId
    },

    /**
     * Drops cached answers: one tenant's (or all, after signals may have been missed). Every domain answer
     * goes either way: a domain moved, added or removed changes the answer for hosts this tenant never had.
     */
    forget(id?: number): void {
      generation++
      if (id === undefined) knownActive?.clear()
      else knownActive?.delete(id)
      knownDomains?.clear()
    },

    /** The development-mode demo tenant, created on first start and found by name afterwards. */
    async ensureNamed(name: string): Promise<Tenant> {
      return (
        (await tenantRepository.findByName(transactions.executor(), name)) ??
        transactions.run((tx) => tenantRepository.insert(tx, { name, active: true, domain: null, agentCapacity: defaultAgentCapacity }))
      )
    },
  }
}
