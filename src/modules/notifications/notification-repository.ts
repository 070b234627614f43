import { and, count, desc, eq, isNull, ne, or, sql } from 'drizzle-orm'
import type { components } from '../../../generated/openapi.js'
import { isoTimestamp, jsonRecords, rowsOf } from '../../platform/database.js'
import type { Executor, Transaction } from '../../platform/transactions.js'
import { timeOrderedWindow } from '../../platform/keyset.js'
import type { PageRequest } from '../../platform/pagination.js'
import { notificationReadMarks, notificationReads, notifications } from './notification-tables.js'

export type Notification = components['schemas']['Notification']
type NewNotification = Omit<typeof notifications.$inferInsert, 'createdAt' | 'tenantId'>

type Reader = { tenantId: number; userId: number }
/** A timestamp as PostgreSQL prints it: a JS Date would drop its microseconds, and with them the newest row. */
type ExactTimestamp = string

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

const markOf = ({ tenantId, userId }: Reader) =>
  and(eq(notificationReadMarks.tenantId, tenantId), eq(notificationReadMarks.userId, userId))

/**
 * Unread: after the reader's read-all mark and not read one by one. The mark is passed as a value, not a
 * subquery, so PostgreSQL plans with it: a range scan on (tenant_id, created_at, id) whose cost follows
 * the unread notifications, not the tenant's whole history.
 */
const unreadAfter = (readThrough: ExactTimestamp | undefined) =>
  and(
    isNull(notificationReads.readAt),
    readThrough === undefined ? undefined : sql`${notifications.createdAt} > ${readThrough}::timestamptz`,
  )

/** The reader's own reading of it, or the read-all that covered it, whichever came first. */
const readAt = sql<Date | null>`least(${notificationReads.readAt},
  case when ${notifications.createdAt} <= ${notificationReadMarks.readThrough} then ${notificationReadMarks.markedAt} end)`.mapWith(
  notificationReads.readAt,
)

async function readThroughOf(executor: Executor, reader: Reader): Promise<ExactTimestamp | undefined> {
  const [mark] = await executor
    .select({ readThrough: sql<ExactTimestamp>`${notificationReadMarks.readThrough}::text` })
    .from(notificationReadMarks)
    .where(markOf(reader))
  return mark?.readThrough
}

const withReadState = (executor: Executor, reader: Reader) =>
  executor
    .select({ row: notifications, readAt })
    .from(notifications)
    .leftJoin(notificationReads, readBy(reader))
    .leftJoin(notificationReadMarks, markOf(reader))

export const notificationRepository = {
  /** Stores a tenant's new notifications in one statement, whatever their number; returns them in the order given. */
  async insertMany(tx: Transaction, tenantId: number, values: NewNotification[]): Promise<Notification[]> {
    const records = values.map((n) => ({
      id: n.id,
      type: n.type,
      recipient_id: n.recipientId ?? null,
      author_id: n.authorId,
      text: n.text,
      session_id: n.sessionId ?? null,
      message_id: n.messageId ?? null,
      ticket_id: n.ticketId ?? null,
      reply_id: n.replyId ?? null,
    }))
    const result = await tx.execute(sql`
      insert into ${notifications} (tenant_id, id, type, recipient_id, author_id, text, session_id, message_id, ticket_id, reply_id)
      select ${tenantId}, n.id, n.type, n.recipient_id, n.author_id, n.text, n.session_id, n.message_id, n.ticket_id, n.reply_id
      from json_to_recordset(${jsonRecords(records)})
        as n (id uuid, type text, recipient_id int, author_id int, text text, session_id uuid, message_id uuid, ticket_id uuid, reply_id uuid)
      returning id, text, created_at`)
    const stored = new Map(rowsOf<{ id: string; text: string; created_at: string }>(result).map((row) => [row.id, row]))
    return records.map(({ author_id: _author, ...record }) => {
      const row = stored.get(record.id)!
      return { ...record, text: row.text, created_at: isoTimestamp(row.created_at), read_at: null }
    })
  },

  async findVisible(executor: Executor, reader: Reader, id: string): Promise<Notification | undefined> {
    const [found] = await withReadState(executor, reader).where(and(visibleTo(reader), eq(notifications.id, id)))
    return found && toNotification(found.row, found.readAt)
  },

  /** `limit + 1` notifications in reading direction, newest first; the cursor is one the reader sees. */
  async page(executor: Executor, reader: Reader, unreadOnly: boolean, page: PageRequest): Promise<Notification[]> {
    const cursorRow =
      page.cursor === undefined
        ? undefined
        : sql`(select created_at, id from notifications where tenant_id = ${reader.tenantId} and id = ${page.cursor})`
    const window = timeOrderedWindow(notifications.createdAt, notifications.id, cursorRow, page)
    const rows = await withReadState(executor, reader)
      .where(and(visibleTo(reader), unreadOnly ? unreadAfter(await readThroughOf(executor, reader)) : undefined, window.beyondCursor))
      .orderBy(...window.order)
      .limit(window.limit)
    return rows.map(({ row, readAt }) => toNotification(row, readAt))
  },

  async unreadCount(executor: Executor, reader: Reader, through?: ExactTimestamp): Promise<number> {
    const [row] = await executor
      .select({ unread: count() })
      .from(notifications)
      .leftJoin(notificationReads, readBy(reader))
      .where(
        and(
          visibleTo(reader),
          unreadAfter(await readThroughOf(executor, reader)),
          through === undefined ? undefined : sql`${notifications.createdAt} <= ${through}::timestamptz`,
        ),
      )
    return row.unread
  },

  /** Marks one read; a notification already read keeps its first `read_at`. */
  async markRead(tx: Transaction, reader: Reader, id: string): Promise<void> {
    await tx
      .insert(notificationReads)
      .values({ tenantId: reader.tenantId, userId: reader.userId, notificationId: id })
      .onConflictDoNothing()
  },

  /** Until the caller's transaction ends, the reader's other read-alls wait, so each counts only what it marks. */
  async lockReadMark(tx: Transaction, reader: Reader): Promise<void> {
    await tx.execute(sql`select pg_advisory_xact_lock(${reader.tenantId}::integer, ${reader.userId}::integer)`)
  },

  /** The newest notification the reader sees, up to which a read-all marks. */
  async newestVisible(executor: Executor, reader: Reader): Promise<ExactTimestamp | undefined> {
    const [row] = await executor
      .select({ createdAt: sql<ExactTimestamp>`${notifications.createdAt}::text` })
      .from(notifications)
      .where(visibleTo(reader))
      .orderBy(desc(notifications.createdAt))
      .limit(1)
    return row?.createdAt
  },

  /** Everything the reader sees up to `through` is read; the mark never moves back. */
  async markReadThrough(tx: Transaction, reader: Reader, through: ExactTimestamp): Promise<void> {
    await tx
      .insert(notificationReadMarks)
      .values({ tenantId: reader.tenantId, userId: reader.userId, readThrough: sql`${through}::timestamptz` })
      .onConflictDoUpdate({
        target: [notificationReadMarks.tenantId, notificationReadMarks.userId],
        set: { readThrough: sql`greatest(${notificationReadMarks.readThrough}, excluded.read_through)`, markedAt: sql`now()` },
      })
  },
}

export type NotificationRepository = typeof notificationRepository
