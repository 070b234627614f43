import t, { type Test } from 'tap'
import { ApiError, createLivechatClient, type LivechatClientOptions } from '../../../packages/client/src/index.js'
import type { StreamEvent } from '../../../packages/client/src/types.js'
import { listening } from '../../helpers/event-stream.js'
import { createTenant, openSession, sendMessage } from '../../helpers/fixtures.js'
import { assertResponseFitsSpec, componentErrors } from '../../helpers/spec-validator.js'
import { startTcpProxy } from '../../helpers/tcp-proxy.js'
import { onEachDatabase, type TestApp } from '../../helpers/test-app.js'

// Issue 9: the typed client (`packages/client`, the package `@livechat-api/client`), against the real server on a socket:
// "the envelope unwrapped into typed success and typed error values, cursor pagination as async iterators (both
// directions), the event streams … with automatic resume from the last id, and `Idempotency-Key` on retried POSTs".

/** A fetch that checks every JSON answer against openapi.yaml, as injected answers are. */
const checkedFetch = async (request: Request): Promise<Response> => {
  const response = await fetch(request)
  if (!response.headers.get('content-type')?.startsWith('application/json')) return response
  const body = await response.clone().text()
  assertResponseFitsSpec(request.method, new URL(request.url).pathname, { statusCode: response.status, headers: Object.fromEntries(response.headers), body })
  return response
}

async function clientFor(context: TestApp, tenantId: number, agentId = 1, options: Partial<LivechatClientOptions> = {}) {
  const baseUrl = await listening(context)
  const token = context.token({ sub: agentId, roles: ['SUPPORT_AGENT'], tenants: [tenantId] })
  return createLivechatClient({ baseUrl, token, tenantId, fetch: checkedFetch, retryDelayMs: 10, ...options })
}

const nextEvent = async (iterator: AsyncIterator<StreamEvent>, type: StreamEvent['type']): Promise<StreamEvent> => {
  for (;;) {
    const { value, done } = await iterator.next()
    if (done) throw new Error(`the stream ended before a ${type} event`)
    if (value.type === type) return value
  }
}

onEachDatabase(t, async (t: Test, context) => {
  const tenantId = await createTenant(t, context)

  t.test('a success unwraps into data and meta, a failure into status, code, message and errors', async (t) => {
    const livechat = await clientFor(context, tenantId)
    const presence = await livechat.PUT('/livechat/agents/me/presence', { body: { status: 'ONLINE' } })
    t.ok(presence.ok && presence.data.status === 'ONLINE', 'ONLINE')
    const started = await livechat.POST('/livechat/sessions', { body: {} })
    if (!started.ok) return t.fail(`start refused: ${started.message}`)
    t.equal(started.status, 201)
    t.equal(started.data.status, 'OPEN')
    t.match(started.meta.request_id, /.+/)

    const missing = await livechat.GET('/livechat/sessions/{id}', { params: { path: { id: '01a21d2e-b09b-7768-8a2e-90b4717b67d4' } } })
    t.notOk(missing.ok)
    if (!missing.ok) {
      t.equal(missing.status, 404)
      t.equal(missing.code, 'NOT_FOUND')
      t.type(missing.message, 'string')
      t.ok(Object.keys(missing.errors).length > 0, 'errors by field')
    }
    const invalid = await livechat.POST('/livechat/sessions/{id}/messages', { params: { path: { id: started.data.id } }, body: { message: '' } })
    t.same(invalid.ok ? undefined : [invalid.status, invalid.code, Object.keys(invalid.errors)], [400, 'VALIDATION_FAILED', ['message']], 'an empty message is refused on its field')
    await livechat.POST('/livechat/sessions/{id}/close', { params: { path: { id: started.data.id } } })
  })

  t.test('a POST whose answer was lost is retried with the same Idempotency-Key and done once', async (t) => {
    const sessionId = await openSession(t, context, tenantId, 2)
    const keys: (string | null)[] = []
    let lost = 0
    const livechat = await clientFor(context, tenantId, 2, {
      fetch: async (request) => {
        keys.push(request.headers.get('Idempotency-Key'))
        const response = await checkedFetch(request)
        // The first answer is lost on its way back, as a dropped connection would lose it.
        if (lost++ === 0) throw new TypeError('fetch failed')
        return response
      },
    })
    const sent = await livechat.POST('/livechat/sessions/{id}/messages', { params: { path: { id: sessionId } }, body: { message: 'once' } })
    t.ok(sent.ok, 'the retry succeeds')
    t.equal(sent.response.headers.get('Idempotent-Replayed'), 'true', 'the retry got the first answer')
    t.equal(keys.length, 2)
    t.match(keys[0], /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/, 'a random UUID key')
    t.equal(keys[1], keys[0], 'the same key on the retry')
    const history = await livechat.GET('/livechat/sessions/{id}/messages', { params: { path: { id: sessionId } } })
    t.same(history.ok && history.data.map((message) => message.message), ['once'], 'written once')
  })

  t.test('a GET is retried after a proxy’s 503 and Retry-After; a refusal is not retried', async (t) => {
    let calls = 0
    const livechat = await clientFor(context, tenantId, 1, {
      fetch: async (request) => {
        calls += 1
        if (calls === 1) return new Response(null, { status: 503, headers: { 'Retry-After': '0' } })
        return checkedFetch(request)
      },
    })
    const sessions = await livechat.GET('/livechat/sessions')
    t.ok(sessions.ok)
    t.equal(calls, 2)
    calls = 10
    const refused = await createLivechatClient({ baseUrl: await listening(context), token: 'not-a-jwt', tenantId, fetch: async (request) => (calls++, checkedFetch(request)) }).GET('/livechat/sessions')
    t.same(refused.ok ? 200 : [refused.status, refused.code], [401, 'UNAUTHENTICATED'])
    t.equal(calls, 11, 'asked once')
  })

  t.test('pages and items follow the cursors both ways', async (t) => {
    const sessionId = await openSession(t, context, tenantId, 3)
    const texts = Array.from({ length: 7 }, (_, index) => `message ${index + 1}`)
    for (const text of texts) await sendMessage(t, context, tenantId, sessionId, text, 3)
    const livechat = await clientFor(context, tenantId, 3)
    const path = { id: sessionId }

    const forward: string[] = []
    for await (const message of livechat.items('/livechat/sessions/{id}/messages', { params: { path, query: { limit: 3 } } })) forward.push(message.message)
    t.same(forward, texts, 'oldest first, across three pages')

    const pageSizes: number[] = []
    for await (const page of livechat.pages('/livechat/sessions/{id}/messages', { params: { path, query: { limit: 3, direction: 'prev' } } })) {
      pageSizes.push(page.items.length)
      const positions = page.items.map((message) => texts.indexOf(message.message))
      t.same(positions, [...positions].sort((a, b) => a - b), 'each page oldest first')
    }
    t.same(pageSizes, [3, 3, 1], 'from the latest page back to the first')

    const backward: string[] = []
    for await (const message of livechat.items('/livechat/sessions/{id}/messages', { params: { path, query: { limit: 3, direction: 'prev' } } })) backward.push(message.message)
    t.same(backward, [...texts].reverse(), 'newest first, reading back')

    const sessionIds: string[] = []
    for await (const session of livechat.items('/livechat/sessions', { params: { query: { limit: 1 } } })) sessionIds.push(session.id)
    t.ok(sessionIds.includes(sessionId), 'a newest-first list too')

    const failing = livechat.items('/livechat/sessions/{id}/messages', { params: { path, query: { cursor: 'not-a-cursor' } } })
    await t.rejects(failing.next(), ApiError, 'a failed page throws an ApiError')
  })

  for (const mode of ['reset', 'blackhole'] as const) {
    t.test(`the event stream resumes after a network cut (${mode}) from the last id: nothing lost, nothing twice`, async (t) => {
      const agentId = mode === 'reset' ? 4 : 7
      const sessionId = await openSession(t, context, tenantId, agentId)
      const target = new URL(await listening(context))
      const proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port) })
      t.teardown(() => proxy.close())
      const states: string[] = []
      const stop = new AbortController()
      t.teardown(() => stop.abort())
      const livechat = await clientFor(context, tenantId, agentId, { baseUrl: `http://${proxy.address}` })
      // A silent network is noticed after idleTimeoutMs; the API's heartbeat (STREAM_HEARTBEAT_SECONDS=1) keeps a live one talking.
      const stream = livechat.events({ sessionId, signal: stop.signal, onConnectionChange: (state) => states.push(state), idleTimeoutMs: 1500 })
      const events = stream[Symbol.asyncIterator]()
      await nextEvent(events, 'stream.ready')
      await sendMessage(t, context, tenantId, sessionId, 'before the cut', agentId)
      const first = await nextEvent(events, 'message.created')
      t.equal(first.type === 'message.created' && first.message.message, 'before the cut')
      const resumeFrom = stream.lastEventId
      t.ok(resumeFrom, 'the last id is kept')

      proxy.cut(mode)
      for (const text of ['during 1', 'during 2']) await sendMessage(t, context, tenantId, sessionId, text, agentId)
      // Long enough for the watchdog to give up on a silent connection.
      setTimeout(() => proxy.restore(), 2500)
      const received: string[] = []
      while (received.length < 3) {
        const event = await nextEvent(events, 'message.created')
        if (event.type === 'message.created') received.push(event.message.message)
        if (received.length === 2) await sendMessage(t, context, tenantId, sessionId, 'after', agentId)
      }
      t.same(received, ['during 1', 'during 2', 'after'], 'the missed messages, in order, once, then live ones')
      t.same(states.slice(0, 2), ['open', 'reconnecting'], 'the loss was noticed')
      t.equal(states.at(-1), 'open', 'and the stream reopened')
      t.not(stream.lastEventId, resumeFrom, 'the last id moved on')
      stop.abort()
      t.same(await events.next(), { done: true, value: undefined }, 'aborting ends the loop')
    })
  }

  t.test('a heartbeat that carries an id moves the resume position without an event', async (t) => {
    const followed = await openSession(t, context, tenantId, 8)
    const other = await openSession(t, context, tenantId, 9)
    const stop = new AbortController()
    t.teardown(() => stop.abort())
    const stream = (await clientFor(context, tenantId, 8)).events({ sessionId: followed, signal: stop.signal })
    const events = stream[Symbol.asyncIterator]()
    await nextEvent(events, 'stream.ready')
    const ready = stream.lastEventId
    const pending = nextEvent(events, 'message.created')
    await sendMessage(t, context, tenantId, other, 'not for this stream', 9)
    await new Promise((resolve) => setTimeout(resolve, 2500))
    t.not(stream.lastEventId, ready, 'the position moved past the other session’s events')
    await sendMessage(t, context, tenantId, followed, 'for this stream', 8)
    const delivered = await pending
    t.equal(delivered.type === 'message.created' && delivered.message.message, 'for this stream', 'and the next event still arrives')
  })

  t.test('a stream whose signal is already aborted does not open', async (t) => {
    let opened = 0
    const livechat = await clientFor(context, tenantId, 5, { fetch: async (request) => (opened++, fetch(request)) })
    const stream = livechat.events({ signal: AbortSignal.abort() })
    t.same(await stream[Symbol.asyncIterator]().next(), { done: true, value: undefined })
    t.equal(opened, 0)
  })

  t.test('a retry whose first request is still running (REQUEST_IN_PROGRESS) asks again with its key', async (t) => {
    const sessionId = await openSession(t, context, tenantId, 10)
    const stillRunning = {
      success: false,
      code: 'REQUEST_IN_PROGRESS',
      message: 'Request in progress',
      data: null,
      meta: { request_id: 'r-1', timestamp: new Date().toISOString() },
      errors: { 'Idempotency-Key': ['A request with this key is still running'] },
    }
    t.same(componentErrors('ErrorResponse', stillRunning), [], 'the answer faked is the API’s')
    const keys: (string | null)[] = []
    const livechat = await clientFor(context, tenantId, 10, {
      fetch: async (request) => {
        keys.push(request.headers.get('Idempotency-Key'))
        if (keys.length === 1) return Response.json(stillRunning, { status: 409, headers: { 'Retry-After': '0' } })
        return checkedFetch(request)
      },
    })
    const sent = await livechat.POST('/livechat/sessions/{id}/messages', { params: { path: { id: sessionId } }, body: { message: 'after the wait' } })
    t.ok(sent.ok)
    t.same([keys.length, keys[1]], [2, keys[0]], 'asked again, with the same key')
    const own = await livechat.POST('/livechat/sessions/{id}/messages', { params: { path: { id: sessionId }, header: { 'Idempotency-Key': 'a-key-kept-across-resends' } }, body: { message: 'resent' } })
    const resent = await livechat.POST('/livechat/sessions/{id}/messages', { params: { path: { id: sessionId }, header: { 'Idempotency-Key': 'a-key-kept-across-resends' } }, body: { message: 'resent' } })
    t.ok(own.ok && resent.ok && own.data.id === resent.data.id, 'a key of the caller’s own is kept: a resend is done once')
  })

  t.test('a refused stream throws an ApiError instead of retrying', async (t) => {
    const livechat = await clientFor(context, tenantId, 5)
    const stream = livechat.events({ lastEventId: 'not-an-id' })
    const error = await stream[Symbol.asyncIterator]().next().catch((error: unknown) => error)
    t.type(error, ApiError)
    t.equal((error as ApiError).status, 400)
    t.equal((error as ApiError).code, 'LAST_EVENT_ID_INVALID')
  })

  t.test('stayOnline outlasts a network failure, and sets OFFLINE when stopped mid-call', async (t) => {
    let failing = 5
    let hold: (() => void) | undefined
    const livechat = await clientFor(context, tenantId, 11, {
      fetch: async (request) => {
        if (request.method === 'PUT' && failing-- > 0) throw new TypeError('fetch failed')
        if (request.method === 'PUT' && hold === undefined && failing < -1) {
          await new Promise<void>((resolve, reject) => {
            hold = resolve
            request.signal.addEventListener('abort', () => reject(request.signal.reason))
          })
        }
        return checkedFetch(request)
      },
    })
    const stop = new AbortController()
    const staying = livechat.stayOnline(stop.signal)
    const presence = async () => {
      const read = await livechat.GET('/livechat/agents/{agent_id}/presence', { params: { path: { agent_id: 11 } } })
      return read.ok ? read.data.status : read.status
    }
    for (const started = Date.now(); (await presence()) !== 'ONLINE' && Date.now() - started < 15_000; ) await new Promise((resolve) => setTimeout(resolve, 200))
    t.equal(await presence(), 'ONLINE', 'ONLINE once the network is back')
    // A renewal is held in flight, then the agent stops.
    for (const started = Date.now(); hold === undefined && Date.now() - started < 5_000; ) await new Promise((resolve) => setTimeout(resolve, 50))
    stop.abort()
    await staying
    t.equal(await presence(), 'OFFLINE', 'OFFLINE although the stop came during a call')
  })

  t.test('stayOnline keeps the agent ONLINE past the presence TTL and sets OFFLINE when stopped', async (t) => {
    const livechat = await clientFor(context, tenantId, 6)
    const stop = new AbortController()
    const staying = livechat.stayOnline(stop.signal)
    await new Promise((resolve) => setTimeout(resolve, (Number(context.config.PRESENCE_TTL_SECONDS) + 1) * 1000))
    const during = await livechat.GET('/livechat/agents/{agent_id}/presence', { params: { path: { agent_id: 6 } } })
    t.equal(during.ok && during.data.status, 'ONLINE', 'ONLINE after the TTL')
    stop.abort()
    await staying
    const after = await livechat.GET('/livechat/agents/{agent_id}/presence', { params: { path: { agent_id: 6 } } })
    t.equal(after.ok && after.data.status, 'OFFLINE', 'OFFLINE once stopped')
  })
}, { PRESENCE_TTL_SECONDS: '2', STREAM_HEARTBEAT_SECONDS: '1' })
