import { sql } from 'drizzle-orm'
import { check, foreignKey, index, integer, pgTable, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core'
import { tenants } from '../tenants/tenant-table.js'

export const notifications = pgTable(
  'notifications',
  {
    tenantId: integer('tenant_id').notNull().references(() => tenants.id),
    id: uuid('id').notNull(),
    type: text('type', { enum: ['CHAT_MESSAGE', 'TICKET_REPLY'] }).notNull(),
    // NULL: the whole tenant. Read state is per user either way, in notification_reads.
    recipientId: integer('recipient_id'),
    // Nobody is notified of what they wrote themselves.
    authorId: integer('author_id').notNull(),
    text: text('text').notNull(),
    sessionId: uuid('session_id'),
    messageId: uuid('message_id'),
    ticketId: uuid('ticket_id'),
    replyId: uuid('reply_id'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().default(sql`clock_timestamp()`),
  },
  (table) => [
    primaryKey({ columns: [table.tenantId, table.id] }),
    check('notifications_type_check', sql`${table.type} in ('CHAT_MESSAGE', 'TICKET_REPLY')`),
    index('notifications_newest_first').on(table.tenantId, table.createdAt, table.id),
  ],
)

export const notificationReads = pgTable(
  'notification_reads',
  {
    tenantId: integer('tenant_id').notNull(),
    userId: integer('user_id').notNull(),
    notificationId: uuid('notification_id').notNull(),
    readAt: timestamp('read_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    primaryKey({ columns: [table.tenantId, table.userId, table.notificationId] }),
    foreignKey({ columns: [table.tenantId, table.notificationId], foreignColumns: [notifications.tenantId, notifications.id] }),
  ],
)

// "Everything up to here is read", per user: read-all moves it, so unread queries read only what lies after.
export const notificationReadMarks = pgTable(
  'notification_read_marks',
  {
    tenantId: integer('tenant_id').notNull().references(() => tenants.id),
    userId: integer('user_id').notNull(),
    readThrough: timestamp('read_through', { withTimezone: true }).notNull(),
    markedAt: timestamp('marked_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [primaryKey({ columns: [table.tenantId, table.userId] })],
)
