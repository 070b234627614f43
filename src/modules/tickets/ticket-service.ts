import type { Actor } from '../../platform/actor.js'
import { isUniqueViolation } from '../../platform/database.js'
import { InvalidCursorError, NotFoundError } from '../../platform/domain-errors.js'
import { newId } from '../../platform/ids.js'
import { toPage, type PageRequest } from '../../platform/pagination.js'
import type { Executor, Transaction, Transactions } from '../../platform/transactions.js'
import type { NotificationService } from '../notifications/notification-service.js'
import type { ReplyRepository, TicketReply } from './reply-repository.js'
import { LiveOfflineTicketExistsError, TicketClosedError, TicketTransitionError } from './ticket-errors.js'
import type { Ticket, TicketRecord, TicketRepository, TicketStatus } from './ticket-repository.js'
import { liveOfflineTicketIndex, ticketStatuses } from './ticket-tables.js'

export type TicketService = ReturnType<typeof createTicketService>

// OPEN → IN_PROGRESS → RESOLVED → CLOSED, and a RESOLVED ticket may be reopened.
const nextStatuses: Record<TicketStatus, readonly TicketStatus[]> = {
  OPEN: ['IN_PROGRESS'],
  IN_PROGRESS: ['RESOLVED'],
  RESOLVED: ['CLOSED', 'IN_PROGRESS'],
  CLOSED: [],
}

// Replies are taken until a ticket is CLOSED; an offline attempt only reuses a live (not yet RESOLVED) one.
const replyableStatuses: readonly TicketStatus[] = ['OPEN', 'IN_PROGRESS', 'RESOLVED']
const liveTicketStatuses: readonly TicketStatus[] = ['OPEN', 'IN_PROGRESS']

const publicTicket = ({ requesterRole: _internal, ...ticket }: TicketRecord): Ticket => ticket

type Dependencies = {
  transactions: Pick<Transactions, 'run' | 'executor'>
  ticketRepository: TicketRepository
  replyRepository: ReplyRepository
  notifications: Pick<NotificationService, 'ticketReplyWritten'>
}

export function createTicketService({ transactions, ticketRepository, replyRepository, notifications }: Dependencies) {
  const requesterRole = (actor: Actor): TicketRecord['requesterRole'] => (actor.asAgent ? 'SUPPORT_AGENT' : 'TENANT_USER')

  /** A ticket the viewer may see; any other does not exist for them (404), like another tenant's. */
  async function visibleTicket(executor: Executor, tenantId: number, ticketId: string, viewer: Actor): Promise<TicketRecord> {
    const ticket = await ticketRepository.findVisible(executor, tenantId, ticketId, viewer)
    if (!ticket) throw new NotFoundError('Ticket')
    return ticket
  }

  /**
   * Within the caller's transaction: the reply, and when an agent wrote it, its notification, if the ticket
   * is in one of `statuses`. Returns the reply and the ticket as it is after it, or `undefined`.
   */
  async function addReply(tx: Transaction, ticket: TicketRecord, author: Actor, message: string, statuses: readonly TicketStatus[]) {
    const claimed = await ticketRepository.claimNextReplySeq(tx, ticket.tenant_id, ticket.id, statuses)
    if (!claimed) return undefined
    const reply = await replyRepository.insert(tx, {
      tenantId: ticket.tenant_id,
      id: newId(),
      ticketId: ticket.id,
      seq: claimed.seq,
      authorId: author.userId,
      message,
    })
    if (author.asAgent) {
      await notifications.ticketReplyWritten(tx, {
        tenantId: ticket.tenant_id,
        ticketId: ticket.id,
        replyId: reply.id,
        authorId: author.userId,
        text: message,
        recipientId: ticket.requesterRole === 'TENANT_USER' ? ticket.requester_id : null,
      })
    }
    return { reply, ticket: claimed.ticket }
  }

  return {
    /**
     * Within the transaction that found the agent offline: opens a ticket, or reuses the live one for this
     * tenant and agent, and keeps `message` as a reply so a repeated attempt loses nothing.
     */
    async openForOfflineAgent(
      tx: Transaction,
      request: { tenantId: number; agentId: number; requester: Actor; subject?: string; message?: string },
    ): Promise<Ticket> {
      const { tenantId, agentId, requester } = request
      const values = {
        tenantId,
        id: newId(),
        source: 'LIVECHAT_OFFLINE' as const,
        subject: request.subject ?? `Chat request while agent ${agentId} was offline`,
        requesterId: requester.userId,
        requesterRole: requesterRole(requester),
        agentId,
      }
      // A live ticket can be resolved between our conflict and our reply; then the next insert succeeds.
      for (let attempt = 1; attempt <= 3; attempt++) {
        const created = await ticketRepository.insertOfflineUnlessLive(tx, values)
        const ticket = created ?? (await ticketRepository.findLiveOffline(tx, tenantId, agentId))
        if (!ticket) continue
        // A reused ticket keeps its subject; this attempt's own subject goes into its reply, not away.
        const ownSubject = request.subject !== undefined && request.subject !== ticket.subject ? request.subject : undefined
        const text = [ownSubject, request.message].filter((part) => part !== undefined).join('\n\n')
        if (text === '') return publicTicket(ticket)
        const replied = await addReply(tx, ticket, requester, text, created ? ticketStatuses : liveTicketStatuses)
        if (replied) return publicTicket(replied.ticket)
      }
      throw new Error(`Offline ticket for tenant ${tenantId}, agent ${agentId} kept changing status; gave up`)
    },

    create: (tenantId: number, requester: Actor, request: { subject: string; message: string }): Promise<Ticket> =>
      transactions.run(async (tx) => {
        const ticket = await ticketRepository.insert(tx, {
          tenantId,
          id: newId(),
          source: 'DIRECT',
          subject: request.subject,
          requesterId: requester.userId,
          requesterRole: requesterRole(requester),
          agentId: null,
        })
        // A ticket inserted by this transaction is OPEN, so its first reply is always taken.
        const replied = await addReply(tx, ticket, requester, request.message, ticketStatuses)
        return publicTicket(replied!.ticket)
      }),

    get: async (tenantId: number, ticketId: string, viewer: Actor): Promise<Ticket> =>
      publicTicket(await visibleTicket(transactions.executor(), tenantId, ticketId, viewer)),

    async list(tenantId: number, viewer: Actor, status: TicketStatus | undefined, page: PageRequest) {
      const executor = transactions.executor()
      if (page.cursor !== undefined && !(await ticketRepository.findVisible(executor, tenantId, page.cursor, viewer))) {
        throw new InvalidCursorError()
      }
      const rows = await ticketRepository.page(executor, tenantId, viewer, status, page)
      return toPage(rows.map(publicTicket), page, (ticket) => ticket.id)
    },

    /** Status changes follow the workflow under the ticket's row lock; setting the current status is a no-op. */
    async update(
      tenantId: number,
      ticketId: string,
      editor: Actor,
      changes: { status?: TicketStatus; assignee_id?: number | null },
    ): Promise<Ticket> {
      try {
        return await transactions.run(async (tx) => {
          const ticket = await ticketRepository.lock(tx, tenantId, ticketId, editor)
          if (!ticket) throw new NotFoundError('Ticket')
          const { status, assignee_id: assigneeId } = changes
          const moved = status !== undefined && status !== ticket.status
          if (moved && !nextStatuses[ticket.status].includes(status)) {
            throw new TicketTransitionError(ticket.status, status, nextStatuses[ticket.status])
          }
          if (moved && status === 'IN_PROGRESS' && ticket.source === 'LIVECHAT_OFFLINE' && ticket.agent_id !== null) {
            const live = await ticketRepository.findLiveOffline(tx, tenantId, ticket.agent_id)
            if (live && live.id !== ticket.id) throw new LiveOfflineTicketExistsError(live.id)
          }
          const reassigned = assigneeId !== undefined && assigneeId !== ticket.assignee_id
          if (!moved && !reassigned) return publicTicket(ticket)
          return publicTicket(await ticketRepository.update(tx, tenantId, ticketId, { status, assigneeId }))
        })
      } catch (error) {
        // Reopening races a new offline ticket for the same agent: the unique index decides, as above.
        if (!isUniqueViolation(error, liveOfflineTicketIndex)) throw error
        const executor = transactions.executor()
        const ticket = await visibleTicket(executor, tenantId, ticketId, editor)
        const live = ticket.agent_id === null ? undefined : await ticketRepository.findLiveOffline(executor, tenantId, ticket.agent_id)
        throw new LiveOfflineTicketExistsError(live?.id)
      }
    },

    reply: (tenantId: number, ticketId: string, author: Actor, message: string): Promise<TicketReply> =>
      transactions.run(async (tx) => {
        const replied = await addReply(tx, await visibleTicket(tx, tenantId, ticketId, author), author, message, replyableStatuses)
        if (!replied) throw new TicketClosedError()
        return replied.reply
      }),

    async listReplies(tenantId: number, ticketId: string, viewer: Actor, page: PageRequest) {
      const executor = transactions.executor()
      await visibleTicket(executor, tenantId, ticketId, viewer)
      const cursorSeq = page.cursor === undefined ? undefined : await replyRepository.seqOf(executor, tenantId, ticketId, page.cursor)
      if (page.cursor !== undefined && cursorSeq === undefined) throw new InvalidCursorError()
      const rows = await replyRepository.page(executor, tenantId, ticketId, { ...page, cursor: cursorSeq })
      return toPage(rows, page, (reply) => reply.id)
    },
  }
}
