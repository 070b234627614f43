import type { components } from '../../../generated/openapi.js'
import type { Actor } from '../../platform/actor.js'
import { InvalidRequestError, NotFoundError } from '../../platform/domain-errors.js'
import type { Executor, Transactions } from '../../platform/transactions.js'
import type { EventLog } from '../event-log/event-log.js'
import { readMoved, typing } from '../event-log/event-drafts.js'
import { SessionClosedError } from './livechat-errors.js'
import type { MessageRepository } from './message-repository.js'
import type { ReadRepository } from './read-repository.js'
import type { SessionRepository } from './session-repository.js'
import { createTypingLimiter } from './typing-limiter.js'

type SessionReadState = components['schemas']['SessionReadState']

type Dependencies = {
  transactions: Pick<Transactions, 'run' | 'executor'>
  sessionRepository: Pick<SessionRepository, 'findById' | 'findForReader'>
  messageRepository: Pick<MessageRepository, 'seqOf'>
  readRepository: ReadRepository
  events: Pick<EventLog, 'emit' | 'sendEphemeral'>
}

const typingInterval = 1000

/** What participants signal besides messages: that they are typing, and how far they have read. */
export function createConversationService({ transactions, sessionRepository, messageRepository, readRepository, events }: Dependencies) {
  const typingLimiter = createTypingLimiter(typingInterval)

  async function existingSession(executor: Executor, tenantId: number, sessionId: string) {
    const session = await sessionRepository.findById(executor, tenantId, sessionId)
    if (!session) throw new NotFoundError('Session')
    return session
  }

  const participant = (tenantId: number, session: { id: string; agent_id: number | null }, actor: Actor) => ({
    tenantId,
    sessionId: session.id,
    agentId: session.agent_id,
    userId: actor.userId,
    side: actor.asAgent ? ('agent' as const) : ('tenant' as const),
  })

  return {
    /** Whether the signal was forwarded; one per user and session per second is, the rest are dropped. */
    async typing(tenantId: number, sessionId: string, actor: Actor): Promise<boolean> {
      const executor = transactions.executor()
      const session = await existingSession(executor, tenantId, sessionId)
      if (session.status === 'CLOSED') throw new SessionClosedError()
      if (!typingLimiter.admit(tenantId, sessionId, actor.userId)) return false
      events.sendEphemeral(executor, typing(participant(tenantId, session, actor)))
      return true
    },

    /** Moves the reader's position forward to the message; the other side hears of it when it moved. */
    markRead: (tenantId: number, sessionId: string, actor: Actor, messageId: string): Promise<SessionReadState> =>
      transactions.run(async (tx) => {
        const session = await existingSession(tx, tenantId, sessionId)
        const seq = await messageRepository.seqOf(tx, tenantId, sessionId, messageId)
        if (seq === undefined) {
          throw new InvalidRequestError('MESSAGE_NOT_IN_SESSION', 'Invalid body', { message_id: ['No message of this session has this id'] })
        }
        const reader = { tenantId, sessionId, userId: actor.userId }
        const { moved, position } = await readRepository.advance(tx, reader, { seq, id: messageId })
        if (moved) events.emit(tx, readMoved(participant(tenantId, session, actor), position.lastReadMessageId, position.readAt))
        const unread = (await sessionRepository.findForReader(tx, tenantId, sessionId, actor.userId))!.unread_count
        return {
          session_id: sessionId,
          user_id: actor.userId,
          last_read_message_id: position.lastReadMessageId,
          read_at: position.readAt,
          unread_count: unread,
        }
      }),
  }
}

export type ConversationService = ReturnType<typeof createConversationService>
