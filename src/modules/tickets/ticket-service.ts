import type { Actor } from '../../platform/actor.js'
import { isUniqueViolation } from '../../platform/database.js'
import { InvalidCursorError, NotFoundError } from '../../platform/domain-errors.js'
import { newId } from '../../platform/ids.js'
import { toPage, type PageRequest } from '../../platform/pagination.js'
import type { Executor, Transaction, Transactions } from '../../platform/transactions.js'
import type { NotificationService } from '../notifications/notification-service.js'
import type { ReplyRepository, TicketReply } from './reply-repository.js'
import { LiveOfflineTicketExistsError, TicketClosedError, TicketTransitionError } from './ticket-errors.js'
import type { MissedChatKey, Ticket, TicketRecord, TicketRepository, TicketStatus } from './ticket-repository.js'
import { liveNoAgentTicketIndex, liveOfflineTicketIndex, ticketStatuses } from './ticket-tables.js'

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

/** The key of a live missed-chat ticket, which a reopened one must not share with another live one. */
function missedChatKeyOf(ticket: Ticket): MissedChatKey | undefined {
  if (ticket.source === 'LIVECHAT_OFFLINE' && ticket.agent_id !== null) return { source: ticket.source, agentId: ticket.agent_id }
  if (ticket.source === 'LIVECHAT_NO_AGENT') return { source: ticket.source, requesterId: ticket.requester_id }
  return undefined
}

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
     * Within the transaction that found no one to chat with (the agent asked for is offline, or no agent of the
     * tenant is ONLINE): opens a ticket, or reuses the live one for this agent or requester, and keeps `message`
     * as a reply so a repeated attempt loses nothing.
     */
    async fileMissedChat(
      tx: Transaction,
      request: { tenantId: number; key: MissedChatKey; requester: Actor; subject?: string; message?: string },
    ): Promise<Ticket> {
      const { tenantId, key, requester } = request
      const values = {
        tenantId,
        id: newId(),
        source: key.source,
        subject: request.subject ?? (key.source === 'LIVECHAT_OFFLINE' ? `Chat request while agent ${key.agentId} was offline` : 'Chat request while no agent was online'),
        requesterId: requester.userId,
        requesterRole: requesterRole(requester),
        agentId: key.source === 'LIVECHAT_OFFLINE' ? key.agentId : null,
      }
      // A live ticket can be resolved between our conflict and our reply; then the next insert succeeds.
      for (let attempt = 1; attempt <= 3; attempt++) {
        const created = await ticketRepository.insertMissedChatUnlessLive(tx, key, values)
        const ticket = created ?? (await ticketRepository.findLiveMissedChat(tx, tenantId, key))
        if (!ticket) continue
        // A reused ticket keeps its subject; this attempt's own subject goes into its reply, not away.
        const ownSubject = request.subject !== undefined && request.subject !== ticket.subject ? request.subject : undefined
        const text = [ownSubject, request.message].filter((part) => part !== undefined).join('\n\n')
        if (text === '') return publicTicket(ticket)
        const replied = await addReply(tx, ticket, requester, text, created ? ticketStatuses : liveTicketStatuses)
        if (replied) return publicTicket(replied.ticket)
      }
      throw new Error(`Missed-chat ticket for tenant ${tenantId} (${JSON.stringify(key)}) kept changing status; gave up`)
    },

    /** Within the caller's transaction: a queued chat that waited too long, as a ticket with its messages as replies. */
    async fileQueueTimeout(
      tx: Transaction,
      request: { tenantId: number; requesterId: number; subject: string | null; messages: { senderId: number; message: string }[] },
    ): Promise<Ticket> {
      const requester = { userId: request.requesterId, asAgent: false }
      let ticket = await ticketRepository.insert(tx, {
        tenantId: request.tenantId,
        id: newId(),
        source: 'LIVECHAT_QUEUE_TIMEOUT',
        subject: request.subject ?? 'Chat request that waited in the queue',
        requesterId: request.requesterId,
        requesterRole: requesterRole(requester),
        agentId: null,
      })
      for (const message of request.messages) {
        ticket = (await addReply(tx, ticket, { userId: message.senderId, asAgent: message.senderId !== request.requesterId }, message.message, ticketStatuses))!.ticket
      }
      return publicTicket(ticket)
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
          const key = missedChatKeyOf(ticket)
          if (moved && status === 'IN_PROGRESS' && key) {
            const live = await ticketRepository.findLiveMissedChat(tx, tenantId, key)
            if (live && live.id !== ticket.id) throw new LiveOfflineTicketExistsError(live.id)
          }
          const reassigned = assigneeId !== undefined && assigneeId !== ticket.assignee_id
          if (!moved && !reassigned) return publicTicket(ticket)
          return publicTicket(await ticketRepository.update(tx, tenantId, ticketId, { status, assigneeId }))
        })
      } catch (error) {
        // Reopening races a new missed-chat ticket for the same key: the unique index decides, as above.
        if (!isUniqueViolation(error, liveOfflineTicketIndex) && !isUniqueViolation(error, liveNoAgentTicketIndex)) throw error
        const executor = transactions.executor()
        const ticket = await visibleTicket(executor, tenantId, ticketId, editor)
        const key = missedChatKeyOf(ticket)
        const live = key && (await ticketRepository.findLiveMissedChat(executor, tenantId, key))
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
