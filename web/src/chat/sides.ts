import type { ApiResult, ChatMessage, ChatSession, LivechatClient, Page } from '@livechat-api/client'

/**
 * The calls of a conversation, on the agent's side or the tenant user's: the same chat through two sets of
 * operations (`/livechat/sessions/…` and `/livechat/client/sessions/…`).
 */
export type ChatSide = {
  sessions: (status?: ChatSession['status']) => AsyncGenerator<Page<ChatSession>>
  session: (id: string) => Promise<ApiResult<ChatSession, unknown>>
  /** The history, latest page first, reading back. */
  history: (id: string) => AsyncGenerator<Page<ChatMessage>>
  /** `key`: the same for every resend of one draft, so a send that did arrive is not written twice. */
  send: (id: string, message: string, key: string) => Promise<ApiResult<ChatMessage, unknown>>
  typing: (id: string) => Promise<unknown>
  read: (id: string, messageId: string) => Promise<unknown>
}

const pageSize = 30

export function agentSide(client: LivechatClient): ChatSide {
  const path = (id: string) => ({ path: { id } })
  return {
    sessions: (status) => client.pages('/livechat/sessions', { params: { query: { status, limit: pageSize } } }),
    session: (id) => client.GET('/livechat/sessions/{id}', { params: path(id) }),
    history: (id) => client.pages('/livechat/sessions/{id}/messages', { params: { ...path(id), query: { direction: 'prev', limit: pageSize } } }),
    send: (id, message, key) => client.POST('/livechat/sessions/{id}/messages', { params: { ...path(id), header: { 'Idempotency-Key': key } }, body: { message } }),
    typing: (id) => client.POST('/livechat/sessions/{id}/typing', { params: path(id) }),
    read: (id, messageId) => client.POST('/livechat/sessions/{id}/read', { params: path(id), body: { message_id: messageId } }),
  }
}

export function tenantSide(client: LivechatClient): ChatSide {
  const path = (id: string) => ({ path: { id } })
  return {
    sessions: (status) => client.pages('/livechat/client/sessions', { params: { query: { status, limit: pageSize } } }),
    session: (id) => client.GET('/livechat/client/sessions/{id}', { params: path(id) }),
    history: (id) => client.pages('/livechat/client/sessions/{id}/messages', { params: { ...path(id), query: { direction: 'prev', limit: pageSize } } }),
    send: (id, message, key) => client.POST('/livechat/client/sessions/{id}/messages', { params: { ...path(id), header: { 'Idempotency-Key': key } }, body: { message } }),
    typing: (id) => client.POST('/livechat/client/sessions/{id}/typing', { params: path(id) }),
    read: (id, messageId) => client.POST('/livechat/client/sessions/{id}/read', { params: path(id), body: { message_id: messageId } }),
  }
}
