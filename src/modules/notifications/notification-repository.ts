import { and, count, eq, isNull, ne, or, sql } from 'drizzle-orm'
import type { components } from '../../../generated/openapi.js'
import type { Database } from '../../platform/database.js'
import { newestFirstWindow } from '../../platform/keyset.js'
import type { PageRequest } from '../../platform/pagination.js'
import { notificationReads, notifications } from './notification-tables.js'

export type Notification = components['schemas']['Notification']
type NewNotification = Omit<typeof notifications.$inferInsert, 'createdAt'>

type Reader = { tenantId: number; userId: number }

const toNotification = (row: typeof notifications.$inferSelect, readAt: Date | null): Notification => ({
  id: row.id,
  type: row.type,
  text: row.text,
  recipient_id: row.recipientId,
  session_id: row.sessionId,
  message_id: row.messageId,
  ticket_id: row.ticketId,
  reply_id: row.replyId,
  created_at: row.createdAt.toISOString(),
  read_at: readAt?.toISOString() ?? null,
})

/** What a user sees: the tenant's broadcasts and what is addressed to them, minus what they wrote. */
const visibleTo = ({ tenantId, userId }: Reader) =>
  and(
    eq(notifications.tenantId, tenantId),
    or(isNull(notifications.recipientId), eq(notifications.recipientId, userId)),
    ne(notifications.authorId, userId),
  )

const readBy = ({ tenantId, userId }: Reader) =>
  and(
    eq(notificationReads.tenantId, tenantId),
    eq(notificationReads.notificationId, notifications.id),
    eq(notificationReads.userId, userId),
  )

export const notificationRepository = {
  async insert(db: Database, values: NewNotification): Promise<void> {
    await db.insert(notifications).values(values)
  },

  async findVisible(db: Database, reader: Reader, id: string): Promise<Notification | undefined> {
    const [found] = await db
      .select({ row: notifications, readAt: notificationReads.readAt })
      .from(notifications)
      .leftJoin(notificationReads, readBy(reader))
      .where(and(visibleTo(reader), eq(notifications.id, id)))
    return found && toNotification(found.row, found.readAt)
  },

  /** `limit + 1` notifications in reading direction, newest first; the cursor is one the reader sees. */
  async page(db: Database, reader: Reader, unreadOnly: boolean, page: PageRequest): Promise<Notification[]> {
    const cursorRow =
      page.cursor === undefined
        ? undefined
        : sql`(select created_at, id from notifications where tenant_id = ${reader.tenantId} and id = ${page.cursor})`
    const window = newestFirstWindow(notifications.createdAt, notifications.id, cursorRow, page)
    const rows = await db
      .select({ row: notifications, readAt: notificationReads.readAt })
      .from(notifications)
      .leftJoin(notificationReads, readBy(reader))
      .where(and(visibleTo(reader), unreadOnly ? isNull(notificationReads.readAt) : undefined, window.beyondCursor))
      .orderBy(...window.order)
      .limit(window.limit)
    return rows.map(({ row, readAt }) => toNotification(row, readAt))
  },

  async unreadCount(db: Database, reader: Reader): Promise<number> {
    const [row] = await db
      .select({ unread: count() })
      .from(notifications)
      .leftJoin(notificationReads, readBy(reader))
      .where(and(visibleTo(reader), isNull(notificationReads.readAt)))
    return row.unread
  },

  /** Marks read; a second reading keeps the first `read_at`. */
  async markRead(db: Database, reader: Reader, id: string): Promise<void> {
    await db
      .insert(notificationReads)
      .values({ tenantId: reader.tenantId, userId: reader.userId, notificationId: id })
      .onConflictDoNothing()
  },

  /** Marks every unread notification the reader sees; returns how many this call marked. */
  async markAllRead(db: Database, reader: Reader): Promise<number> {
    const unread = db
      .select({
        tenantId: notifications.tenantId,
        userId: sql<number>`${reader.userId}::integer`.as('user_id'),
        notificationId: notifications.id,
        readAt: sql<Date>`now()`.as('read_at'),
      })
      .from(notifications)
      .leftJoin(notificationReads, readBy(reader))
      .where(and(visibleTo(reader), isNull(notificationReads.readAt)))
    const marked = await db.insert(notificationReads).select(unread).onConflictDoNothing().returning({ id: notificationReads.notificationId })
    return marked.length
  },
}
