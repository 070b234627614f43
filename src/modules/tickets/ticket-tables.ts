import { sql } from 'drizzle-orm'
import { check, foreignKey, index, integer, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core'
import { tenants } from '../tenants/tenant-table.js'

export const ticketStatuses = ['OPEN', 'IN_PROGRESS', 'RESOLVED', 'CLOSED'] as const
export const ticketSources = ['LIVECHAT_OFFLINE', 'LIVECHAT_NO_AGENT', 'LIVECHAT_QUEUE_TIMEOUT', 'DIRECT'] as const
const requesterRoles = ['SUPPORT_AGENT', 'TENANT_USER'] as const
export const liveOfflineTicketIndex = 'tickets_one_live_offline_ticket_per_agent'
export const liveNoAgentTicketIndex = 'tickets_one_live_no_agent_ticket_per_requester'

export const tickets = pgTable(
  'tickets',
  {
    tenantId: integer('tenant_id').notNull().references(() => tenants.id),
    id: uuid('id').notNull(),
    status: text('status', { enum: ticketStatuses }).notNull(),
    source: text('source', { enum: ticketSources }).notNull(),
    subject: text('subject').notNull(),
    requesterId: integer('requester_id').notNull(),
    // Who an agent reply notifies: a tenant user who opened the ticket, or else the whole tenant.
    requesterRole: text('requester_role', { enum: requesterRoles }).notNull(),
    agentId: integer('agent_id'),
    assigneeId: integer('assignee_id'),
    // Numbers replies in commit order under the ticket's row lock, as chat_sessions does for messages.
    lastReplySeq: integer('last_reply_seq').notNull().default(0),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    primaryKey({ columns: [table.tenantId, table.id] }),
    check('tickets_status_check', sql`${table.status} in ('OPEN', 'IN_PROGRESS', 'RESOLVED', 'CLOSED')`),
    check('tickets_source_check', sql`${table.source} in ('LIVECHAT_OFFLINE', 'LIVECHAT_NO_AGENT', 'LIVECHAT_QUEUE_TIMEOUT', 'DIRECT')`),
    check('tickets_requester_role_check', sql`${table.requesterRole} in ('SUPPORT_AGENT', 'TENANT_USER')`),
    // No ticket storm: one live offline ticket per tenant and agent, even under concurrent attempts.
    uniqueIndex(liveOfflineTicketIndex)
      .on(table.tenantId, table.agentId)
      .where(sql`source = 'LIVECHAT_OFFLINE' and status in ('OPEN', 'IN_PROGRESS')`),
    // Nor one per customer asking while no agent is ONLINE: one live ticket per tenant and requester.
    uniqueIndex(liveNoAgentTicketIndex)
      .on(table.tenantId, table.requesterId)
      .where(sql`source = 'LIVECHAT_NO_AGENT' and status in ('OPEN', 'IN_PROGRESS')`),
    index('tickets_newest_first').on(table.tenantId, table.createdAt, table.id),
  ],
)

export const ticketReplies = pgTable(
  'ticket_replies',
  {
    tenantId: integer('tenant_id').notNull(),
    id: uuid('id').notNull(),
    ticketId: uuid('ticket_id').notNull(),
    seq: integer('seq').notNull(),
    authorId: integer('author_id').notNull(),
    message: text('message').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().default(sql`clock_timestamp()`),
  },
  (table) => [
    primaryKey({ columns: [table.tenantId, table.id] }),
    foreignKey({ columns: [table.tenantId, table.ticketId], foreignColumns: [tickets.tenantId, tickets.id] }),
    uniqueIndex('ticket_replies_ticket_seq').on(table.tenantId, table.ticketId, table.seq),
  ],
)
