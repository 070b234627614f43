import type { Test } from 'tap'
import type { OperationId, ResponseBody, Status } from './operation-types.js'
import type { TestApp } from './test-app.js'

export const adminHeaders = (context: TestApp) => ({
  authorization: `Bearer ${context.token({ sub: 9000, roles: ['PLATFORM_ADMIN'], tenants: [] })}`,
})

export async function createTenant(t: Test, context: TestApp, name = 'Acme', active = true): Promise<number> {
  const response = await context.call(t, 'createTenant', {
    method: 'POST',
    url: '/admin/tenants',
    headers: adminHeaders(context),
    payload: { name, active },
  })
  t.equal(response.statusCode, 201, 'tenant created')
  return response.json().data.id
}

/** Headers of a SUPPORT_AGENT acting for `tenantId`; `tenants` defaults to just that tenant. */
export const agentHeaders = (context: TestApp, tenantId: number, agentId = 1, tenants = [tenantId]) => ({
  authorization: `Bearer ${context.token({ sub: agentId, roles: ['SUPPORT_AGENT'], tenants })}`,
  'x-tenant-id': String(tenantId),
})

export async function setPresence(t: Test, context: TestApp, tenantId: number, agentId: number, status: 'ONLINE' | 'OFFLINE') {
  const response = await context.call(t, 'setMyPresence', {
    method: 'PUT',
    url: '/livechat/agents/me/presence',
    headers: agentHeaders(context, tenantId, agentId),
    payload: { status },
  })
  t.equal(response.statusCode, 200, `agent ${agentId} is ${status}`)
}

/** An OPEN session between the tenant and an agent who is put ONLINE first. */
export async function openSession(t: Test, context: TestApp, tenantId: number, agentId = 1): Promise<string> {
  await setPresence(t, context, tenantId, agentId, 'ONLINE')
  const response = await context.call(t, 'startSession', {
    method: 'POST',
    url: '/livechat/sessions',
    headers: agentHeaders(context, tenantId, agentId),
    payload: {},
  })
  t.equal(response.statusCode, 201, 'session started')
  return response.json().data.id
}

export async function sendMessage(t: Test, context: TestApp, tenantId: number, sessionId: string, message: string, agentId = 1) {
  const response = await context.call(t, 'sendMessage', {
    method: 'POST',
    url: `/livechat/sessions/${sessionId}/messages`,
    headers: agentHeaders(context, tenantId, agentId),
    payload: { message },
  })
  t.equal(response.statusCode, 201, 'message sent')
  return response.json().data
}

/** Paging parameters every list refuses with 400, each with the parameter `errors` must name. */
export const invalidPageQueries: ReadonlyArray<readonly [Record<string, string>, string]> = [
  [{ limit: '0' }, 'limit'],
  [{ limit: '101' }, 'limit'],
  [{ limit: '-1' }, 'limit'],
  [{ limit: '1.5' }, 'limit'],
  [{ limit: 'abc' }, 'limit'],
  [{ limit: '' }, 'limit'],
  [{ direction: 'sideways' }, 'direction'],
  [{ cursor: 'abc' }, 'cursor'],
]

type PageBody<K extends OperationId> = ResponseBody<K, 200 & Status<K>>
/** The operations that answer a page: `meta.pagination` on success. */
type ListOperationId = {
  [K in OperationId]: [PageBody<K>] extends [never] ? never : [PageBody<K>] extends [{ meta: { pagination: object } }] ? K : never
}[OperationId]

/** Every item of a list operation, oldest page first, following next_cursor with the largest page. */
export async function allPages<Item>(
  t: Test,
  context: TestApp,
  operationId: ListOperationId,
  request: { url: string; headers: Record<string, string>; query?: Record<string, string> },
): Promise<Item[]> {
  const all: Item[] = []
  let cursor: string | undefined
  for (let pages = 1; pages <= 100; pages++) {
    const query = { ...request.query, limit: '100', ...(cursor && { cursor }) }
    const response = await context.call(t, operationId, { method: 'GET', url: request.url, headers: request.headers, query })
    t.equal(response.statusCode, 200, `${operationId} page ${pages} is 200`)
    const body = response.json()
    all.push(...(body.data as Item[]))
    if (!body.meta.pagination.has_next) return all
    cursor = body.meta.pagination.next_cursor
  }
  throw new Error(`${operationId}: more than 100 pages`)
}

/** Headers of a TENANT_USER acting for `tenantId`. */
export const tenantUserHeaders = (context: TestApp, tenantId: number, userId = 2, tenants = [tenantId]) => ({
  authorization: `Bearer ${context.token({ sub: userId, roles: ['TENANT_USER'], tenants })}`,
  'x-tenant-id': String(tenantId),
})

export async function sendClientMessage(t: Test, context: TestApp, tenantId: number, sessionId: string, message: string, userId = 2) {
  const response = await context.call(t, 'sendClientMessage', {
    method: 'POST',
    url: `/livechat/client/sessions/${sessionId}/messages`,
    headers: tenantUserHeaders(context, tenantId, userId),
    payload: { message },
  })
  t.equal(response.statusCode, 201, 'tenant message sent')
  return response.json().data
}

export async function closeSession(t: Test, context: TestApp, tenantId: number, sessionId: string, agentId = 1) {
  const response = await context.call(t, 'closeSession', {
    method: 'POST',
    url: `/livechat/sessions/${sessionId}/close`,
    headers: agentHeaders(context, tenantId, agentId),
  })
  t.equal(response.statusCode, 200, 'session closed')
  return response.json().data
}
