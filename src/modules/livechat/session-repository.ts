import { and, asc, eq, inArray, isNull, or, sql } from 'drizzle-orm'
import type { components } from '../../../generated/openapi.js'
import { integerArray, isoTimestamp, jsonRecords, rowsOf, uuidArray } from '../../platform/database.js'
import type { Executor, Transaction } from '../../platform/transactions.js'
import { timeOrderedWindow } from '../../platform/keyset.js'
import type { PageRequest } from '../../platform/pagination.js'
import { chatMessages, chatSessions, sessionReads, sessionStatusIs } from './livechat-tables.js'

export type ChatSession = components['schemas']['ChatSession']
/** A session as stored; the API adds the reader's `unread_count`. */
export type SessionRecord = components['schemas']['ChatSessionChange']
export type SessionFilter = { status?: ChatSession['status']; agentId?: number }

type SessionRow = typeof chatSessions.$inferSelect

const toSession = (row: SessionRow, queuePosition: number | null): SessionRecord => ({
  id: row.id,
  tenant_id: row.tenantId,
  agent_id: row.agentId,
  requester_id: row.requesterId,
  status: row.status,
  queue_position: row.status === 'QUEUED' ? queuePosition : null,
  ticket_id: row.ticketId,
  created_at: row.createdAt.toISOString(),
  updated_at: row.updatedAt.toISOString(),
})

export type ClaimedSeqs = { lastSeq: number; session: SessionRecord }
type ClaimedRow = {
  id: string
  agent_id: number | null
  requester_id: number | null
  status: SessionRecord['status']
  ticket_id: string | null
  created_at: string
  updated_at: string
  last_message_seq: number
  queue_position: number | null
}

const inTenant = (tenantId: number, id: string) => and(eq(chatSessions.tenantId, tenantId), eq(chatSessions.id, id))

/** The place of a QUEUED session in its tenant's queue (1 first), by the queue index; null for the others. */
const queuePosition = sql<number | null>`case when chat_sessions.status = 'QUEUED' then (select count(*) from ${chatSessions} q
    where q.tenant_id = chat_sessions.tenant_id and q.status = 'QUEUED'
      and (q.created_at, q.id) <= (chat_sessions.created_at, chat_sessions.id)) end`.mapWith(Number)

const withPosition = ({ row, position }: { row: SessionRow; position: number | null }): SessionRecord => toSession(row, position)

/**
 * Messages others wrote after the reader's read position: a range scan of the (tenant, session, seq)
 * index from that position, so it costs what is unread, not the session's history.
 */
// The outer columns are written qualified by hand: drizzle leaves them bare in a one-table select, and bare
// `id` inside the subquery would mean the message's own.
const unreadBy = (readerId: number) =>
  sql<number>`(select count(*) from ${chatMessages} m
    where m.tenant_id = chat_sessions.tenant_id and m.session_id = chat_sessions.id and m.sender_id <> ${readerId}
      and m.seq > coalesce((select r.last_read_seq from ${sessionReads} r
        where r.tenant_id = chat_sessions.tenant_id and r.session_id = chat_sessions.id and r.user_id = ${readerId}), 0))`.mapWith(Number)

const withUnread = ({ row, position, unread }: { row: SessionRow; position: number | null; unread: number }): ChatSession => ({
  ...toSession(row, position),
  unread_count: unread,
})

/** A new session's first state: OPEN with its agent, or QUEUED (no agent). */
export type NewSession = { id: string; agentId: number | null; requesterId: number; subject: string | null }

export const sessionRepository = {
  /** Inserts an OPEN session an agent started, or nothing when the agent already has one open here (then `undefined`). */
  async insertOpen(tx: Transaction, tenantId: number, id: string, agentId: number): Promise<SessionRecord | undefined> {
    const [row] = await tx
      .insert(chatSessions)
      .values({ tenantId, id, agentId, status: 'OPEN' })
      .onConflictDoNothing({ target: [chatSessions.tenantId, chatSessions.agentId], where: sql`status = 'OPEN' and requester_id is null` })
      .returning()
    return row && toSession(row, null)
  },

  /**
   * Inserts a session a tenant user asked for, OPEN with its agent or QUEUED (its position is the caller's to
   * tell). Stamped with the clock, not the transaction's start: under the tenant's routing lock that is arrival
   * order, which the queue follows.
   */
  async insertRequested(tx: Transaction, tenantId: number, session: NewSession): Promise<SessionRecord> {
    const [row] = await tx
      .insert(chatSessions)
      .values({
        tenantId,
        ...session,
        status: session.agentId === null ? 'QUEUED' : 'OPEN',
        assignedAt: session.agentId === null ? null : sql`clock_timestamp()`,
        createdAt: sql`clock_timestamp()`,
        updatedAt: sql`clock_timestamp()`,
      })
      .returning()
    return toSession(row, null)
  },

  /**
   * In one statement, the sessions a batch of routing decisions is about: these sessions, the OPEN or QUEUED
   * sessions of these requesters, and the OPEN sessions these agents started themselves (not those routing gave them).
   */
  async involved(executor: Executor, tenantId: number, keys: { ids: string[]; requesterIds: number[]; agentIds: number[] }): Promise<SessionRecord[]> {
    const rows = await executor
      .select()
      .from(chatSessions)
      .where(
        and(
          eq(chatSessions.tenantId, tenantId),
          or(
            keys.ids.length > 0 ? sql`${chatSessions.id} = any(${uuidArray(keys.ids)})` : undefined,
            keys.requesterIds.length > 0
              ? and(sql`${chatSessions.requesterId} = any(${integerArray(keys.requesterIds)})`, sessionStatusIs.live)
              : undefined,
            keys.agentIds.length > 0
              ? and(sql`${chatSessions.agentId} = any(${integerArray(keys.agentIds)})`, sessionStatusIs.OPEN, isNull(chatSessions.requesterId))
              : undefined,
          ),
        ),
      )
    // Positions are the caller's to tell: it holds the queue.
    return rows.map((row) => toSession(row, null))
  },

  async findById(executor: Executor, tenantId: number, id: string): Promise<SessionRecord | undefined> {
    const [found] = await executor.select({ row: chatSessions, position: queuePosition }).from(chatSessions).where(inTenant(tenantId, id))
    return found && withPosition(found)
  },

  /** The tenant's QUEUED sessions, oldest first, each with its position. */
  async queue(executor: Executor, tenantId: number): Promise<SessionRecord[]> {
    const rows = await executor
      .select()
      .from(chatSessions)
      .where(and(eq(chatSessions.tenantId, tenantId), sessionStatusIs.QUEUED))
      .orderBy(asc(chatSessions.createdAt), asc(chatSessions.id))
    return rows.map((row, index) => toSession(row, index + 1))
  },

  /** Gives an OPEN or QUEUED session to the agent; `undefined` when it is neither. */
  async assign(tx: Transaction, tenantId: number, id: string, agentId: number): Promise<SessionRecord | undefined> {
    const [row] = await tx
      .update(chatSessions)
      .set({ agentId, status: 'OPEN', assignedAt: sql`clock_timestamp()`, updatedAt: sql`clock_timestamp()` })
      .where(and(inTenant(tenantId, id), inArray(chatSessions.status, ['OPEN', 'QUEUED'])))
      .returning()
    return row && toSession(row, null)
  },

  /** The session as `readerId` sees it, with what they have not read. */
  async findForReader(executor: Executor, tenantId: number, id: string, readerId: number): Promise<ChatSession | undefined> {
    const [found] = await executor
      .select({ row: chatSessions, position: queuePosition, unread: unreadBy(readerId) })
      .from(chatSessions)
      .where(inTenant(tenantId, id))
    return found && withUnread(found)
  },

  /** Which of these tenants has a session with this id. */
  async tenantOf(executor: Executor, tenantIds: number[], id: string): Promise<number | undefined> {
    const [row] = await executor
      .select({ tenantId: chatSessions.tenantId })
      .from(chatSessions)
      .where(and(sql`${chatSessions.tenantId} = any(${integerArray(tenantIds)})`, eq(chatSessions.id, id)))
    return row?.tenantId
  },

  /**
   * Closes an OPEN or QUEUED session, with the ticket it turned into if any; `undefined` when it is missing or
   * already closed.
   */
  async close(tx: Transaction, tenantId: number, id: string, ticketId: string | null = null): Promise<SessionRecord | undefined> {
    const [row] = await tx
      .update(chatSessions)
      .set({ status: 'CLOSED', ticketId, updatedAt: sql`clock_timestamp()` })
      .where(and(inTenant(tenantId, id), inArray(chatSessions.status, ['OPEN', 'QUEUED'])))
      .returning()
    return row && toSession(row, null)
  },

  /**
   * Numbers the next `count` messages of each OPEN session and holds the sessions' row locks until the
   * caller's transaction ends, so messages commit in the order they are numbered; closing takes the same
   * lock, so no message slips in after a close. The locks are taken in id order: concurrent batches cannot
   * deadlock. They are the locks an UPDATE takes (no key update), which foreign-key checks do not wait for. Returns each claimed session's last number and the session as it is after that; missing and
   * closed sessions are left out.
   */
  async claimMessageSeqs(tx: Transaction, tenantId: number, counts: Map<string, number>): Promise<Map<string, ClaimedSeqs>> {
    const wanted = jsonRecords([...counts].map(([id, count]) => ({ id, count })))
    const result = await tx.execute(sql`
      with wanted as (select * from json_to_recordset(${wanted}) as w (id uuid, count int)),
      locked as materialized (
        select s.id from ${chatSessions} s join wanted w on w.id = s.id
        where s.tenant_id = ${tenantId} and s.status in ('OPEN', 'QUEUED') order by s.id for no key update of s
      )
      update ${chatSessions} s set last_message_seq = s.last_message_seq + w.count, updated_at = clock_timestamp()
      from wanted w
      where s.tenant_id = ${tenantId} and s.id = w.id and s.id in (select id from locked)
      returning s.id, s.agent_id, s.requester_id, s.status, s.ticket_id, s.created_at, s.updated_at, s.last_message_seq,
        case when s.status = 'QUEUED' then (select count(*) from ${chatSessions} q where q.tenant_id = s.tenant_id
          and q.status = 'QUEUED' and (q.created_at, q.id) <= (s.created_at, s.id)) end as queue_position`)
    return new Map(
      rowsOf<ClaimedRow>(result).map((row) => [
        row.id,
        {
          lastSeq: row.last_message_seq,
          session: {
            id: row.id,
            tenant_id: tenantId,
            agent_id: row.agent_id,
            requester_id: row.requester_id,
            status: row.status,
            queue_position: row.queue_position === null ? null : Number(row.queue_position),
            ticket_id: row.ticket_id,
            created_at: isoTimestamp(row.created_at),
            updated_at: isoTimestamp(row.updated_at),
          },
        },
      ]),
    )
  },

  /**
   * `limit + 1` sessions in reading direction, newest first, or the queue oldest first; the cursor is a session
   * id known to exist.
   */
  async page(executor: Executor, tenantId: number, readerId: number, filter: SessionFilter, page: PageRequest): Promise<ChatSession[]> {
    const cursorRow =
      page.cursor === undefined
        ? undefined
        : sql`(select created_at, id from chat_sessions where tenant_id = ${tenantId} and id = ${page.cursor})`
    const window = timeOrderedWindow(chatSessions.createdAt, chatSessions.id, cursorRow, page, filter.status === 'QUEUED' ? 'oldest' : 'newest')
    const rows = await executor
      .select({ row: chatSessions, position: queuePosition, unread: unreadBy(readerId) })
      .from(chatSessions)
      .where(
        and(
          eq(chatSessions.tenantId, tenantId),
          filter.status && sessionStatusIs[filter.status],
          filter.agentId === undefined ? undefined : eq(chatSessions.agentId, filter.agentId),
          window.beyondCursor,
        ),
      )
      .orderBy(...window.order)
      .limit(window.limit)
    return rows.map(withUnread)
  },
}

export type SessionRepository = typeof sessionRepository
