import { sql } from 'drizzle-orm'
import { check, foreignKey, index, integer, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core'
import { tenants } from '../tenants/tenant-table.js'

export const sessionStatuses = ['OPEN', 'QUEUED', 'CLOSED'] as const

// Keys lead with tenant_id so the tables can later be distributed by tenant without redesign.
export const chatSessions = pgTable(
  'chat_sessions',
  {
    tenantId: integer('tenant_id').notNull().references(() => tenants.id),
    id: uuid('id').notNull(),
    // NULL while QUEUED (and for a session closed in the queue).
    agentId: integer('agent_id'),
    // The tenant user who asked for the chat; NULL when an agent started it.
    requesterId: integer('requester_id'),
    status: text('status', { enum: sessionStatuses }).notNull(),
    // What a tenant user said the chat is about: the subject of the ticket it turns into if it waits too long.
    subject: text('subject'),
    // When routing last gave the session to an agent: an agent's latest decides who is longest without a new chat.
    assignedAt: timestamp('assigned_at', { withTimezone: true }),
    // The ticket a queued session turned into when it waited too long.
    ticketId: uuid('ticket_id'),
    // The number of the last message sent; bumped under the session's row lock so messages are
    // numbered in commit order and keyset paging never skips one committed late.
    lastMessageSeq: integer('last_message_seq').notNull().default(0),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    primaryKey({ columns: [table.tenantId, table.id] }),
    check('chat_sessions_status_check', sql`${table.status} in ('OPEN', 'QUEUED', 'CLOSED')`),
    check('chat_sessions_agent_check', sql`(${table.status} = 'QUEUED') = (${table.agentId} is null) or ${table.status} = 'CLOSED'`),
    // "Active session exists" (of the sessions agents start) is enforced here, so concurrent starts cannot both succeed.
    uniqueIndex('chat_sessions_one_open_per_agent')
      .on(table.tenantId, table.agentId)
      .where(sql`status = 'OPEN' and requester_id is null`),
    // A tenant user waits for, or chats in, one session of a tenant at a time.
    uniqueIndex('chat_sessions_one_live_per_requester')
      .on(table.tenantId, table.requesterId)
      .where(sql`status in ('OPEN', 'QUEUED')`),
    // Each agent's load, counted by routing.
    index('chat_sessions_open_by_agent').on(table.tenantId, table.agentId).where(sql`status = 'OPEN'`),
    // Each agent's last assignment, read backwards from the end.
    index('chat_sessions_assignments').on(table.tenantId, table.agentId, table.assignedAt).where(sql`assigned_at is not null`),
    // The tenant's queue, oldest first.
    index('chat_sessions_queue').on(table.tenantId, table.createdAt, table.id).where(sql`status = 'QUEUED'`),
    index('chat_sessions_newest_first').on(table.tenantId, table.createdAt, table.id),
  ],
)

/**
 * Status conditions written out rather than sent as parameters: the generic plan of a prepared statement can use
 * a partial index (the queue, each agent's load, the live chat per requester) only when the query states its
 * predicate, and these tables grow with every chat ever held.
 */
export const sessionStatusIs = {
  OPEN: sql`${chatSessions.status} = 'OPEN'`,
  QUEUED: sql`${chatSessions.status} = 'QUEUED'`,
  CLOSED: sql`${chatSessions.status} = 'CLOSED'`,
  live: sql`${chatSessions.status} in ('OPEN', 'QUEUED')`,
}

export const chatMessages = pgTable(
  'chat_messages',
  {
    tenantId: integer('tenant_id').notNull(),
    id: uuid('id').notNull(),
    sessionId: uuid('session_id').notNull(),
    seq: integer('seq').notNull(),
    senderId: integer('sender_id').notNull(),
    message: text('message').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().default(sql`clock_timestamp()`),
  },
  (table) => [
    primaryKey({ columns: [table.tenantId, table.id] }),
    foreignKey({ columns: [table.tenantId, table.sessionId], foreignColumns: [chatSessions.tenantId, chatSessions.id] }),
    // The keyset index: a page costs the same at message 10 and message 1,000,000.
    uniqueIndex('chat_messages_session_seq').on(table.tenantId, table.sessionId, table.seq),
  ],
)

// How far each user has read each session; it only moves forward. `unread_count` counts what lies after it.
export const sessionReads = pgTable(
  'session_reads',
  {
    tenantId: integer('tenant_id').notNull(),
    sessionId: uuid('session_id').notNull(),
    userId: integer('user_id').notNull(),
    lastReadSeq: integer('last_read_seq').notNull(),
    lastReadMessageId: uuid('last_read_message_id').notNull(),
    readAt: timestamp('read_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    primaryKey({ columns: [table.tenantId, table.sessionId, table.userId] }),
    foreignKey({ columns: [table.tenantId, table.sessionId], foreignColumns: [chatSessions.tenantId, chatSessions.id] }),
  ],
)
