import { and, eq, sql } from 'drizzle-orm'
import type { components } from '../../../generated/openapi.js'
import { integerArray, isoTimestamp, jsonRecords, rowsOf } from '../../platform/database.js'
import type { Executor, Transaction } from '../../platform/transactions.js'
import { newestFirstWindow } from '../../platform/keyset.js'
import type { PageRequest } from '../../platform/pagination.js'
import { chatMessages, chatSessions, sessionReads } from './livechat-tables.js'

export type ChatSession = components['schemas']['ChatSession']
/** A session as stored; the API adds the reader's `unread_count`. */
export type SessionRecord = components['schemas']['ChatSessionChange']
export type SessionFilter = { status?: ChatSession['status']; agentId?: number }

const toSession = (row: typeof chatSessions.$inferSelect): SessionRecord => ({
  id: row.id,
  tenant_id: row.tenantId,
  agent_id: row.agentId,
  status: row.status,
  created_at: row.createdAt.toISOString(),
  updated_at: row.updatedAt.toISOString(),
})

export type ClaimedSeqs = { lastSeq: number; session: SessionRecord }
type ClaimedRow = { id: string; agent_id: number; status: SessionRecord['status']; created_at: string; updated_at: string; last_message_seq: number }

const inTenant = (tenantId: number, id: string) => and(eq(chatSessions.tenantId, tenantId), eq(chatSessions.id, id))

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

const withUnread = ({ row, unread }: { row: typeof chatSessions.$inferSelect; unread: number }): ChatSession => ({
  ...toSession(row),
  unread_count: unread,
})

export const sessionRepository = {
  /** Inserts an OPEN session, or nothing when the agent already has one open here (then `undefined`). */
  async insertOpen(tx: Transaction, tenantId: number, id: string, agentId: number): Promise<SessionRecord | undefined> {
    const [row] = await tx
      .insert(chatSessions)
      .values({ tenantId, id, agentId, status: 'OPEN' })
      .onConflictDoNothing({ target: [chatSessions.tenantId, chatSessions.agentId], where: sql`status = 'OPEN'` })
      .returning()
    return row && toSession(row)
  },

  async findOpenByAgent(executor: Executor, tenantId: number, agentId: number): Promise<SessionRecord | undefined> {
    const [row] = await executor
      .select()
      .from(chatSessions)
      .where(and(eq(chatSessions.tenantId, tenantId), eq(chatSessions.agentId, agentId), eq(chatSessions.status, 'OPEN')))
    return row && toSession(row)
  },

  async findById(executor: Executor, tenantId: number, id: string): Promise<SessionRecord | undefined> {
    const [row] = await executor.select().from(chatSessions).where(inTenant(tenantId, id))
    return row && toSession(row)
  },

  /** The session as `readerId` sees it, with what they have not read. */
  async findForReader(executor: Executor, tenantId: number, id: string, readerId: number): Promise<ChatSession | undefined> {
    const [found] = await executor.select({ row: chatSessions, unread: unreadBy(readerId) }).from(chatSessions).where(inTenant(tenantId, id))
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

  /** Closes an OPEN session; `undefined` when it is missing or already closed. */
  async close(tx: Transaction, tenantId: number, id: string): Promise<SessionRecord | undefined> {
    const [row] = await tx
      .update(chatSessions)
      .set({ status: 'CLOSED', updatedAt: sql`now()` })
      .where(and(inTenant(tenantId, id), eq(chatSessions.status, 'OPEN')))
      .returning()
    return row && toSession(row)
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
        where s.tenant_id = ${tenantId} and s.status = 'OPEN' order by s.id for no key update of s
      )
      update ${chatSessions} s set last_message_seq = s.last_message_seq + w.count, updated_at = clock_timestamp()
      from wanted w
      where s.tenant_id = ${tenantId} and s.id = w.id and s.id in (select id from locked)
      returning s.id, s.agent_id, s.status, s.created_at, s.updated_at, s.last_message_seq`)
    return new Map(
      rowsOf<ClaimedRow>(result).map((row) => [
        row.id,
        {
          lastSeq: row.last_message_seq,
          session: {
            id: row.id,
            tenant_id: tenantId,
            agent_id: row.agent_id,
            status: row.status,
            created_at: isoTimestamp(row.created_at),
            updated_at: isoTimestamp(row.updated_at),
          },
        },
      ]),
    )
  },

  /** `limit + 1` sessions in reading direction, newest first; the cursor is a session id known to exist. */
  async page(executor: Executor, tenantId: number, readerId: number, filter: SessionFilter, page: PageRequest): Promise<ChatSession[]> {
    const cursorRow =
      page.cursor === undefined
        ? undefined
        : sql`(select created_at, id from chat_sessions where tenant_id = ${tenantId} and id = ${page.cursor})`
    const window = newestFirstWindow(chatSessions.createdAt, chatSessions.id, cursorRow, page)
    const rows = await executor
      .select({ row: chatSessions, unread: unreadBy(readerId) })
      .from(chatSessions)
      .where(
        and(
          eq(chatSessions.tenantId, tenantId),
          filter.status && eq(chatSessions.status, filter.status),
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
