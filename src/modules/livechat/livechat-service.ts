import { databaseUnavailableCode, PoolAcquireTimeoutError } from '../../platform/database-errors.js'
import type { Outcome } from '../../platform/group-commit.js'
import { InvalidCursorError, NotFoundError } from '../../platform/domain-errors.js'
import { newId } from '../../platform/ids.js'
import { toPage, type PageRequest } from '../../platform/pagination.js'
import type { Transaction, Transactions } from '../../platform/transactions.js'
import type { NotificationService } from '../notifications/notification-service.js'
import type { PresenceService } from '../presence/presence-service.js'
import type { Actor } from '../../platform/actor.js'
import type { EventLog } from '../event-log/event-log.js'
import { sessionChanged } from '../event-log/event-drafts.js'
import type { TicketService } from '../tickets/ticket-service.js'
import { ActiveSessionExistsError, AgentOfflineError, SessionStartRaceError } from './livechat-errors.js'
import type { ChatMessage, MessageRepository } from './message-repository.js'
import { createMessageWriter, type MessageToSend, type SentMessage } from './message-writer.js'
import type { ChatSession, SessionFilter, SessionRepository } from './session-repository.js'

export type LivechatService = ReturnType<typeof createLivechatService>

type Dependencies = {
  transactions: Pick<Transactions, 'run' | 'executor' | 'groupCommit'>
  sessionRepository: SessionRepository
  messageRepository: MessageRepository
  presence: Pick<PresenceService, 'effectiveIn'>
  tickets: Pick<TicketService, 'openForOfflineAgent'>
  notifications: Pick<NotificationService, 'chatMessagesWritten'>
  events: Pick<EventLog, 'emit'>
  /** Longest a send may wait for its transaction to start (DB_ACQUIRE_TIMEOUT_MS): then 503, unwritten. */
  sendWaitMs: number
}

type StartSessionRequest = { agentId: number; subject?: string; message?: string }

// Sends that arrive together share one transaction up to this many; more wait for the next.
const maxMessagesPerCommit = 256
// One transaction of a tenant at a time: a second would only wait for the tenant's event head, and smaller
// batches cost more CPU per message (measured with 1, 2 and 3).
const commitsInFlightPerTenant = 1

const unwrapped = <Result>(outcome: Outcome<Result>): Result => {
  if (!outcome.ok) throw outcome.error
  return outcome.value
}

export function createLivechatService(dependencies: Dependencies) {
  const { transactions, sessionRepository, messageRepository, presence, tickets, notifications, events, sendWaitMs } = dependencies
  const writeMessages = createMessageWriter({ sessionRepository, messageRepository, notifications, events })
  // Concurrent sends of a tenant would queue for its event head's lock, one commit each; they commit together
  // instead. A send inside an idempotent request's transaction is written in it (the runner decides).
  const sends = transactions.groupCommit<MessageToSend & { tenantId: number }, SentMessage>({
    keyOf: (send) => send.tenantId,
    maxBatchSize: maxMessagesPerCommit,
    maxBatchesInFlight: commitsInFlightPerTenant,
    maxWaitMs: sendWaitMs,
    waitedTooLong: () => new PoolAcquireTimeoutError(sendWaitMs),
    write: (tx, batch) => writeMessages(tx, batch[0].tenantId, batch),
    failsEveryItem: (error) => databaseUnavailableCode(error) !== undefined,
  })

  async function sessionForReader(tenantId: number, sessionId: string, readerId: number): Promise<ChatSession> {
    const session = await sessionRepository.findForReader(transactions.executor(), tenantId, sessionId, readerId)
    if (!session) throw new NotFoundError('Session')
    return session
  }

  /** Within `tx`: the session, or the offline ticket that keeps the request when the agent is not ONLINE. */
  async function openSession(tx: Transaction, tenantId: number, requester: Actor, request: StartSessionRequest) {
    const { agentId } = request
    const open = await sessionRepository.findOpenByAgent(tx, tenantId, agentId)
    if (open) throw new ActiveSessionExistsError(open.id)
    if ((await presence.effectiveIn(tx, tenantId, agentId)).status !== 'ONLINE') {
      return { offlineTicket: await tickets.openForOfflineAgent(tx, { tenantId, requester, ...request }) }
    }
    const session = await sessionRepository.insertOpen(tx, tenantId, newId(), agentId)
    if (!session) {
      // A concurrent start won the unique index between our check and our insert (and has committed).
      const winner = await sessionRepository.findOpenByAgent(tx, tenantId, agentId)
      throw winner ? new ActiveSessionExistsError(winner.id) : new SessionStartRaceError()
    }
    events.emit(tx, sessionChanged(session))
    if (request.message === undefined) return { session }
    const send = { sessionId: session.id, sender: requester, text: request.message }
    return { session: unwrapped((await writeMessages(tx, tenantId, [send]))[0]).session }
  }

  return {
    /**
     * Starts an OPEN session with the agent. When the agent is offline, a ticket keeps the request, in the
     * same transaction as that decision, and the 400 names it.
     */
    async startSession(tenantId: number, requester: Actor, request: StartSessionRequest): Promise<ChatSession> {
      const outcome = await transactions.run((tx) => openSession(tx, tenantId, requester, request))
      // Thrown after the commit, so the ticket stays.
      if (outcome.offlineTicket) throw new AgentOfflineError(request.agentId, outcome.offlineTicket.id)
      // The only message of a new session is the requester's own: nothing in it is unread for them.
      return { ...outcome.session, unread_count: 0 }
    },

    getSession: sessionForReader,

    /** Idempotent: closing a CLOSED session returns it unchanged. */
    async closeSession(tenantId: number, sessionId: string, readerId: number): Promise<ChatSession> {
      await transactions.run(async (tx) => {
        const closed = await sessionRepository.close(tx, tenantId, sessionId)
        if (closed) events.emit(tx, sessionChanged(closed))
      })
      return sessionForReader(tenantId, sessionId, readerId)
    },

    async listSessions(tenantId: number, readerId: number, filter: SessionFilter, page: PageRequest) {
      const executor = transactions.executor()
      if (page.cursor !== undefined && !(await sessionRepository.findById(executor, tenantId, page.cursor))) {
        throw new InvalidCursorError()
      }
      return toPage(await sessionRepository.page(executor, tenantId, readerId, filter, page), page, (session) => session.id)
    },

    /** For streams that follow one session: which of these tenants has it. */
    sessionTenant: (tenantIds: number[], sessionId: string): Promise<number | undefined> =>
      sessionRepository.tenantOf(transactions.executor(), tenantIds, sessionId),

    /** Answers once the message is committed; alone, or with those sent at the same time. */
    async sendMessage(tenantId: number, sessionId: string, sender: Actor, text: string): Promise<ChatMessage> {
      return (await sends.submit({ tenantId, sessionId, sender, text })).message
    },

    async listMessages(tenantId: number, sessionId: string, page: PageRequest) {
      const { sessionFound, cursorFound, messages } = await messageRepository.page(transactions.executor(), tenantId, sessionId, page)
      if (!sessionFound) throw new NotFoundError('Session')
      if (!cursorFound) throw new InvalidCursorError()
      return toPage(messages, page, (message) => message.id)
    },
  }
}
