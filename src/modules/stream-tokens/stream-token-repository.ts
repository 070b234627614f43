import { and, eq, gt, isNull, lt, sql } from 'drizzle-orm'
import type { Executor, Transaction } from '../../platform/transactions.js'
import { streamTokens } from './stream-token-table.js'

export type StreamTokenRecord = typeof streamTokens.$inferSelect & { live: boolean }
type NewStreamToken = Omit<typeof streamTokens.$inferInsert, 'expiresAt' | 'usedAt'>

export const streamTokenRepository = {
  /** Stores the token, valid for `ttlSeconds` by the database clock; returns when it expires. */
  async insert(tx: Transaction, values: NewStreamToken, ttlSeconds: number): Promise<Date> {
    const [row] = await tx
      .insert(streamTokens)
      .values({ ...values, expiresAt: sql`now() + make_interval(secs => ${ttlSeconds})` })
      .returning({ expiresAt: streamTokens.expiresAt })
    return row.expiresAt
  },

  /** The token, and whether it can still be used (unused and unexpired). */
  async find(executor: Executor, tokenHash: string): Promise<StreamTokenRecord | undefined> {
    const [found] = await executor
      .select({ row: streamTokens, live: sql<boolean>`${streamTokens.usedAt} is null and ${streamTokens.expiresAt} > now()`.mapWith(Boolean) })
      .from(streamTokens)
      .where(eq(streamTokens.tokenHash, tokenHash))
    return found && { ...found.row, live: found.live }
  },

  /** Marks it used; false when another request used it first, or it expired meanwhile. */
  async consume(tx: Transaction, tokenHash: string): Promise<boolean> {
    const used = await tx
      .update(streamTokens)
      .set({ usedAt: sql`now()` })
      .where(and(eq(streamTokens.tokenHash, tokenHash), isNull(streamTokens.usedAt), gt(streamTokens.expiresAt, sql`now()`)))
      .returning({ tokenHash: streamTokens.tokenHash })
    return used.length === 1
  },

  /** Tokens that expired long enough ago that nobody could be told more than "invalid". */
  async deleteExpiredBefore(tx: Transaction, hoursAgo: number): Promise<void> {
    await tx.delete(streamTokens).where(lt(streamTokens.expiresAt, sql`now() - make_interval(hours => ${hoursAgo})`))
  },
}

export type StreamTokenRepository = typeof streamTokenRepository
