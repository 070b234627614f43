import { v7 as uuidv7 } from 'uuid'
import type { Database } from '../../platform/database.js'
import { InvalidCursorError, NotFoundError } from '../../platform/domain-errors.js'
import { toPage, type PageRequest } from '../../platform/pagination.js'
import type { NotificationService } from '../notifications/notification-service.js'
import { replyRepository, type TicketReply } from './reply-repository.js'
import { TicketClosedError, TicketTransitionError } from './ticket-errors.js'
import { ticketRepository, type Ticket, type TicketRecord, type TicketStatus } from './ticket-repository.js'

export type TicketService = ReturnType<typeof createTicketService>

/** Who acts: agents' replies notify the tenant, tenant users' do not. */
export type Actor = { userId: number; asAgent: boolean }

// OPEN → IN_PROGRESS → RESOLVED → CLOSED, and a RESOLVED ticket may be reopened.
const nextStatuses: Record<TicketStatus, readonly TicketStatus[]> = {
  OPEN: ['IN_PROGRESS'],
  IN_PROGRESS: ['RESOLVED'],
  RESOLVED: ['CLOSED', 'IN_PROGRESS'],
  CLOSED: [],
}

const publicTicket = ({ requesterRole: _internal, ...ticket }: TicketRecord): Ticket => ticket

type Dependencies = { db: Database; notifications: Pick<NotificationService, 'ticketReplyWritten'> }

export function createTicketService({ db, notifications }: Dependencies) {
  const requesterRole = (actor: Actor): TicketRecord['requesterRole'] => (actor.asAgent ? 'SUPPORT_AGENT' : 'TENANT_USER')

  async function existingTicket(executor: Database, tenantId: number, ticketId: string): Promise<TicketRecord> {
    const ticket = await ticketRepository.findById(executor, tenantId, ticketId)
    if (!ticket) throw new NotFoundError('Ticket')
    return ticket
  }

  /** Within the caller's transaction: the reply, and when an agent wrote it, its notification. */
  async function addReply(executor: Database, ticket: TicketRecord, author: Actor, message: string): Promise<TicketReply> {
    const seq = await ticketRepository.claimNextReplySeq(executor, ticket.tenant_id, ticket.id)
    if (seq === undefined) throw new TicketClosedError()
    const reply = await replyRepository.insert(executor, {
      tenantId: ticket.tenant_id,
      id: uuidv7(),
      ticketId: ticket.id,
      seq,
      authorId: author.userId,
      message,
    })
    if (author.asAgent) {
      await notifications.ticketReplyWritten(executor, {
        tenantId: ticket.tenant_id,
        ticketId: ticket.id,
        replyId: reply.id,
        authorId: author.userId,
        text: message,
        recipientId: ticket.requesterRole === 'TENANT_USER' ? ticket.requester_id : null,
      })
    }
    return reply
  }

  return {
    /**
     * Within the transaction that found the agent offline: opens a ticket, or reuses the live one for this
     * tenant and agent, and keeps `message` as a reply so a repeated attempt loses nothing.
     */
    async openForOfflineAgent(
      executor: Database,
      request: { tenantId: number; agentId: number; requester: Actor; subject?: string; message?: string },
    ): Promise<Ticket> {
      const { tenantId, agentId, requester } = request
      const values = {
        tenantId,
        id: uuidv7(),
        source: 'LIVECHAT_OFFLINE' as const,
        subject: request.subject ?? `Chat request while agent ${agentId} was offline`,
        requesterId: requester.userId,
        requesterRole: requesterRole(requester),
        agentId,
      }
      // On a conflict the other ticket has committed (the unique index waited for it), so it is visible.
      const ticket =
        (await ticketRepository.insertOfflineUnlessLive(executor, values)) ??
        (await ticketRepository.findLiveOffline(executor, tenantId, agentId))
      if (!ticket) throw new Error(`No live offline ticket for tenant ${tenantId}, agent ${agentId} after a conflict`)
      if (request.message !== undefined) await addReply(executor, ticket, requester, request.message)
      return publicTicket(ticket)
    },

    create: (tenantId: number, requester: Actor, request: { subject: string; message: string }): Promise<Ticket> =>
      db.transaction(async (tx) => {
        const ticket = await ticketRepository.insert(tx, {
          tenantId,
          id: uuidv7(),
          source: 'DIRECT',
          subject: request.subject,
          requesterId: requester.userId,
          requesterRole: requesterRole(requester),
          agentId: null,
        })
        await addReply(tx, ticket, requester, request.message)
        return publicTicket(ticket)
      }),

    get: async (tenantId: number, ticketId: string): Promise<Ticket> => publicTicket(await existingTicket(db, tenantId, ticketId)),

    async list(tenantId: number, status: TicketStatus | undefined, page: PageRequest) {
      if (page.cursor !== undefined && !(await ticketRepository.findById(db, tenantId, page.cursor))) throw new InvalidCursorError()
      const rows = await ticketRepository.page(db, tenantId, status, page)
      return toPage(rows.map(publicTicket), page, (ticket) => ticket.id)
    },

    /** Status changes follow the workflow under the ticket's row lock; setting the current status is a no-op. */
    update: (tenantId: number, ticketId: string, changes: { status?: TicketStatus; assignee_id?: number | null }): Promise<Ticket> =>
      db.transaction(async (tx) => {
        const ticket = await ticketRepository.lock(tx, tenantId, ticketId)
        if (!ticket) throw new NotFoundError('Ticket')
        const { status, assignee_id: assigneeId } = changes
        if (status !== undefined && status !== ticket.status && !nextStatuses[ticket.status].includes(status)) {
          throw new TicketTransitionError(ticket.status, status, nextStatuses[ticket.status])
        }
        const moved = status !== undefined && status !== ticket.status
        const reassigned = assigneeId !== undefined && assigneeId !== ticket.assignee_id
        if (!moved && !reassigned) return publicTicket(ticket)
        return publicTicket(await ticketRepository.update(tx, tenantId, ticketId, { status, assigneeId }))
      }),

    reply: (tenantId: number, ticketId: string, author: Actor, message: string): Promise<TicketReply> =>
      db.transaction(async (tx) => addReply(tx, await existingTicket(tx, tenantId, ticketId), author, message)),

    async listReplies(tenantId: number, ticketId: string, page: PageRequest) {
      await existingTicket(db, tenantId, ticketId)
      const cursorSeq = page.cursor === undefined ? undefined : await replyRepository.seqOf(db, tenantId, ticketId, page.cursor)
      if (page.cursor !== undefined && cursorSeq === undefined) throw new InvalidCursorError()
      const rows = await replyRepository.page(db, tenantId, ticketId, { ...page, cursor: cursorSeq })
      return toPage(rows, page, (reply) => reply.id)
    },
  }
}
