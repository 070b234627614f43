import { databaseUnavailableCode, PoolAcquireTimeoutError } from '../../platform/database-errors.js'
import { InvalidCursorError, NotFoundError } from '../../platform/domain-errors.js'
import { toPage, type PageRequest } from '../../platform/pagination.js'
import type { Transactions } from '../../platform/transactions.js'
import type { Actor } from '../../platform/actor.js'
import type { ChatMessage, MessageRepository } from './message-repository.js'
import type { MessageToSend, MessageWriter, SentMessage } from './message-writer.js'
import type { ChatSession, SessionFilter, SessionRepository } from './session-repository.js'

export type LivechatService = ReturnType<typeof createLivechatService>

type Dependencies = {
  transactions: Pick<Transactions, 'executor' | 'groupCommit'>
  sessionRepository: SessionRepository
  messageRepository: MessageRepository
  writeMessages: MessageWriter
  /** Longest a send may wait for its transaction to start (DB_ACQUIRE_TIMEOUT_MS): then 503, unwritten. */
  sendWaitMs: number
}

// Sends that arrive together share one transaction up to this many; more wait for the next.
const maxMessagesPerCommit = 256
// One transaction of a tenant at a time: a second would only wait for the tenant's event head, and smaller
// batches cost more CPU per message (measured with 1, 2 and 3).
const commitsInFlightPerTenant = 1

export function createLivechatService(dependencies: Dependencies) {
  const { transactions, sessionRepository, messageRepository, writeMessages, sendWaitMs } = dependencies
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

  return {
    getSession: sessionForReader,

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
