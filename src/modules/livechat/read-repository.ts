import { and, eq, sql } from 'drizzle-orm'
import type { Transaction } from '../../platform/transactions.js'
import { sessionReads } from './livechat-tables.js'

export type ReadPosition = { lastReadSeq: number; lastReadMessageId: string; readAt: string }
type Reader = { tenantId: number; sessionId: string; userId: number }

const toPosition = (row: typeof sessionReads.$inferSelect): ReadPosition => ({
  lastReadSeq: row.lastReadSeq,
  lastReadMessageId: row.lastReadMessageId,
  readAt: row.readAt.toISOString(),
})

export const readRepository = {
  /** Moves the reader's position to the message, never back. `moved` is false when it was already there or beyond. */
  async advance(tx: Transaction, reader: Reader, message: { seq: number; id: string }): Promise<{ moved: boolean; position: ReadPosition }> {
    const [row] = await tx
      .insert(sessionReads)
      .values({ ...reader, lastReadSeq: message.seq, lastReadMessageId: message.id })
      .onConflictDoUpdate({
        target: [sessionReads.tenantId, sessionReads.sessionId, sessionReads.userId],
        set: { lastReadSeq: message.seq, lastReadMessageId: message.id, readAt: sql`now()` },
        setWhere: sql`${sessionReads.lastReadSeq} < ${message.seq}`,
      })
      .returning()
    if (row) return { moved: true, position: toPosition(row) }
    const [current] = await tx
      .select()
      .from(sessionReads)
      .where(and(eq(sessionReads.tenantId, reader.tenantId), eq(sessionReads.sessionId, reader.sessionId), eq(sessionReads.userId, reader.userId)))
    return { moved: false, position: toPosition(current) }
  },
}

export type ReadRepository = typeof readRepository
