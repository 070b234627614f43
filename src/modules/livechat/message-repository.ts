import { and, asc, eq, sql } from 'drizzle-orm'
import type { components } from '../../../generated/openapi.js'
import { isoTimestamp, jsonRecords, rowsOf } from '../../platform/database.js'
import type { Executor, Transaction } from '../../platform/transactions.js'
import type { PageRequest } from '../../platform/pagination.js'
import { chatMessages, chatSessions } from './livechat-tables.js'

export type ChatMessage = components['schemas']['ChatMessage']
/** A page with what decides whether it may be served: the session exists, and so does the cursor's message in it. */
export type SessionPage = { sessionFound: boolean; cursorFound: boolean; messages: ChatMessage[] }

type PageRow = { session_found: boolean; cursor_found: boolean; id: string | null; sender_id: number; message: string; created_at: string }

export type NewMessage = { id: string; sessionId: string; seq: number; senderId: number; message: string }

const inSession = (tenantId: number, sessionId: string) =>
  and(eq(chatMessages.tenantId, tenantId), eq(chatMessages.sessionId, sessionId))

export const messageRepository = {
  /** Stores a tenant's messages in one statement, whatever their number; returns them in the order given. */
  async insertMany(tx: Transaction, tenantId: number, messages: NewMessage[]): Promise<ChatMessage[]> {
    const records = messages.map((m) => ({ id: m.id, session_id: m.sessionId, seq: m.seq, sender_id: m.senderId, message: m.message }))
    const result = await tx.execute(sql`
      insert into ${chatMessages} (tenant_id, id, session_id, seq, sender_id, message)
      select ${tenantId}, m.id, m.session_id, m.seq, m.sender_id, m.message
      from json_to_recordset(${jsonRecords(records)}) as m (id uuid, session_id uuid, seq int, sender_id int, message text)
      returning id, message, created_at`)
    const stored = new Map(rowsOf<{ id: string; message: string; created_at: string }>(result).map((row) => [row.id, row]))
    return messages.map((m) => {
      const row = stored.get(m.id)!
      return { id: m.id, session_id: m.sessionId, sender_id: m.senderId, message: row.message, created_at: isoTimestamp(row.created_at) }
    })
  },

  /** Every message of a session in order, who wrote it and what: a short session's transcript (a queued chat's). */
  async transcript(executor: Executor, tenantId: number, sessionId: string): Promise<{ senderId: number; message: string }[]> {
    return executor
      .select({ senderId: chatMessages.senderId, message: chatMessages.message })
      .from(chatMessages)
      .where(and(eq(chatMessages.tenantId, tenantId), eq(chatMessages.sessionId, sessionId)))
      .orderBy(asc(chatMessages.seq))
  },

  /** The position of a message in its session, or `undefined` when it is not a message of that session. */
  async seqOf(executor: Executor, tenantId: number, sessionId: string, id: string): Promise<number | undefined> {
    const [row] = await executor
      .select({ seq: chatMessages.seq })
      .from(chatMessages)
      .where(and(inSession(tenantId, sessionId), eq(chatMessages.id, id)))
    return row?.seq
  },

  /**
   * `limit + 1` messages in reading direction by position, with the session's and the cursor's existence, in
   * one statement: a range scan of the (tenant, session, seq) index from the cursor's position. It always
   * returns one row at least; `id` is null on it when the page is empty.
   */
  async page(executor: Executor, tenantId: number, sessionId: string, page: PageRequest): Promise<SessionPage> {
    const forward = page.direction === 'next'
    const cursor =
      page.cursor === undefined
        ? sql`(select null::int as seq) c on true`
        : sql`${chatMessages} c on c.tenant_id = ${tenantId} and c.session_id = ${sessionId} and c.id = ${page.cursor}`
    const beyondCursor = page.cursor === undefined ? sql`` : forward ? sql`and m.seq > c.seq` : sql`and m.seq < c.seq`
    const order = forward ? sql`asc` : sql`desc`
    // A literal, not a parameter: PostgreSQL cannot estimate `limit $n`, so it would plan the prepared statement
    // anew on every call (planning costs twice the read); with a literal it keeps one generic plan. The limit is a
    // validated integer of 1 to 100, so there are few such statements.
    const limit = sql.raw(String(Math.trunc(page.limit) + 1))
    const result = await executor.execute(sql`
      select s.id is not null as session_found, c.seq is not null as cursor_found, m.id, m.sender_id, m.message, m.created_at
      from (select 1) one
      left join ${chatSessions} s on s.tenant_id = ${tenantId} and s.id = ${sessionId}
      left join ${cursor}
      left join lateral (
        select m.id, m.seq, m.sender_id, m.message, m.created_at from ${chatMessages} m
        where m.tenant_id = ${tenantId} and m.session_id = s.id ${beyondCursor}
        order by m.seq ${order} limit ${limit}
      ) m on true
      order by m.seq ${order}`)
    const rows = rowsOf<PageRow>(result)
    const messages = rows.flatMap((row) =>
      row.id === null ? [] : [{ id: row.id, session_id: sessionId, sender_id: row.sender_id, message: row.message, created_at: isoTimestamp(row.created_at) }],
    )
    return { sessionFound: rows[0].session_found, cursorFound: page.cursor === undefined || rows[0].cursor_found, messages }
  },
}

export type MessageRepository = typeof messageRepository
