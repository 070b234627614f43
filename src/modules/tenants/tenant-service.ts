import type { Database } from '../../platform/database.js'
import { InvalidCursorError, NotFoundError } from '../../platform/domain-errors.js'
import { toPage, type PageRequest } from '../../platform/pagination.js'
import { tenantRepository, type Tenant } from './tenant-repository.js'

export type TenantService = ReturnType<typeof createTenantService>

/** `activeChanged` is told of every (de)activation, so open streams of the tenant can stop at once. */
export function createTenantService(db: Database, activeChanged: (tenantId: number) => void = () => {}) {
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

    isActive: (id: number): Promise<boolean> => tenantRepository.isActive(db, id),

    /** The development-mode demo tenant, created on first start and found by name afterwards. */
    async ensureNamed(name: string): Promise<Tenant> {
      return (await tenantRepository.findByName(db, name)) ?? tenantRepository.insert(db, { name, active: true })
    },
  }
}
