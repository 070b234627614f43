import { and, eq } from 'drizzle-orm'
import type { components } from '../../../generated/openapi.js'
import type { Executor, Transaction } from '../../platform/transactions.js'
import { sequenceWindow } from '../../platform/keyset.js'
import type { PageRequest } from '../../platform/pagination.js'
import { ticketReplies } from './ticket-tables.js'

export type TicketReply = components['schemas']['TicketReply']
type NewReply = typeof ticketReplies.$inferInsert

const toReply = (row: typeof ticketReplies.$inferSelect): TicketReply => ({
  id: row.id,
  ticket_id: row.ticketId,
  author_id: row.authorId,
  message: row.message,
  created_at: row.createdAt.toISOString(),
})

const ofTicket = (tenantId: number, ticketId: string) =>
  and(eq(ticketReplies.tenantId, tenantId), eq(ticketReplies.ticketId, ticketId))

export const replyRepository = {
  async insert(tx: Transaction, values: NewReply): Promise<TicketReply> {
    const [row] = await tx.insert(ticketReplies).values(values).returning()
    return toReply(row)
  },

  async seqOf(executor: Executor, tenantId: number, ticketId: string, id: string): Promise<number | undefined> {
    const [row] = await executor
      .select({ seq: ticketReplies.seq })
      .from(ticketReplies)
      .where(and(ofTicket(tenantId, ticketId), eq(ticketReplies.id, id)))
    return row?.seq
  },

  async page(executor: Executor, tenantId: number, ticketId: string, page: PageRequest<number>): Promise<TicketReply[]> {
    const window = sequenceWindow(ticketReplies.seq, page)
    const rows = await executor
      .select()
      .from(ticketReplies)
      .where(and(ofTicket(tenantId, ticketId), window.beyondCursor))
      .orderBy(...window.order)
      .limit(window.limit)
    return rows.map(toReply)
  },
}

export type ReplyRepository = typeof replyRepository
