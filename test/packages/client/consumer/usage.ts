// Type-checked as a frontend project would import the packed client (test/packages/client/consumer.test.ts), once under
// `moduleResolution: bundler` and once under `nodenext`. Every `@ts-expect-error` must still be an error there:
// the types say no where they should, not only yes.
import { ApiError, createLivechatClient, type ApiResult, type LivechatClient } from '@livechat-api/client'
import type { APIResponse, ChatMessage, ChatSession, ErrorResponse, Pagination, StreamEvent, components, paths } from '@livechat-api/client/types'

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false
const holds = <Condition extends true>(): Condition | undefined => undefined

// The envelope types are the contract's own.
holds<Equal<Extract<APIResponse<ChatSession>, { success: true }>, components['schemas']['ChatSessionResponse']>>()
holds<Equal<Extract<APIResponse<ChatMessage[]>, { success: true }>, components['schemas']['ChatMessageListResponse']>>()
holds<Equal<Extract<APIResponse<ChatSession>, { success: false }>, ErrorResponse>>()
holds<Equal<Pagination['has_next'], boolean>>()
holds<Equal<keyof paths, keyof import('@livechat-api/client/types').paths>>()

export async function use(client: LivechatClient): Promise<void> {
  const started = await client.POST('/livechat/sessions', { body: {} })
  if (started.ok) holds<Equal<typeof started.data, ChatSession>>()
  else holds<Equal<typeof started.errors, Record<string, string[]>>>()

  // A tenant user's chat: 201 OPEN and 202 QUEUED are one success type; the agent is the API's choice.
  const asked = await client.POST('/livechat/client/sessions', { body: { subject: 'Cannot log in', message: 'Halo' } })
  if (asked.ok) holds<Equal<typeof asked.data, ChatSession>>()
  // @ts-expect-error the subject is text
  await client.POST('/livechat/client/sessions', { body: { subject: 42 } })
  const taken = await client.POST('/livechat/sessions/{id}/assign', { params: { path: { id: 'x' } } })
  if (taken.ok) holds<Equal<typeof taken.data.agent_id, number | null>>()
  // @ts-expect-error the queue is one status of the list, not a path of its own
  await client.GET('/livechat/sessions/queue')

  const sent = await client.POST('/livechat/sessions/{id}/messages', { params: { path: { id: 'x' } }, body: { message: 'hi' } })
  if (sent.ok) holds<Equal<typeof sent.data, ChatMessage>>()

  // @ts-expect-error the body needs `message`
  await client.POST('/livechat/sessions/{id}/messages', { params: { path: { id: 'x' } }, body: {} })
  // @ts-expect-error no such path
  await client.GET('/livechat/nowhere')
  // @ts-expect-error an event stream is not JSON: events() reads it
  await client.GET('/livechat/events')
  // @ts-expect-error presence is ONLINE or OFFLINE
  await client.PUT('/livechat/agents/me/presence', { body: { status: 'AWAY' } })

  const page = await client.GET('/livechat/sessions/{id}/messages', { params: { path: { id: 'x' }, query: { limit: 20, direction: 'prev' } } })
  if (page.ok) {
    holds<Equal<typeof page.data, ChatMessage[]>>()
    // A list's pagination is always there: no `?.`.
    const next: string | undefined = page.meta.pagination.next_cursor
    void next
  }

  for await (const message of client.items('/livechat/sessions/{id}/messages', { params: { path: { id: 'x' }, query: { direction: 'prev' } } })) {
    holds<Equal<typeof message, ChatMessage>>()
  }
  for await (const sessions of client.pages('/livechat/sessions', { params: { query: { status: 'OPEN' } } })) {
    holds<Equal<(typeof sessions.items)[number], ChatSession>>()
  }
  // @ts-expect-error a single session is not a list
  client.pages('/livechat/sessions/{id}', { params: { path: { id: 'x' } } })

  for await (const event of client.events({ side: 'agent' })) {
    holds<Equal<typeof event, StreamEvent>>()
    if (event.type === 'message.created') holds<Equal<typeof event.message, ChatMessage>>()
    if (event.type === 'session.queued') holds<Equal<typeof event.session.queue_position, number | null>>()
    if (event.type === 'session.assigned') holds<Equal<typeof event.previous_agent_id, number | null>>()
  }

  const result: ApiResult<ChatSession, components['schemas']['Meta']> = started
  if (!result.ok) throw new ApiError(result)
}

export const client = createLivechatClient({ baseUrl: 'http://localhost:3000', token: () => 'jwt', tenantId: 1 })
