import { v7 as uuidv7 } from 'uuid'
import type { Database } from '../../platform/database.js'
import { InvalidCursorError, NotFoundError } from '../../platform/domain-errors.js'
import { toPage, type PageRequest } from '../../platform/pagination.js'
import type { NotificationService } from '../notifications/notification-service.js'
import type { PresenceService } from '../presence/presence-service.js'
import type { Actor } from '../../platform/actor.js'
import type { EventLog, EventTransaction } from '../streams/event-log.js'
import { messageCreated, sessionChanged } from '../streams/event-drafts.js'
import type { TicketService } from '../tickets/ticket-service.js'
import { ActiveSessionExistsError, AgentOfflineError, SessionClosedError, SessionStartRaceError } from './livechat-errors.js'
import { messageRepository, type ChatMessage } from './message-repository.js'
import { sessionRepository, type ChatSession, type SessionFilter, type SessionRecord } from './session-repository.js'

export type LivechatService = ReturnType<typeof createLivechatService>

type Dependencies = {
  db: Database
  presence: Pick<PresenceService, 'effective'>
  tickets: Pick<TicketService, 'openForOfflineAgent'>
  notifications: Pick<NotificationService, 'chatMessageWritten'>
  events: Pick<EventLog, 'transaction' | 'emit'>
}

type StartSessionRequest = { agentId: number; subject?: string; message?: string }

export function createLivechatService({ db, presence, tickets, notifications, events }: Dependencies) {
  async function existingSession(executor: Database, tenantId: number, sessionId: string): Promise<SessionRecord> {
    const session = await sessionRepository.findById(executor, tenantId, sessionId)
    if (!session) throw new NotFoundError('Session')
    return session
  }

  async function sessionForReader(tenantId: number, sessionId: string, readerId: number): Promise<ChatSession> {
    const session = await sessionRepository.findForReader(db, tenantId, sessionId, readerId)
    if (!session) throw new NotFoundError('Session')
    return session
  }

  /** Within the caller's transaction: the message, and when an agent wrote it, its notification. */
  async function addMessage(executor: EventTransaction, tenantId: number, sessionId: string, sender: Actor, text: string) {
    const claimed = await sessionRepository.claimNextMessageSeq(executor, tenantId, sessionId)
    if (!claimed) {
      await existingSession(executor, tenantId, sessionId)
      throw new SessionClosedError()
    }
    const message = await messageRepository.insert(executor, {
      tenantId,
      id: uuidv7(),
      sessionId,
      seq: claimed.seq,
      senderId: sender.userId,
      message: text,
    })
    events.emit(executor, messageCreated(tenantId, claimed.session.agent_id, message))
    if (sender.asAgent) {
      await notifications.chatMessageWritten(executor, { tenantId, sessionId, messageId: message.id, authorId: sender.userId, text })
    }
    return { message, session: claimed.session }
  }

  return {
    /**
     * Starts an OPEN session with the agent. When the agent is offline, a ticket keeps the request, in the
     * same transaction as that decision, and the 400 names it.
     */
    async startSession(tenantId: number, requester: Actor, request: StartSessionRequest): Promise<ChatSession> {
      const { agentId } = request
      const outcome = await events.transaction(async (tx) => {
        const open = await sessionRepository.findOpenByAgent(tx, tenantId, agentId)
        if (open) throw new ActiveSessionExistsError(open.id)
        if ((await presence.effective(tenantId, agentId, tx)).status !== 'ONLINE') {
          return { offlineTicket: await tickets.openForOfflineAgent(tx, { tenantId, requester, ...request }) }
        }
        const session = await sessionRepository.insertOpen(tx, tenantId, uuidv7(), agentId)
        if (!session) {
          // A concurrent start won the unique index between our check and our insert (and has committed).
          const winner = await sessionRepository.findOpenByAgent(tx, tenantId, agentId)
          throw winner ? new ActiveSessionExistsError(winner.id) : new SessionStartRaceError()
        }
        events.emit(tx, sessionChanged(session))
        if (request.message === undefined) return { session }
        return { session: (await addMessage(tx, tenantId, session.id, requester, request.message)).session }
      })
      // Thrown after the commit, so the ticket stays.
      if (outcome.offlineTicket) throw new AgentOfflineError(agentId, outcome.offlineTicket.id)
      // The only message of a new session is the requester's own: nothing in it is unread for them.
      return { ...outcome.session, unread_count: 0 }
    },

    getSession: sessionForReader,

    /** Idempotent: closing a CLOSED session returns it unchanged. */
    async closeSession(tenantId: number, sessionId: string, readerId: number): Promise<ChatSession> {
      await events.transaction(async (tx) => {
        const closed = await sessionRepository.close(tx, tenantId, sessionId)
        if (closed) events.emit(tx, sessionChanged(closed))
      })
      return sessionForReader(tenantId, sessionId, readerId)
    },

    async listSessions(tenantId: number, readerId: number, filter: SessionFilter, page: PageRequest) {
      if (page.cursor !== undefined && !(await sessionRepository.findById(db, tenantId, page.cursor))) {
        throw new InvalidCursorError()
      }
      return toPage(await sessionRepository.page(db, tenantId, readerId, filter, page), page, (session) => session.id)
    },

    /** For streams that follow one session: which of these tenants has it. */
    sessionTenant: (tenantIds: number[], sessionId: string): Promise<number | undefined> => sessionRepository.tenantOf(db, tenantIds, sessionId),

    sendMessage: (tenantId: number, sessionId: string, sender: Actor, text: string): Promise<ChatMessage> =>
      events.transaction(async (tx) => (await addMessage(tx, tenantId, sessionId, sender, text)).message),

    async listMessages(tenantId: number, sessionId: string, page: PageRequest) {
      await existingSession(db, tenantId, sessionId)
      const cursorSeq = page.cursor === undefined ? undefined : await messageRepository.seqOf(db, tenantId, sessionId, page.cursor)
      if (page.cursor !== undefined && cursorSeq === undefined) throw new InvalidCursorError()
      const rows = await messageRepository.page(db, tenantId, sessionId, { ...page, cursor: cursorSeq })
      return toPage(rows, page, (message) => message.id)
    },
  }
}
