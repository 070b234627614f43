import { randomUUID } from 'node:crypto'
import { readFileSync } from 'node:fs'
import type { Page } from 'playwright-core'
import t, { type Test } from 'tap'
import { parse } from 'yaml'
import type { operations } from '../../generated/openapi.js'
import { browserSkipReason, launchChromium, servePages, startApiForPages } from '../helpers/browser.js'
import { adminHeaders, agentHeaders, createTenant, tenantUserHeaders } from '../helpers/fixtures.js'
import { assertResponseFitsSpec, componentErrors } from '../helpers/spec-validator.js'

type OperationId = keyof operations
type Headers = Record<string, string>

// Every operation of openapi.yaml with its first success status and the headers declared on it. An operation with
// more (startClientSession: 201 assigned, 202 queued) is called here where it answers the first.
type Operation = { method: string; path: string; status: number; headers: string[] }
const document = parse(readFileSync(new URL('../../openapi.yaml', import.meta.url), 'utf8'))
const specOperations = new Map<string, Operation>()
for (const [path, pathItem] of Object.entries<Record<string, { operationId: string; responses: Record<string, any> }>>(document.paths)) {
  for (const [method, operation] of Object.entries(pathItem)) {
    const successes = Object.entries(operation.responses).filter(([status]) => status.startsWith('2'))
    if (successes.length === 0) throw new Error(`${operation.operationId} documents no success status`)
    const [[status, declared]] = successes.sort(([a], [b]) => Number(a) - Number(b))
    const response = declared.$ref ? document.components.responses[declared.$ref.split('/').pop()] : declared
    specOperations.set(operation.operationId, { method: method.toUpperCase(), path, status: Number(status), headers: Object.keys(response.headers ?? {}) })
  }
}

type PageRequest = { url: string; method: string; headers: Headers; body?: string; stream?: boolean }
type PageResponse = { error: string } | { status: number; headers: Headers; text: string }

/**
 * A fetch made by the page's own script, so Chromium applies CORS as to any frontend: a refused request rejects
 * with a TypeError, and only the headers the API exposes are readable. An event stream is read up to its first
 * event (a frame with data), then cut.
 */
function fetchInPage(page: Page, request: PageRequest): Promise<PageResponse> {
  return page.evaluate(async ({ url, method, headers, body, stream }) => {
    const controller = new AbortController()
    const timer = setTimeout(() => controller.abort(), 10_000)
    try {
      const response = await fetch(url, { method, headers, body, signal: controller.signal })
      const read = { status: response.status, headers: Object.fromEntries(response.headers) }
      if (!stream || !response.ok) return { ...read, text: await response.text() }
      const reader = response.body!.getReader()
      const decoder = new TextDecoder()
      let text = ''
      for (;;) {
        const { value, done } = await reader.read()
        if (done) return { ...read, text }
        text += decoder.decode(value, { stream: true })
        const event = text.split('\n\n').slice(0, -1).find((frame) => /^data:/m.test(frame))
        if (event !== undefined) return { ...read, text: event }
      }
    } catch (error) {
      return { error: String(error) }
    } finally {
      clearTimeout(timer)
      controller.abort()
    }
  }, request)
}

/** The fields of one SSE frame. */
function frameFields(frame: string): { id?: string; event?: string; data: any } {
  const field = (name: string) => frame.match(new RegExp(`^${name}: ?(.*)$`, 'm'))?.[1]
  return { id: field('id'), event: field('event'), data: JSON.parse(field('data') ?? 'null') }
}

const page = '<!doctype html><title>A frontend</title>'

t.test('a page on an origin in CORS_ORIGINS can call every operation of openapi.yaml and read its answer', { skip: browserSkipReason() }, async (t) => {
  const browser = await launchChromium(t)
  const origin = await servePages(t, { '/index.html': page })
  // Rate limits on, so their headers are sent and must be readable too.
  const api = await startApiForPages(t, [origin], 'pglite', { RATE_LIMIT_USER_MAX: '10000', RATE_LIMIT_IP_MAX: '10000' })
  const tab = await browser.newPage()
  await tab.goto(origin)
  const called = new Set<string>()
  let requests = 0

  type CallOptions = { params?: Record<string, string | number>; query?: Headers; body?: object; headers?: Headers; idempotencyKey?: string }
  async function request(t: Test, operationId: OperationId, caller: Headers, options: CallOptions, stream: boolean) {
    const operation = specOperations.get(operationId)!
    const path = operation.path.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(String(options.params?.[name])))
    const url = `${api.url}${path}${options.query ? `?${new URLSearchParams(options.query)}` : ''}`
    const requestId = `browser-${++requests}`
    // What a frontend following the guide sends: JSON on every call, a fresh key on every POST, its own request id.
    const headers: Headers = {
      ...caller,
      'content-type': 'application/json',
      'x-request-id': requestId,
      ...(operation.method === 'POST' && { 'idempotency-key': options.idempotencyKey ?? randomUUID() }),
      ...options.headers,
    }
    const body = options.body && JSON.stringify(options.body)
    const response = await fetchInPage(tab, { url, method: operation.method, headers, body, stream })
    if ('error' in response) throw new Error(`${operation.method} ${path} (${operationId}): the browser refused it: ${response.error}`)
    called.add(operationId)
    t.equal(response.status, operation.status, `${operationId} answers the page ${operation.status}`, { body: response.text.slice(0, 500) })
    t.doesNotThrow(
      () => assertResponseFitsSpec(operation.method, url, { statusCode: response.status, headers: response.headers, body: response.text }),
      `${operationId}: what the page read fits openapi.yaml`,
    )
    t.same(
      operation.headers.filter((name) => response.headers[name.toLowerCase()] === undefined),
      [],
      `${operationId}: every header openapi.yaml declares on its ${operation.status} is readable by the page`,
    )
    t.equal(response.headers['x-request-id'], requestId, `${operationId}: the page reads back its X-Request-ID`)
    return response
  }
  const call = async (t: Test, operationId: OperationId, caller: Headers, options: CallOptions = {}) => {
    const response = await request(t, operationId, caller, options, false)
    return { headers: response.headers, body: response.headers['content-type']?.startsWith('application/json') ? JSON.parse(response.text) : response.text }
  }
  const openStream = async (t: Test, operationId: OperationId, caller: Headers, headers?: Headers) => {
    const event = frameFields((await request(t, operationId, caller, { headers }, true)).text)
    t.same(componentErrors('StreamEvent', event.data), [], `${operationId}: its first event matches StreamEvent`)
    return event
  }

  const admin = adminHeaders(api)
  const tenantId: number = (await call(t, 'createTenant', admin, { body: { name: 'Acme', active: true } })).body.data.id
  await call(t, 'listTenants', admin)
  await call(t, 'updateTenant', admin, { params: { tenant_id: tenantId }, body: { name: 'Acme Support' } })
  const agent = agentHeaders(api, tenantId)
  const user = tenantUserHeaders(api, tenantId)

  await call(t, 'setMyPresence', agent, { body: { status: 'ONLINE' } })
  t.equal((await call(t, 'getAgentPresence', user, { params: { agent_id: 1 } })).body.data.status, 'ONLINE', 'the PUT took: the agent is ONLINE')

  const id: string = (await call(t, 'startSession', agent, { body: {} })).body.data.id
  const session = { params: { id } }
  await call(t, 'listSessions', agent, { query: { status: 'OPEN', limit: '10' } })
  await call(t, 'getSession', agent, session)
  const key = randomUUID()
  const sent = await call(t, 'sendMessage', agent, { ...session, body: { message: 'Halo dari agen' }, idempotencyKey: key })
  const replayed = await call(t, 'sendMessage', agent, { ...session, body: { message: 'Halo dari agen' }, idempotencyKey: key })
  t.equal(replayed.headers['idempotent-replayed'], 'true', 'a retried POST is told apart by a header the page can read')
  t.equal(replayed.body.data.id, sent.body.data.id, 'the retry sent nothing twice')
  await call(t, 'listMessages', agent, { ...session, query: { limit: '10' } })
  await call(t, 'sendTyping', agent, session)
  await call(t, 'markSessionRead', agent, { ...session, body: { message_id: sent.body.data.id } })

  await call(t, 'listClientSessions', user)
  await call(t, 'getClientSession', user, session)
  const reply = (await call(t, 'sendClientMessage', user, { ...session, body: { message: 'Halo dari pelanggan' } })).body.data
  const history = (await call(t, 'listClientMessages', user, { ...session, query: { limit: '10' } })).body.data
  t.same(history.map((message: { message: string }) => message.message), ['Halo dari agen', 'Halo dari pelanggan'], 'both sides read the chat')
  await call(t, 'sendClientTyping', user, session)
  await call(t, 'markClientSessionRead', user, { ...session, body: { message_id: reply.id } })

  for (const [operationId, caller] of [['streamAgentEvents', agent], ['streamClientEvents', user]] as const) {
    const ready = await openStream(t, operationId, caller)
    t.equal(ready.event, 'stream.ready', `${operationId} starts with stream.ready`)
    const resumed = await openStream(t, operationId, caller, { 'last-event-id': ready.id! })
    t.equal(resumed.event, 'stream.ready', `${operationId} resumes from the page's Last-Event-ID`)
  }
  // EventSource cannot send headers: the page opens it with a stream token instead.
  const streamToken = (await call(t, 'createStreamToken', user, { body: { path: '/livechat/client/events' } })).body.data
  const viaEventSource = await tab.evaluate((url) => {
    type Source = { addEventListener(type: string, listener: (event: { data?: string }) => void): void; close(): void }
    const EventSource = (globalThis as unknown as { EventSource: new (url: string) => Source }).EventSource
    return new Promise<string>((resolve) => {
      const source = new EventSource(url)
      const done = (outcome: string) => (source.close(), resolve(outcome))
      source.addEventListener('stream.ready', (event) => done(String(event.data)))
      source.addEventListener('error', () => done('error'))
    })
  }, `${api.url}${streamToken.path}?stream_token=${encodeURIComponent(streamToken.token)}`)
  t.match(viaEventSource, /"type":"stream\.ready"/, "the page's EventSource receives the stream")

  const ticket = (await call(t, 'createTicket', user, { body: { subject: 'Tidak bisa masuk', message: 'Tolong dibantu' } })).body.data
  const ticketPath = { params: { id: ticket.id } }
  await call(t, 'listTickets', agent)
  await call(t, 'getTicket', agent, ticketPath)
  await call(t, 'updateTicket', agent, { ...ticketPath, body: { status: 'IN_PROGRESS', assignee_id: 1 } })
  await call(t, 'createTicketReply', agent, { ...ticketPath, body: { message: 'Sedang kami periksa' } })
  await call(t, 'listTicketReplies', user, ticketPath)

  // The agent's chat message and ticket reply each left the tenant a notification.
  const notifications = (await call(t, 'listNotifications', user, { query: { unread_only: 'true' } })).body.data
  t.equal(notifications.length, 2, 'the page lists the unread notifications')
  await call(t, 'markNotificationRead', user, { params: { id: notifications[0].id } })
  t.equal((await call(t, 'getUnreadNotificationCount', user)).body.data.unread, 1, 'one is left unread')
  t.equal((await call(t, 'markAllNotificationsRead', user)).body.data.marked_read, 1, 'read-all marks it')

  // A tenant user asks for a chat: agent 1, ONLINE with a free seat, has it at once, keeps it, and the user leaves.
  const chat = { params: { id: (await call(t, 'startClientSession', user, { body: { subject: 'Refund', message: 'Halo' } })).body.data.id } }
  t.equal((await call(t, 'assignSession', agent, { ...chat, body: {} })).body.data.agent_id, 1, 'giving the chat to its own agent keeps it there')
  await call(t, 'closeClientSession', user, chat)

  await call(t, 'closeSession', agent, session)
  for (const operationId of ['getHealth', 'getLiveness', 'getReadiness', 'getMetrics'] as const) await call(t, operationId, {})

  t.same([...specOperations.keys()].filter((operationId) => !called.has(operationId)), [], 'every operation of openapi.yaml was called from the page')
})

t.test('a page on an origin not in CORS_ORIGINS cannot read the API, a listed one can', { skip: browserSkipReason() }, async (t) => {
  const browser = await launchChromium(t)
  const listed = await servePages(t, { '/index.html': page })
  const unlisted = await servePages(t, { '/index.html': page })
  const api = await startApiForPages(t, [listed])
  const tenantId = await createTenant(t, api)
  const requests: [string, PageRequest][] = [
    ['a GET with the API headers (preflighted)', { url: `${api.url}/livechat/sessions`, method: 'GET', headers: { ...agentHeaders(api, tenantId), 'content-type': 'application/json' } }],
    ['a PUT', { url: `${api.url}/livechat/agents/me/presence`, method: 'PUT', headers: { ...agentHeaders(api, tenantId), 'content-type': 'application/json' }, body: '{"status":"ONLINE"}' }],
    ['a simple GET (no preflight)', { url: `${api.url}/health`, method: 'GET', headers: {} }],
  ]
  for (const origin of [listed, unlisted]) {
    const tab = await browser.newPage()
    await tab.goto(origin)
    for (const [what, request] of requests) {
      const response = await fetchInPage(tab, request)
      if (origin === listed) t.match(response, { status: 200 }, `from ${origin} (listed): ${what} is read`)
      else t.match(response, { error: /^TypeError/ }, `from ${origin} (not listed): ${what} is refused by the browser`)
    }
  }
})
