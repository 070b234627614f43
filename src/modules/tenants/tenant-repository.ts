import { asc, desc, eq, gt, lt, sql } from 'drizzle-orm'
import type { components } from '../../../generated/openapi.js'
import type { Executor, Transaction } from '../../platform/transactions.js'
import type { PageRequest } from '../../platform/pagination.js'
import { tenants } from './tenant-table.js'

export type Tenant = components['schemas']['Tenant']
type TenantRow = typeof tenants.$inferSelect
/** What a tenant is created with; `domain` lower-case. */
export type NewTenant = { name: string; active: boolean; domain: string | null; agentCapacity: number }

const toTenant = (row: TenantRow): Tenant => ({
  id: row.id,
  name: row.name,
  active: row.active,
  domain: row.domain,
  agent_capacity: row.agentCapacity,
  created_at: row.createdAt.toISOString(),
  updated_at: row.updatedAt.toISOString(),
})

export const tenantRepository = {
  async insert(tx: Transaction, values: NewTenant): Promise<Tenant> {
    const [row] = await tx.insert(tenants).values(values).returning()
    return toTenant(row)
  },

  async update(tx: Transaction, id: number, changes: Partial<NewTenant>): Promise<Tenant | undefined> {
    const [row] = await tx
      .update(tenants)
      .set({ ...changes, updatedAt: sql`now()` })
      .where(eq(tenants.id, id))
      .returning()
    return row && toTenant(row)
  },

  async findById(executor: Executor, id: number): Promise<Tenant | undefined> {
    const [row] = await executor.select().from(tenants).where(eq(tenants.id, id))
    return row && toTenant(row)
  },

  async findByName(executor: Executor, name: string): Promise<Tenant | undefined> {
    const [row] = await executor.select().from(tenants).where(eq(tenants.name, name)).orderBy(asc(tenants.id)).limit(1)
    return row && toTenant(row)
  },

  async isActive(executor: Executor, id: number): Promise<boolean> {
    const [row] = await executor.select({ active: tenants.active }).from(tenants).where(eq(tenants.id, id))
    return row?.active ?? false
  },

  /** The tenant whose domain `domain` (lower-case) is. */
  async findIdByDomain(executor: Executor, domain: string): Promise<number | undefined> {
    const [row] = await executor.select({ id: tenants.id }).from(tenants).where(eq(tenants.domain, domain))
    return row?.id
  },

  /** `limit + 1` tenants in reading direction, ascending by id. */
  async page(executor: Executor, page: PageRequest<number>): Promise<Tenant[]> {
    const forward = page.direction === 'next'
    const after = page.cursor === undefined ? undefined : forward ? gt(tenants.id, page.cursor) : lt(tenants.id, page.cursor)
    const rows = await executor
      .select()
      .from(tenants)
      .where(after)
      .orderBy(forward ? asc(tenants.id) : desc(tenants.id))
      .limit(page.limit + 1)
    return rows.map(toTenant)
  },
}

export type TenantRepository = typeof tenantRepository
