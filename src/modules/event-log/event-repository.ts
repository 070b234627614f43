import { and, asc, eq, gt, isNull, lte, ne, or, sql } from 'drizzle-orm'
import { integerArray, jsonRecords, rowsOf } from '../../platform/database.js'
import type { Executor, Transaction } from '../../platform/transactions.js'
import type { EventDraft, StoredEvent, StreamAudience } from './stream-event.js'
import { streamEvents, tenantEventHeads } from './event-tables.js'
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

export type TenantHead = { tenantId: number; head: number; prunedThrough: number; active: boolean }

export const eventRepository = {
  /**
   * Numbers and stores one tenant's events, in one statement. Call it last in the transaction: the head's
   * row lock is held until commit, which is what makes the numbers follow commit order, and the fewer round
   * trips between taking it and committing, the less other writers of the tenant wait.
   */
  async append(tx: Transaction, tenantId: number, drafts: EventDraft[]): Promise<StoredEvent[]> {
    const records = drafts.map((draft, index) => ({
      ordinal: index + 1,
      type: draft.type,
      session_id: draft.sessionId,
      agent_id: draft.agentId,
      audience: draft.audience,
      recipient_id: draft.recipientId,
      excluded_user_id: draft.excludedUserId,
      data: draft.data,
    }))
    const result = await tx.execute(sql`
      with head as (
        insert into ${tenantEventHeads} (tenant_id, last_seq) values (${tenantId}, ${drafts.length})
        on conflict (tenant_id) do update set last_seq = ${tenantEventHeads}.last_seq + excluded.last_seq
        returning last_seq
      ), stored as (
        insert into ${streamEvents} (tenant_id, seq, type, session_id, agent_id, audience, recipient_id, excluded_user_id, data)
        select ${tenantId}, head.last_seq - ${drafts.length} + event.ordinal, event.type, event.session_id, event.agent_id,
          event.audience, event.recipient_id, event.excluded_user_id, event.data
        from head, json_to_recordset(${jsonRecords(records)}) as event (ordinal int, type text, session_id uuid, agent_id int,
          audience text, recipient_id int, excluded_user_id int, data text)
      )
      select last_seq from head`)
    const first = Number(rowsOf<{ last_seq: string | number }>(result)[0].last_seq) - drafts.length + 1
    return drafts.map((draft, index) => ({ ...draft, seq: first + index }))
  },

  /** Every stored event of the tenant after `afterSeq`, up to `limit`, in order; optionally only those reaching `audience`. */
  async after(
    executor: Executor,
    tenantId: number,
    range: { afterSeq: number; throughSeq?: number; limit: number },
    audience?: StreamAudience,
  ): Promise<StoredEvent[]> {
    const rows = await executor
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
  async heads(executor: Executor, tenantIds: number[]): Promise<TenantHead[]> {
    if (tenantIds.length === 0) return []
    const rows = await executor
      .select({
        tenantId: tenants.id,
        head: sql<number>`coalesce(${tenantEventHeads.lastSeq}, 0)`.mapWith(Number),
        prunedThrough: sql<number>`coalesce(${tenantEventHeads.prunedThrough}, 0)`.mapWith(Number),
        active: tenants.active,
      })
      .from(tenants)
      .leftJoin(tenantEventHeads, eq(tenantEventHeads.tenantId, tenants.id))
      .where(sql`${tenants.id} = any(${integerArray(tenantIds)})`)
    return rows
  },

  /** Deletes the events older than `hours` and records, per tenant, up to where its log no longer reaches. */
  async prune(tx: Transaction, hours: number): Promise<number> {
    const result = await tx.execute(sql`
      with deleted as (
        delete from ${streamEvents} where created_at < now() - make_interval(hours => ${hours}) returning tenant_id, seq
      ), marked as (
        update ${tenantEventHeads} head set pruned_through = greatest(head.pruned_through, gone.through)
        from (select tenant_id, max(seq) as through from deleted group by tenant_id) gone
        where head.tenant_id = gone.tenant_id
      )
      select count(*) as deleted from deleted`)
    return Number(rowsOf<{ deleted: string | number }>(result)[0].deleted)
  },
}

export type EventRepository = typeof eventRepository
