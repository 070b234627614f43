import { and, eq, inArray, or, sql } from 'drizzle-orm'
import type { components } from '../../../generated/openapi.js'
import type { Actor } from '../../platform/actor.js'
import type { Executor, Transaction } from '../../platform/transactions.js'
import { timeOrderedWindow } from '../../platform/keyset.js'
import type { PageRequest } from '../../platform/pagination.js'
import { tickets } from './ticket-tables.js'

export type Ticket = components['schemas']['Ticket']
export type TicketStatus = Ticket['status']
export type TicketRecord = Ticket & { requesterRole: (typeof tickets.$inferSelect)['requesterRole'] }
type NewTicket = Pick<typeof tickets.$inferInsert, 'tenantId' | 'id' | 'source' | 'subject' | 'requesterId' | 'requesterRole' | 'agentId'>

const toTicket = (row: typeof tickets.$inferSelect): TicketRecord => ({
  id: row.id,
  tenant_id: row.tenantId,
  status: row.status,
  source: row.source,
  subject: row.subject,
  requester_id: row.requesterId,
  agent_id: row.agentId,
  assignee_id: row.assigneeId,
  created_at: row.createdAt.toISOString(),
  updated_at: row.updatedAt.toISOString(),
  requesterRole: row.requesterRole,
})

const inTenant = (tenantId: number, id: string) => and(eq(tickets.tenantId, tenantId), eq(tickets.id, id))

/**
 * Agents see every ticket of the tenant; a tenant user sees those agents opened for the tenant (offline
 * requests) and their own, since replies to their own are addressed to them alone.
 */
const visibleTo = (viewer: Actor) =>
  viewer.asAgent ? undefined : or(eq(tickets.requesterRole, 'SUPPORT_AGENT'), eq(tickets.requesterId, viewer.userId))

/**
 * A chat that could not start is kept as a ticket, at most one live per key: the agent asked for while offline,
 * or the tenant user who asked while no agent was ONLINE. Further attempts reply to it.
 */
export type MissedChatKey = { source: 'LIVECHAT_OFFLINE'; agentId: number } | { source: 'LIVECHAT_NO_AGENT'; requesterId: number }

const keyColumn = (key: MissedChatKey) => (key.source === 'LIVECHAT_OFFLINE' ? tickets.agentId : tickets.requesterId)
const keyValue = (key: MissedChatKey) => (key.source === 'LIVECHAT_OFFLINE' ? key.agentId : key.requesterId)
const liveMissedChat = (tenantId: number, key: MissedChatKey) =>
  and(eq(tickets.tenantId, tenantId), eq(keyColumn(key), keyValue(key)), eq(tickets.source, key.source), inArray(tickets.status, ['OPEN', 'IN_PROGRESS']))

export const ticketRepository = {
  async insert(tx: Transaction, values: NewTicket): Promise<TicketRecord> {
    const [row] = await tx.insert(tickets).values({ ...values, status: 'OPEN' }).returning()
    return toTicket(row)
  },

  /** Inserts a missed-chat ticket, or nothing when one is live for its key (then `undefined`). */
  async insertMissedChatUnlessLive(tx: Transaction, key: MissedChatKey, values: NewTicket): Promise<TicketRecord | undefined> {
    const [row] = await tx
      .insert(tickets)
      .values({ ...values, source: key.source, status: 'OPEN' })
      .onConflictDoNothing({
        target: [tickets.tenantId, keyColumn(key)],
        where: sql`source = ${sql.raw(`'${key.source}'`)} and status in ('OPEN', 'IN_PROGRESS')`,
      })
      .returning()
    return row && toTicket(row)
  },

  async findLiveMissedChat(executor: Executor, tenantId: number, key: MissedChatKey): Promise<TicketRecord | undefined> {
    const [row] = await executor.select().from(tickets).where(liveMissedChat(tenantId, key))
    return row && toTicket(row)
  },

  async findVisible(executor: Executor, tenantId: number, id: string, viewer: Actor): Promise<TicketRecord | undefined> {
    const [row] = await executor.select().from(tickets).where(and(inTenant(tenantId, id), visibleTo(viewer)))
    return row && toTicket(row)
  },

  /** Reads a ticket the viewer may see and holds its row lock until the caller's transaction ends. */
  async lock(tx: Transaction, tenantId: number, id: string, viewer: Actor): Promise<TicketRecord | undefined> {
    const [row] = await tx.select().from(tickets).where(and(inTenant(tenantId, id), visibleTo(viewer))).for('update')
    return row && toTicket(row)
  },

  async update(
    tx: Transaction,
    tenantId: number,
    id: string,
    changes: { status?: TicketStatus; assigneeId?: number | null },
  ): Promise<TicketRecord> {
    const [row] = await tx
      .update(tickets)
      .set({ ...changes, updatedAt: sql`now()` })
      .where(inTenant(tenantId, id))
      .returning()
    return toTicket(row)
  },

  /**
   * Numbers the next reply of a ticket in one of `statuses`, holding its row lock until the caller's
   * transaction ends; the ticket as it is after that, or `undefined` when it is in another status.
   */
  async claimNextReplySeq(
    tx: Transaction,
    tenantId: number,
    id: string,
    statuses: readonly TicketStatus[],
  ): Promise<{ seq: number; ticket: TicketRecord } | undefined> {
    const [row] = await tx
      .update(tickets)
      .set({ lastReplySeq: sql`${tickets.lastReplySeq} + 1`, updatedAt: sql`clock_timestamp()` })
      .where(and(inTenant(tenantId, id), inArray(tickets.status, [...statuses])))
      .returning()
    return row && { seq: row.lastReplySeq, ticket: toTicket(row) }
  },

  /** `limit + 1` tickets in reading direction, newest first; the cursor is a ticket id known to exist. */
  async page(executor: Executor, tenantId: number, viewer: Actor, status: TicketStatus | undefined, page: PageRequest): Promise<TicketRecord[]> {
    const cursorRow =
      page.cursor === undefined ? undefined : sql`(select created_at, id from tickets where tenant_id = ${tenantId} and id = ${page.cursor})`
    const window = timeOrderedWindow(tickets.createdAt, tickets.id, cursorRow, page)
    const rows = await executor
      .select()
      .from(tickets)
      .where(and(eq(tickets.tenantId, tenantId), visibleTo(viewer), status && eq(tickets.status, status), window.beyondCursor))
      .orderBy(...window.order)
      .limit(window.limit)
    return rows.map(toTicket)
  },
}

export type TicketRepository = typeof ticketRepository
