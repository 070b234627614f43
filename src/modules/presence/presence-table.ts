import { sql } from 'drizzle-orm'
import { check, integer, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core'
import { tenants } from '../tenants/tenant-table.js'

// Presence is per tenant: an agent serving several tenants can be online for one and not another.
export const agentPresence = pgTable(
  'agent_presence',
  {
    tenantId: integer('tenant_id').notNull().references(() => tenants.id),
    agentId: integer('agent_id').notNull(),
    status: text('status', { enum: ['ONLINE', 'OFFLINE'] }).notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    primaryKey({ columns: [table.tenantId, table.agentId] }),
    check('agent_presence_status_check', sql`${table.status} in ('ONLINE', 'OFFLINE')`),
  ],
)
