import { sql } from 'drizzle-orm'
import { boolean, check, integer, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core'

export const tenantDomainIndex = 'tenants_domain'

// Tenants are the distribution key of every other table, so this one is not tenant-owned itself.
export const tenants = pgTable(
  'tenants',
  {
    id: integer('id').primaryKey().generatedAlwaysAsIdentity(),
    name: text('name').notNull(),
    active: boolean('active').notNull().default(true),
    // Host names compare without case; kept lower-case so a plain unique index (and lookup) compares them so.
    domain: text('domain'),
    // How many OPEN sessions routing gives one agent of this tenant.
    agentCapacity: integer('agent_capacity').notNull().default(5),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    uniqueIndex(tenantDomainIndex).on(table.domain),
    check('tenants_domain_lower_case', sql`${table.domain} = lower(${table.domain})`),
    check('tenants_agent_capacity_range', sql`${table.agentCapacity} between 1 and 100`),
  ],
)
