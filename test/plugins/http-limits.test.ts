import { setTimeout as sleep } from 'node:timers/promises'
import t, { type Test } from 'tap'
import { trustProxyOf } from '../../src/plugins/http-server-options.js'
import { adminHeaders, agentHeaders, createTenant, openSession } from '../helpers/fixtures.js'
import { listening, openStream } from '../helpers/event-stream.js'
import { RawConnection, type RawResponse } from '../helpers/raw-http.js'
import { componentErrors } from '../helpers/spec-validator.js'
import { buildTestApp, type TestApp } from '../helpers/test-app.js'

// Issue 7, item 4: "431 (oversized headers, sent without `Connection: close` …), 408 (request timeout) … Every
// response the service sends is the envelope". And "Bounded everything": header and body limits, request timeouts.
const limits = {
  HTTP_MAX_HEADER_BYTES: '2048',
  HTTP_MAX_BODY_BYTES: '1024',
  HTTP_REQUEST_TIMEOUT_SECONDS: '1',
  HTTP_HEADERS_TIMEOUT_SECONDS: '1',
  STREAM_HEARTBEAT_SECONDS: '1',
}

async function portOf(context: TestApp): Promise<number> {
  return Number(new URL(await listening(context)).port)
}

/** An answer Node's parser gave: the envelope, `Connection: close`, and a closed connection. */
async function assertClosingEnvelope(t: Test, connection: RawConnection, response: RawResponse, status: number) {
  t.equal(response.status, status)
  t.match(response.headers['content-type'], /^application\/json/)
  t.equal(response.headers.connection, 'close', 'Connection: close')
  t.same(componentErrors('ErrorResponse', response.json()), [], 'the body is the envelope of openapi.yaml')
  t.equal(response.json().meta.request_id, response.headers['x-request-id'], 'X-Request-ID names the answer')
  t.ok(await connection.closesWithin(2000), 'the server closes the connection')
}

t.test('HTTP limits', async (t) => {
  const context = await buildTestApp(t, 'pglite', limits)
  const port = await portOf(context)
  const tenantId = await createTenant(t, context)

  t.test('headers larger than HTTP_MAX_HEADER_BYTES are 431 in the envelope, and the connection closes', async (t) => {
    const connection = await RawConnection.open(port)
    connection.send(`GET /health/live HTTP/1.1\r\nHost: x\r\nX-Filler: ${'a'.repeat(4096)}\r\n\r\n`)
    const response = await connection.response()
    await assertClosingEnvelope(t, connection, response, 431)
    t.same(response.json().errors, { _: ['Request headers may take at most 2048 bytes'] })
  })

  t.test('headers that trickle past HTTP_HEADERS_TIMEOUT_SECONDS are 408 in the envelope', async (t) => {
    const connection = await RawConnection.open(port)
    const started = Date.now()
    connection.send('GET /health/live HTTP/1.1\r\nHost: x\r\n')
    const trickle = setInterval(() => connection.isOpen && connection.send('X-Slow: 1\r\n'), 200)
    t.teardown(() => clearInterval(trickle))
    const response = await connection.response(10_000)
    const seconds = (Date.now() - started) / 1000
    await assertClosingEnvelope(t, connection, response, 408)
    // Node checks timeouts once a second: 1 s plus up to 1 s, with a wide margin for a loaded machine.
    t.ok(seconds < 6, `answered after ${seconds.toFixed(1)} s`)
  })

  t.test('a body that does not arrive within HTTP_REQUEST_TIMEOUT_SECONDS is 408 in the envelope', async (t) => {
    const connection = await RawConnection.open(port)
    const headers = Object.entries({ ...adminHeaders(context), 'content-type': 'application/json', 'content-length': '40' })
      .map(([name, value]) => `${name}: ${value}\r\n`)
      .join('')
    connection.send(`POST /admin/tenants HTTP/1.1\r\nHost: x\r\n${headers}\r\n{"name":`)
    const response = await connection.response(10_000)
    await assertClosingEnvelope(t, connection, response, 408)
  })

  t.test('a body over HTTP_MAX_BODY_BYTES is 413 in the envelope', async (t) => {
    const response = await context.call(t, 'createTenant', {
      method: 'POST',
      url: '/admin/tenants',
      headers: adminHeaders(context),
      payload: { name: 'x'.repeat(2000) },
    })
    t.equal(response.statusCode, 413)
  })

  t.test('an event stream outlives HTTP_REQUEST_TIMEOUT_SECONDS: the timeout bounds receiving the request only', async (t) => {
    const stream = await openStream(t, `http://127.0.0.1:${port}`, 'streamAgentEvents', '/livechat/events', {
      headers: agentHeaders(context, tenantId),
    })
    await stream.next(t, (event) => event.event === 'stream.ready')
    await sleep(3500)
    t.notOk(stream.isEnded, 'the stream is still open after 3.5 s')
    await openSession(t, context, tenantId)
    await stream.next(t, (event) => event.event === 'session.opened')
  })
})

t.test('TRUST_PROXY: true, false, a hop count, or addresses', async (t) => {
  t.equal(trustProxyOf(undefined), false)
  t.equal(trustProxyOf('false'), false)
  t.equal(trustProxyOf('true'), true)
  t.equal(trustProxyOf('10.0.0.0/8, 127.0.0.1'), '10.0.0.0/8, 127.0.0.1')
  const byHops = trustProxyOf('2') as (address: string, hop: number) => boolean
  t.same([0, 1, 2, 3].map((hop) => byHops('203.0.113.9', hop)), [true, true, false, false], 'the 2 nearest hops are trusted')
})

// The response deadline bounds the service, not the client: a slow upload is the request timeout's (408).
t.test('a body uploaded slower than RESPONSE_TIMEOUT_SECONDS is answered, not 503; one that never ends is 408', async (t) => {
  const context = await buildTestApp(t, 'pglite', { RESPONSE_TIMEOUT_SECONDS: '1', HTTP_REQUEST_TIMEOUT_SECONDS: '4', HTTP_HEADERS_TIMEOUT_SECONDS: '1' })
  const port = await portOf(context)
  const body = JSON.stringify({ name: 'Slow uploader' })
  const head = (length: number) =>
    `POST /admin/tenants HTTP/1.1\r\nHost: x\r\n` +
    Object.entries({ ...adminHeaders(context), 'content-type': 'application/json', 'content-length': String(length) })
      .map(([name, value]) => `${name}: ${value}\r\n`)
      .join('') +
    '\r\n'

  const slow = await RawConnection.open(port)
  slow.send(head(Buffer.byteLength(body)) + body.slice(0, 5))
  await sleep(2000)
  slow.send(body.slice(5))
  const created = await slow.response(10_000)
  t.equal(created.status, 201, 'the body came in 2 s, twice RESPONSE_TIMEOUT_SECONDS: the service still had its time')
  t.equal(created.json().data.name, 'Slow uploader')

  const never = await RawConnection.open(port)
  never.send(head(100) + body.slice(0, 5))
  const response = await never.response(15_000)
  await assertClosingEnvelope(t, never, response, 408)
})
