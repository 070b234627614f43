import { v7 as uuidv7 } from 'uuid'
import type { Database } from '../../platform/database.js'
import { InvalidCursorError, NotFoundError } from '../../platform/domain-errors.js'
import { toPage, type PageRequest } from '../../platform/pagination.js'
import type { PresenceService } from '../presence/presence-service.js'
import { ActiveSessionExistsError, AgentOfflineError, SessionClosedError } from './livechat-errors.js'
import { messageRepository, type ChatMessage } from './message-repository.js'
import { sessionRepository, type ChatSession, type SessionFilter } from './session-repository.js'

export type LivechatService = ReturnType<typeof createLivechatService>

type Dependencies = { db: Database; presence: Pick<PresenceService, 'statusOf'> }

export function createLivechatService({ db, presence }: Dependencies) {
  async function existingSession(executor: Database, tenantId: number, sessionId: string): Promise<ChatSession> {
    const session = await sessionRepository.findById(executor, tenantId, sessionId)
    if (!session) throw new NotFoundError('Session')
    return session
  }

  return {
    /** Starts an OPEN session with `agentId`; the agent must be ONLINE and have no OPEN session here. */
    startSession: (tenantId: number, agentId: number): Promise<ChatSession> =>
      db.transaction(async (tx) => {
        const open = await sessionRepository.findOpenByAgent(tx, tenantId, agentId)
        if (open) throw new ActiveSessionExistsError(open.id)
        if ((await presence.statusOf(tenantId, agentId, tx)) !== 'ONLINE') throw new AgentOfflineError(agentId)
        const started = await sessionRepository.insertOpen(tx, tenantId, uuidv7(), agentId)
        if (started) return started
        // A concurrent start won the unique index between our check and our insert.
        const winner = await sessionRepository.findOpenByAgent(tx, tenantId, agentId)
        throw new ActiveSessionExistsError(winner?.id ?? 'unknown')
      }),

    getSession: (tenantId: number, sessionId: string): Promise<ChatSession> => existingSession(db, tenantId, sessionId),

    /** Idempotent: closing a CLOSED session returns it unchanged. */
    async closeSession(tenantId: number, sessionId: string): Promise<ChatSession> {
      return (await sessionRepository.close(db, tenantId, sessionId)) ?? existingSession(db, tenantId, sessionId)
    },

    async listSessions(tenantId: number, filter: SessionFilter, page: PageRequest) {
      if (page.cursor !== undefined && !(await sessionRepository.findById(db, tenantId, page.cursor))) {
        throw new InvalidCursorError()
      }
      return toPage(await sessionRepository.page(db, tenantId, filter, page), page, (session) => session.id)
    },

    sendMessage: (tenantId: number, sessionId: string, senderId: number, text: string): Promise<ChatMessage> =>
      db.transaction(async (tx) => {
        const seq = await sessionRepository.claimNextMessageSeq(tx, tenantId, sessionId)
        if (seq === undefined) {
          await existingSession(tx, tenantId, sessionId)
          throw new SessionClosedError()
        }
        return messageRepository.insert(tx, { tenantId, id: uuidv7(), sessionId, seq, senderId, message: text })
      }),

    async listMessages(tenantId: number, sessionId: string, page: PageRequest) {
      await existingSession(db, tenantId, sessionId)
      const cursorSeq = page.cursor === undefined ? undefined : await messageRepository.seqOf(db, tenantId, sessionId, page.cursor)
      if (page.cursor !== undefined && cursorSeq === undefined) throw new InvalidCursorError()
      const rows = await messageRepository.page(db, tenantId, sessionId, { ...page, cursor: cursorSeq })
      return toPage(rows, page, (message) => message.id)
    },
  }
}
