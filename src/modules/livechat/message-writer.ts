import type { Actor } from '../../platform/actor.js'
import { NotFoundError } from '../../platform/domain-errors.js'
import type { Outcome } from '../../platform/group-commit.js'
import { newId } from '../../platform/ids.js'
import type { Executor, Transaction } from '../../platform/transactions.js'
import type { NotificationService } from '../notifications/notification-service.js'
import type { EventLog } from '../event-log/event-log.js'
import { messageCreated } from '../event-log/event-drafts.js'
import { SessionClosedError } from './livechat-errors.js'
import type { ChatMessage, MessageRepository } from './message-repository.js'
import type { SessionRecord, SessionRepository } from './session-repository.js'

export type MessageToSend = { sessionId: string; sender: Actor; text: string }
export type SentMessage = { message: ChatMessage; session: SessionRecord }

type Dependencies = {
  sessionRepository: Pick<SessionRepository, 'claimMessageSeqs' | 'findById'>
  messageRepository: Pick<MessageRepository, 'insertMany'>
  notifications: Pick<NotificationService, 'chatMessagesWritten'>
  events: Pick<EventLog, 'emit'>
}

/**
 * Writes a tenant's messages within the caller's transaction in the same few statements however many
 * there are: their positions in their sessions, the messages, the notifications of those agents wrote,
 * and their events. Each message has its own outcome: one into a missing or closed session fails alone.
 */
export function createMessageWriter({ sessionRepository, messageRepository, notifications, events }: Dependencies) {
  /** Why messages cannot go into these sessions: each is missing from the tenant (404) or closed. */
  async function refusals(executor: Executor, tenantId: number, sessionIds: string[]): Promise<Map<string, Error>> {
    const reasons = new Map<string, Error>()
    for (const sessionId of sessionIds) {
      const session = await sessionRepository.findById(executor, tenantId, sessionId)
      reasons.set(sessionId, session ? new SessionClosedError() : new NotFoundError('Session'))
    }
    return reasons
  }

  return async function writeMessages(tx: Transaction, tenantId: number, sends: MessageToSend[]): Promise<Outcome<SentMessage>[]> {
    const counts = new Map<string, number>()
    for (const send of sends) counts.set(send.sessionId, (counts.get(send.sessionId) ?? 0) + 1)
    const claimed = await sessionRepository.claimMessageSeqs(tx, tenantId, counts)
    const refused = await refusals(tx, tenantId, [...counts.keys()].filter((sessionId) => !claimed.has(sessionId)))

    // Each session's claimed numbers go to its messages in arrival order.
    const nextSeq = new Map([...claimed].map(([sessionId, claim]) => [sessionId, claim.lastSeq - counts.get(sessionId)! + 1]))
    const accepted = sends.filter((send) => claimed.has(send.sessionId))
    const newMessages = accepted.map((send) => {
      const seq = nextSeq.get(send.sessionId)!
      nextSeq.set(send.sessionId, seq + 1)
      return { id: newId(), sessionId: send.sessionId, seq, senderId: send.sender.userId, message: send.text }
    })
    const byAgents = accepted.flatMap((send, index) =>
      send.sender.asAgent ? [{ sessionId: send.sessionId, messageId: newMessages[index].id, authorId: send.sender.userId, text: send.text }] : [],
    )
    // Sent together on the transaction's connection: the notifications need only the ids made here.
    const [stored, notified] = await Promise.all([
      accepted.length > 0 ? messageRepository.insertMany(tx, tenantId, newMessages) : [],
      byAgents.length > 0 ? notifications.chatMessagesWritten(tx, tenantId, byAgents) : undefined,
    ])
    for (const message of stored) events.emit(tx, messageCreated(tenantId, claimed.get(message.session_id)!.session.agent_id, message))
    notified?.announce()

    let next = 0
    return sends.map((send) => {
      const claim = claimed.get(send.sessionId)
      return claim ? { ok: true, value: { message: stored[next++], session: claim.session } } : { ok: false, error: refused.get(send.sessionId) }
    })
  }
}

export type MessageWriter = ReturnType<typeof createMessageWriter>
