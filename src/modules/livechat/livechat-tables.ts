import { sql } from 'drizzle-orm'
import { check, foreignKey, index, integer, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core'
import { tenants } from '../tenants/tenant-table.js'

// Keys lead with tenant_id so the tables can later be distributed by tenant without redesign.
export const chatSessions = pgTable(
  'chat_sessions',
  {
    tenantId: integer('tenant_id').notNull().references(() => tenants.id),
    id: uuid('id').notNull(),
    agentId: integer('agent_id').notNull(),
    status: text('status', { enum: ['OPEN', 'CLOSED'] }).notNull(),
    // The number of the last message sent; bumped under the session's row lock so messages are
    // numbered in commit order and keyset paging never skips one committed late.
    lastMessageSeq: integer('last_message_seq').notNull().default(0),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    primaryKey({ columns: [table.tenantId, table.id] }),
    check('chat_sessions_status_check', sql`${table.status} in ('OPEN', 'CLOSED')`),
    // "Active session exists" is enforced here, so concurrent starts cannot both succeed.
    uniqueIndex('chat_sessions_one_open_per_agent')
      .on(table.tenantId, table.agentId)
      .where(sql`status = 'OPEN'`),
    index('chat_sessions_newest_first').on(table.tenantId, table.createdAt, table.id),
  ],
)

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
