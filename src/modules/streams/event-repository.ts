import { and, asc, eq, gt, inArray, isNull, lte, ne, or, sql } from 'drizzle-orm'
import type { Database } from '../../platform/database.js'
import type { EventDraft, StoredEvent, StreamAudience } from './stream-event.js'
import { streamEvents, tenantEventHeads } from './stream-tables.js'
import { tenants } from '../tenants/tenant-table.js'

const toStored = (row: typeof streamEvents.$inferSelect): StoredEvent => ({
  tenantId: row.tenantId,
  seq: row.seq,
  type: row.type as StoredEvent['type'],
  sessionId: row.sessionId,
  agentId: row.agentId,
  audience: row.audience,
  recipientId: row.recipientId,
  excludedUserId: row.excludedUserId,
  data: row.data,
})

/** `reaches()` of stream-event.ts, in SQL. */
const reachingAudience = (audience: StreamAudience) =>
  and(
    audience.sessionId === undefined ? undefined : eq(streamEvents.sessionId, audience.sessionId),
    or(isNull(streamEvents.excludedUserId), ne(streamEvents.excludedUserId, audience.userId)),
    audience.side === 'agent'
      ? and(ne(streamEvents.audience, 'tenant'), eq(streamEvents.agentId, audience.userId))
      : and(ne(streamEvents.audience, 'agent'), or(isNull(streamEvents.recipientId), eq(streamEvents.recipientId, audience.userId))),
  )

export type TenantHead = { tenantId: number; head: number; active: boolean }

export const eventRepository = {
  /**
   * Numbers and stores one tenant's events. Call it last in the transaction: the head's row lock is held
   * until commit, which is what makes the numbers follow commit order.
   */
  async append(tx: Database, tenantId: number, drafts: EventDraft[]): Promise<StoredEvent[]> {
    const [head] = await tx
      .insert(tenantEventHeads)
      .values({ tenantId, lastSeq: drafts.length })
      .onConflictDoUpdate({ target: tenantEventHeads.tenantId, set: { lastSeq: sql`${tenantEventHeads.lastSeq} + ${drafts.length}` } })
      .returning({ lastSeq: tenantEventHeads.lastSeq })
    const first = head.lastSeq - drafts.length + 1
    const events = drafts.map((draft, index) => ({ ...draft, seq: first + index }))
    await tx.insert(streamEvents).values(events)
    return events
  },

  /** Every stored event of the tenant after `afterSeq`, up to `limit`, in order; optionally only those reaching `audience`. */
  async after(
    db: Database,
    tenantId: number,
    range: { afterSeq: number; throughSeq?: number; limit: number },
    audience?: StreamAudience,
  ): Promise<StoredEvent[]> {
    const rows = await db
      .select()
      .from(streamEvents)
      .where(
        and(
          eq(streamEvents.tenantId, tenantId),
          gt(streamEvents.seq, range.afterSeq),
          range.throughSeq === undefined ? undefined : lte(streamEvents.seq, range.throughSeq),
          audience && reachingAudience(audience),
        ),
      )
      .orderBy(asc(streamEvents.seq))
      .limit(range.limit)
    return rows.map(toStored)
  },

  /** Each tenant's last event number (0 before its first) and whether it is active; unknown tenants are left out. */
  async heads(db: Database, tenantIds: number[]): Promise<TenantHead[]> {
    if (tenantIds.length === 0) return []
    const rows = await db
      .select({ tenantId: tenants.id, head: sql<number>`coalesce(${tenantEventHeads.lastSeq}, 0)`.mapWith(Number), active: tenants.active })
      .from(tenants)
      .leftJoin(tenantEventHeads, eq(tenantEventHeads.tenantId, tenants.id))
      .where(inArray(tenants.id, tenantIds))
    return rows
  },
}
