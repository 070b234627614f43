import { sql } from 'drizzle-orm'
import { bigint, check, index, integer, pgTable, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core'
import { tenants } from '../tenants/tenant-table.js'

/**
 * The number of the tenant's last stored event. A transaction that stores events bumps it as its last
 * statement and holds the row lock until it commits, so a tenant's events are numbered in commit order
 * without gaps: a reader that has seen event 11 can never miss an event 10 committed after it.
 */
export const tenantEventHeads = pgTable('tenant_event_heads', {
  tenantId: integer('tenant_id')
    .primaryKey()
    .references(() => tenants.id),
  lastSeq: bigint('last_seq', { mode: 'number' }).notNull(),
  // Events up to here were deleted after STREAM_RETENTION_HOURS: a resume from before it cannot be served.
  prunedThrough: bigint('pruned_through', { mode: 'number' }).notNull().default(0),
})

/** Every event a stream replays, with what decides who receives it. */
export const streamEvents = pgTable(
  'stream_events',
  {
    tenantId: integer('tenant_id').notNull(),
    seq: bigint('seq', { mode: 'number' }).notNull(),
    type: text('type').notNull(),
    sessionId: uuid('session_id'),
    // The session's agent: agents' streams carry the events of their own sessions.
    agentId: integer('agent_id'),
    audience: text('audience', { enum: ['agent', 'tenant', 'both'] }).notNull(),
    // For notifications: the one user it is addressed to (NULL: the whole tenant) and its author, who does not get it.
    recipientId: integer('recipient_id'),
    excludedUserId: integer('excluded_user_id'),
    // The SSE `data:` as sent, so a stream writes it without parsing it.
    data: text('data').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    primaryKey({ columns: [table.tenantId, table.seq] }),
    check('stream_events_audience_check', sql`${table.audience} in ('agent', 'tenant', 'both')`),
    // An agent's resume reads only their own sessions' events, not the tenant's whole log since their position.
    index('stream_events_agent').on(table.tenantId, table.agentId, table.seq),
    // Rows arrive in time order, so a BRIN index finds the expired ones for a few pages of upkeep.
    index('stream_events_created').using('brin', table.createdAt),
  ],
)
