import { and, eq } from 'drizzle-orm'
import type { components } from '../../../generated/openapi.js'
import type { Database } from '../../platform/database.js'
import { sequenceWindow } from '../../platform/keyset.js'
import type { PageRequest } from '../../platform/pagination.js'
import { chatMessages } from './livechat-tables.js'

export type ChatMessage = components['schemas']['ChatMessage']
export type NewMessage = { tenantId: number; id: string; sessionId: string; seq: number; senderId: number; message: string }

const toMessage = (row: Pick<typeof chatMessages.$inferSelect, 'id' | 'sessionId' | 'senderId' | 'message' | 'createdAt'>): ChatMessage => ({
  id: row.id,
  session_id: row.sessionId,
  sender_id: row.senderId,
  message: row.message,
  created_at: row.createdAt.toISOString(),
})

const inSession = (tenantId: number, sessionId: string) =>
  and(eq(chatMessages.tenantId, tenantId), eq(chatMessages.sessionId, sessionId))

export const messageRepository = {
  async insert(db: Database, values: NewMessage): Promise<ChatMessage> {
    const [row] = await db.insert(chatMessages).values(values).returning()
    return toMessage(row)
  },

  /** The position of a message in its session, or `undefined` when it is not a message of that session. */
  async seqOf(db: Database, tenantId: number, sessionId: string, id: string): Promise<number | undefined> {
    const [row] = await db
      .select({ seq: chatMessages.seq })
      .from(chatMessages)
      .where(and(inSession(tenantId, sessionId), eq(chatMessages.id, id)))
    return row?.seq
  },

  /** `limit + 1` messages in reading direction by position, served by the (tenant, session, seq) index. */
  async page(db: Database, tenantId: number, sessionId: string, page: PageRequest<number>): Promise<ChatMessage[]> {
    const window = sequenceWindow(chatMessages.seq, page)
    const rows = await db
      .select()
      .from(chatMessages)
      .where(and(inSession(tenantId, sessionId), window.beyondCursor))
      .orderBy(...window.order)
      .limit(window.limit)
    return rows.map(toMessage)
  },
}
