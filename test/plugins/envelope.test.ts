import { randomUUID } from 'node:crypto'
import { sql } from 'drizzle-orm'
import type { LightMyRequestResponse } from 'fastify'
import t, { type Test } from 'tap'
import { agentHeaders, createTenant } from '../helpers/fixtures.js'
import { componentErrors } from '../helpers/spec-validator.js'
import { buildTestApp, databaseKinds, onEachDatabase, testOn, type TestApp } from '../helpers/test-app.js'

// Contract: "Envelope (every response)": { success, message, data, meta: { request_id, timestamp }, errors }.
// openapi.yaml: meta.request_id echoes a valid incoming X-Request-ID (1-128 of A-Z a-z 0-9 . _ : -) or is generated,
// and is returned as the X-Request-ID response header. 5xx bodies carry no detail.

const requestIdPattern = /^[A-Za-z0-9._:-]{1,128}$/
const rfc3339Utc = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/
const mebibyte = 1024 * 1024

/** For failures outside a single operation (unknown routes, Fastify's 413 and 415): the body is an ErrorResponse. */
function assertErrorEnvelope(t: Test, response: LightMyRequestResponse, status: number) {
  t.equal(response.statusCode, status, `status ${status}`)
  t.match(response.headers['content-type'], /^application\/json/, 'a JSON body')
  const body = response.json()
  t.same(componentErrors('ErrorResponse', body), [], 'body is an ErrorResponse')
  t.equal(response.headers['x-request-id'], body.meta.request_id, 'X-Request-ID header is meta.request_id')
  return body
}

onEachDatabase(t, async (t, context) => {
  const tenantId = await createTenant(t, context)
  const headers = agentHeaders(context, tenantId, 51)
  const messagesUrl = `/livechat/sessions/${randomUUID()}/messages`

  t.test('an unknown route answers 404 in the envelope', async (t) => {
    const body = assertErrorEnvelope(t, await context.app.inject({ method: 'GET', url: '/no/such/route?x=1' }), 404)
    t.match(body, { success: false, code: 'NOT_FOUND', message: 'Route not found', data: null, errors: { _: ['No route GET /no/such/route?x=1'] } })
    const wrongMethod = assertErrorEnvelope(t, await context.app.inject({ method: 'DELETE', url: '/livechat/sessions', headers }), 404)
    t.same(wrongMethod.errors, { _: ['No route DELETE /livechat/sessions'] }, 'a known path with an unknown method too')
    const withBody = await context.app.inject({ method: 'POST', url: '/nowhere', payload: { a: 1 } })
    assertErrorEnvelope(t, withBody, 404)
  })

  t.test('a malformed JSON body is 400 in the envelope', async (t) => {
    for (const payload of ['{"message": "hi"', '{message: "hi"}', 'not json', '{"message": "hi"} trailing']) {
      const response = await context.call(t, 'sendMessage', {
        method: 'POST',
        url: messagesUrl,
        headers: { ...headers, 'content-type': 'application/json' },
        payload,
      })
      t.equal(response.statusCode, 400, JSON.stringify(payload))
      const body = response.json()
      t.match(body, { success: false, code: 'MALFORMED_JSON', data: null, message: String, errors: { _: [String] } })
      t.ok(body.message.length > 0, 'a message says why')
    }
  })

  t.test('an empty body declared as JSON is 400 in the envelope', async (t) => {
    const response = await context.call(t, 'sendMessage', {
      method: 'POST',
      url: messagesUrl,
      headers: { ...headers, 'content-type': 'application/json' },
      payload: '',
    })
    t.equal(response.statusCode, 400)
    t.match(response.json(), { success: false, code: 'VALIDATION_FAILED', data: null, errors: Object }, 'no body where one is required')
  })

  // Guide: "Header Wajib: Content-Type: application/json", on every call, also those that take no body.
  t.test('an empty body declared as JSON is no body where the operation needs none', async (t) => {
    const jsonHeaders = { ...headers, 'content-type': 'application/json' }
    const presence = await context.call(t, 'setMyPresence', {
      method: 'PUT',
      url: '/livechat/agents/me/presence',
      headers: jsonHeaders,
      payload: { status: 'ONLINE' },
    })
    t.equal(presence.statusCode, 200)
    const started = await context.call(t, 'startSession', { method: 'POST', url: '/livechat/sessions', headers: jsonHeaders, payload: '' })
    t.equal(started.statusCode, 201, 'starting a session with no body starts it for the caller')
    t.equal(started.json().data.agent_id, 51)
    const url = `/livechat/sessions/${started.json().data.id}/close`
    const closed = await context.call(t, 'closeSession', { method: 'POST', url, headers: jsonHeaders, payload: '' })
    t.equal(closed.statusCode, 200, 'closing takes no body')
    t.equal(closed.json().data.status, 'CLOSED')
  })

  const postAs = (url: string, contentType: string, payload: string) =>
    context.app.inject({ method: 'POST', url, headers: { ...headers, 'content-type': contentType }, payload })

  t.test('a content type the API does not read is 415 in the envelope', async (t) => {
    for (const [url, contentType, payload] of [
      ['/livechat/sessions', 'application/x-www-form-urlencoded', 'agent_id=51'],
      [messagesUrl, 'application/x-www-form-urlencoded', 'message=hello'],
      [messagesUrl, 'application/xml', '<message>hello</message>'],
      [messagesUrl, 'multipart/form-data; boundary=x', '--x--'],
    ]) {
      const body = assertErrorEnvelope(t, await postAs(url, contentType, payload), 415)
      t.match(body, { success: false, code: 'UNSUPPORTED_MEDIA_TYPE', data: null, message: String, errors: { _: [String] } }, `${contentType} to ${url}`)
    }
  })

  // openapi.yaml documents application/json request bodies only; Fastify also parses text/plain by default.
  t.test('a text/plain body is 415 in the envelope', async (t) => {
    for (const [url, contentType, payload] of [
      ['/livechat/sessions', 'text/plain', '{}'],
      [messagesUrl, 'text/plain; charset=utf-8', '{"message":"hello"}'],
    ]) {
      const body = assertErrorEnvelope(t, await postAs(url, contentType, payload), 415)
      t.match(body, { success: false, code: 'UNSUPPORTED_MEDIA_TYPE', data: null, message: String, errors: { _: [String] } }, `${contentType} to ${url}`)
    }
  })

  t.test('JSON declared in a charset other than UTF-8 is 415, not read as UTF-8 and stored garbled', async (t) => {
    const utf16 = Buffer.from('{"message":"halo"}', 'utf16le')
    for (const contentType of ['application/json; charset=utf-16', 'application/json; charset="ISO-8859-1"']) {
      const response = await context.app.inject({ method: 'POST', url: messagesUrl, headers: { ...headers, 'content-type': contentType }, payload: utf16 })
      const body = assertErrorEnvelope(t, response, 415)
      t.same(body.errors, { 'content-type': ['JSON bodies must be UTF-8 (charset=utf-8, or none)'] }, contentType)
      t.equal(body.code, 'UNSUPPORTED_CHARSET')
    }
    const utf8 = await postAs(messagesUrl, 'application/json; charset=UTF-8', '{"message":"halo"}')
    t.equal(utf8.statusCode, 404, 'charset=UTF-8 is read: the body reaches the operation (this session does not exist)')
  })

  t.test('a body over the 1 MiB limit is 413 in the envelope; exactly 1 MiB is read', async (t) => {
    const bodyOf = (bytes: number) => JSON.stringify({ message: 'x'.repeat(bytes - '{"message":""}'.length) })
    t.equal(Buffer.byteLength(bodyOf(mebibyte)), mebibyte, 'the boundary body is exactly 1 MiB')
    const post = (payload: string) =>
      context.app.inject({ method: 'POST', url: messagesUrl, headers: { ...headers, 'content-type': 'application/json' }, payload })

    const over = assertErrorEnvelope(t, await post(bodyOf(mebibyte + 1)), 413)
    t.match(over, { success: false, code: 'BODY_TOO_LARGE', data: null, message: String, errors: { _: [String] } })
    assertErrorEnvelope(t, await post(bodyOf(5 * mebibyte)), 413)

    const atLimit = await post(bodyOf(mebibyte))
    t.equal(atLimit.statusCode, 400, 'exactly 1 MiB is parsed, then refused by the schema (message too long)')
    t.ok(atLimit.json().errors.message, 'errors names message')
  })

  t.test('a valid incoming X-Request-ID is echoed in meta and in the X-Request-ID header', async (t) => {
    for (const id of ['req-123_abc.DEF:9', 'a'.repeat(128), randomUUID(), '7']) {
      const response = await context.call(t, 'getHealth', { method: 'GET', url: '/health', headers: { 'x-request-id': id } })
      t.equal(response.json().meta.request_id, id, `meta echoes ${id.slice(0, 20)}`)
      t.equal(response.headers['x-request-id'], id, 'header echoes it')
    }
    const id = 'trace-on-an-error'
    const refused = await context.call(t, 'listSessions', { method: 'GET', url: '/livechat/sessions', headers: { 'x-request-id': id } })
    t.equal(refused.statusCode, 401)
    t.equal(refused.json().meta.request_id, id, 'error envelopes echo it too')
    t.equal(refused.headers['x-request-id'], id)
    const unknown = await context.app.inject({ method: 'GET', url: '/nope', headers: { 'x-request-id': id } })
    t.equal(unknown.json().meta.request_id, id, 'and unknown routes')
  })

  t.test('an invalid X-Request-ID is replaced by a generated one', async (t) => {
    for (const id of ['has spaces', 'a'.repeat(129), 'b'.repeat(200), '<script>', 'semi;colon', 'slash/ed', 'quote"d', '']) {
      const response = await context.call(t, 'getHealth', { method: 'GET', url: '/health', headers: { 'x-request-id': id } })
      const requestId = response.json().meta.request_id
      t.not(requestId, id, `${JSON.stringify(id.slice(0, 20))} is not echoed`)
      t.match(requestId, requestIdPattern, 'the replacement is a safe id')
      t.equal(response.headers['x-request-id'], requestId, 'header carries the replacement')
    }
  })

  t.test('without X-Request-ID one is generated, different for every request', async (t) => {
    const ids = new Set<string>()
    for (let i = 0; i < 5; i++) {
      const response = await context.call(t, 'getHealth', { method: 'GET', url: '/health' })
      const requestId = response.json().meta.request_id
      t.match(requestId, requestIdPattern)
      t.equal(response.headers['x-request-id'], requestId)
      ids.add(requestId)
    }
    t.equal(ids.size, 5, 'five requests, five ids')
  })

  t.test('meta.timestamp is RFC 3339 in UTC, taken while answering', async (t) => {
    for (const [operationId, url] of [
      ['getHealth', '/health'],
      ['listSessions', '/livechat/sessions'],
    ] as const) {
      const before = Date.now()
      const response = await context.call(t, operationId, { method: 'GET', url, headers: operationId === 'getHealth' ? {} : headers })
      const after = Date.now()
      const { timestamp } = response.json().meta
      t.match(timestamp, rfc3339Utc, `${operationId}: ends with Z`)
      const time = Date.parse(timestamp)
      t.ok(Number.isFinite(time), 'parses')
      t.ok(time >= before && time <= after, `${timestamp} lies within the request`)
    }
  })

  t.test("a success has the five keys of the guide's envelope, a failure those and its code", async (t) => {
    const ok = (await context.call(t, 'getHealth', { method: 'GET', url: '/health' })).json()
    t.same(Object.keys(ok).sort(), ['data', 'errors', 'message', 'meta', 'success'], 'a success has no code')
    t.match(ok, { success: true, errors: null, data: { status: 'ok' } })
    const failed = (await context.call(t, 'listSessions', { method: 'GET', url: '/livechat/sessions' })).json()
    t.same(Object.keys(failed).sort(), ['code', 'data', 'errors', 'message', 'meta', 'success'])
    t.same(Object.keys(failed.meta).sort(), ['request_id', 'timestamp'], 'no pagination on an error')
  })
})

/** Words that would betray internals: SQL, drivers, stack frames, error class names, file paths. */
const leaks = ['select', 'insert', 'from ', 'where', 'relation', 'chat_sessions', 'tenants"', 'pglite', 'postgres', 'drizzle', 'connection', 'closed', 'ended', 'failed query', 'error:', 'at ', 'stack', '.ts', '.js', 'node_modules', '/work']

function assertNoInternals(t: Test, response: LightMyRequestResponse) {
  const text = response.body.toLowerCase()
  for (const word of leaks) t.notOk(text.includes(word), `the body does not contain ${JSON.stringify(word)}`)
}

function assertInternalError(t: Test, response: LightMyRequestResponse & { json: () => any }) {
  t.equal(response.statusCode, 500)
  const body = response.json()
  t.same(Object.keys(body).sort(), ['code', 'data', 'errors', 'message', 'meta', 'success'])
  t.match(body, { success: false, code: 'INTERNAL_ERROR', message: 'Internal server error', data: null })
  t.same(body.errors, { _: ['The server failed; quote meta.request_id when reporting it'] })
  t.equal(response.headers['x-request-id'], body.meta.request_id, 'the id to quote is in the header too')
  assertNoInternals(t, response)
}

/** The database is gone: 503 with Retry-After (issue 7), the envelope, and nothing of the driver's error. */
function assertDatabaseUnavailable(t: Test, response: LightMyRequestResponse & { json: () => any }) {
  t.equal(response.statusCode, 503)
  const body = response.json()
  t.match(body, { success: false, code: 'DATABASE_UNAVAILABLE', message: 'Database unavailable', data: null, errors: { database: [String] } })
  t.match(response.headers['retry-after'], /^[0-9]+$/, 'Retry-After in seconds')
  t.equal(response.headers['x-request-id'], body.meta.request_id, 'the id to quote is in the header too')
  assertNoInternals(t, response)
}

t.test('when the database is gone', async (t) => {
  for (const kind of databaseKinds) {
    testOn(t, kind, kind, async (t) => {
      // An app of its own: closing its database must not disturb any other test.
      const context = await buildTestApp(t, kind)
      const tenantId = await createTenant(t, context)
      const headers = agentHeaders(context, tenantId, 61)
      t.equal((await context.call(t, 'listSessions', { method: 'GET', url: '/livechat/sessions', headers })).statusCode, 200, 'works before')

      const close = context.app.database.close
      await close()
      // app.close() closes the database again; PGlite throws "PGlite is closed" on a second close (reported as a
      // bug, asserted in the next test). Keep this test's teardown clean.
      context.app.database.close = async () => {}

      t.test('a livechat call answers 503 with Retry-After and no internals in the body', async (t) => {
        assertDatabaseUnavailable(t, await context.call(t, 'listSessions', { method: 'GET', url: '/livechat/sessions', headers }))
        assertDatabaseUnavailable(
          t,
          await context.call(t, 'sendMessage', { method: 'POST', url: `/livechat/sessions/${randomUUID()}/messages`, headers, payload: { message: 'hi' } }),
        )
        const withId = await context.call(t, 'startSession', { method: 'POST', url: '/livechat/sessions', headers: { ...headers, 'x-request-id': 'support-ticket-42' }, payload: {} })
        assertDatabaseUnavailable(t, withId)
        t.equal(withId.json().meta.request_id, 'support-ticket-42', 'the caller can quote its own request id')
      })

      t.test('calls that need no database still answer as usual', async (t) => {
        const response = await context.call(t, 'listSessions', { method: 'GET', url: '/livechat/sessions' })
        t.equal(response.statusCode, 401, 'no token is still 401')
      })

      t.test('GET /health answers 503 in the envelope', async (t) => {
        const response = await context.call(t, 'getHealth', { method: 'GET', url: '/health' })
        t.equal(response.statusCode, 503)
        t.match(response.json(), { success: false, message: 'Database unavailable', data: null, errors: { database: [String] } })
        assertNoInternals(t, response)
      })
    })
  }
})

t.test('a query that fails inside a handler answers 500 without SQL in the body', async (t) => {
  for (const kind of databaseKinds) {
    testOn(t, kind, kind, async (t) => {
      const context: TestApp = await buildTestApp(t, kind)
      const tenantId = await createTenant(t, context)
      const headers = agentHeaders(context, tenantId, 62)
      // Authentication still finds the tenant; the livechat tables are gone, so the handler's query fails.
      await context.app.database.pool.execute(sql`drop table chat_messages, chat_sessions cascade`)
      const listed = await context.call(t, 'listSessions', { method: 'GET', url: '/livechat/sessions', headers })
      assertInternalError(t, listed)
      const read = await context.call(t, 'getSession', { method: 'GET', url: `/livechat/sessions/${randomUUID()}`, headers })
      assertInternalError(t, read)
      t.equal((await context.call(t, 'getHealth', { method: 'GET', url: '/health' })).statusCode, 200, 'the database itself still answers')
    })
  }
})

t.test('closing the app after its database was closed resolves', async (t) => {
  for (const kind of databaseKinds) {
    testOn(t, kind, kind, async (t) => {
      const context = await buildTestApp(t, kind)
      await context.app.database.close()
      const outcome = await context.app.close().then(
        () => 'resolved',
        (error: Error) => `rejected: ${error.message}`,
      )
      t.equal(outcome, 'resolved', 'app.close() must not fail because the database is already closed')
    })
  }
})
