import { LRUCache } from 'lru-cache'
import type { Database } from '../../platform/database.js'
import { InvalidCursorError, NotFoundError } from '../../platform/domain-errors.js'
import { toPage, type PageRequest } from '../../platform/pagination.js'
import { tenantRepository, type Tenant } from './tenant-repository.js'

export type TenantService = ReturnType<typeof createTenantService>

type Options = {
  /** Told of every (de)activation after its commit, so open streams and other instances' caches can follow at once. */
  activeChanged?: (tenantId: number) => void
  /** Seconds an "active" answer is reused by the tenant check of every request; 0 asks the database every time. */
  activeCacheSeconds?: number
}

// Enough for every tenant a busy instance serves at once; the least recently seen are asked again.
const activeCacheEntries = 10_000

export function createTenantService(db: Database, { activeChanged = () => {}, activeCacheSeconds = 0 }: Options = {}) {
  // Only "active" is kept: a refusal is never stale, and a tenant created or reactivated is usable at once.
  const knownActive = activeCacheSeconds > 0 ? new LRUCache<number, true>({ max: activeCacheEntries, ttl: activeCacheSeconds * 1000 }) : undefined
  // Bumped by every forget: an answer read before a change is not cached after it.
  let generation = 0

  return {
    create: (values: { name: string; active?: boolean }): Promise<Tenant> =>
      tenantRepository.insert(db, { name: values.name, active: values.active ?? true }),

    async update(id: number, changes: { name?: string; active?: boolean }): Promise<Tenant> {
      const tenant = await tenantRepository.update(db, id, changes)
      if (!tenant) throw new NotFoundError('Tenant', 'tenant_id')
      if (changes.active !== undefined) activeChanged(id)
      return tenant
    },

    async list(page: PageRequest<number>) {
      if (page.cursor !== undefined && !(await tenantRepository.findById(db, page.cursor))) throw new InvalidCursorError()
      return toPage(await tenantRepository.page(db, page), page, (tenant) => String(tenant.id))
    },

    /** Asked by every tenant-scoped request: the database answers at most once per tenant per cache period. */
    async isActive(id: number): Promise<boolean> {
      if (knownActive?.has(id)) return true
      const asked = generation
      const active = await tenantRepository.isActive(db, id)
      if (active && asked === generation) knownActive?.set(id, true)
      return active
    },

    /** Drops a cached answer (one tenant, or all after signals may have been missed). */
    forgetActive(id?: number): void {
      generation++
      if (id === undefined) knownActive?.clear()
      else knownActive?.delete(id)
    },

    /** The development-mode demo tenant, created on first start and found by name afterwards. */
    async ensureNamed(name: string): Promise<Tenant> {
      return (await tenantRepository.findByName(db, name)) ?? tenantRepository.insert(db, { name, active: true })
    },
  }
}
