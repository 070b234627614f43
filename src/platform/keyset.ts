import { asc, desc, gt, lt, sql, type AnyColumn, type SQL } from 'drizzle-orm'
import type { PageRequest } from './pagination.js'

// The WHERE, ORDER BY and LIMIT of a keyset page read in its direction; repositories add their scope.

/** Lists numbered by a per-parent sequence, oldest first (messages, ticket replies). */
export function sequenceWindow(seq: AnyColumn, page: PageRequest<number>) {
  const forward = page.direction === 'next'
  return {
    beyondCursor: page.cursor === undefined ? undefined : forward ? gt(seq, page.cursor) : lt(seq, page.cursor),
    order: [forward ? asc(seq) : desc(seq)],
    limit: page.limit + 1,
  }
}

/**
 * Lists by (created_at, id), newest first (sessions, tickets, notifications) or oldest first (a queue).
 * `cursorRow` selects the cursor's (created_at, id) in SQL, so timestamps keep their microseconds.
 */
export function timeOrderedWindow(createdAt: AnyColumn, id: AnyColumn, cursorRow: SQL | undefined, page: PageRequest, first: 'newest' | 'oldest' = 'newest') {
  // Reading newest first forward, or oldest first backward, walks down the index.
  const descending = (page.direction === 'next') === (first === 'newest')
  const position = sql`(${createdAt}, ${id})`
  return {
    beyondCursor: cursorRow === undefined ? undefined : descending ? sql`${position} < ${cursorRow}` : sql`${position} > ${cursorRow}`,
    order: descending ? [desc(createdAt), desc(id)] : [asc(createdAt), asc(id)],
    limit: page.limit + 1,
  }
}
