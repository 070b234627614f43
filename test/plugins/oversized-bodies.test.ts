import { once } from 'node:events'
import type { Socket } from 'node:net'
import t from 'tap'
import { startServerProcess } from '../../scripts/server-process.js'
import { discardedBodyBytes } from '../../src/platform/discard-oversized-body.js'
import { callServer } from '../helpers/call-server.js'
import { listening } from '../helpers/event-stream.js'
import { agentHeaders, createTenant } from '../helpers/fixtures.js'
import { RawConnection } from '../helpers/raw-http.js'
import { componentErrors } from '../helpers/spec-validator.js'
import { buildTestApp, testSecret, testToken, type TestApp } from '../helpers/test-app.js'

// Issue 15, item 6: "A body over about 2 MB is answered with a reset, not 413 … The server closes the socket while
// the client is still sending; browsers and `fetch` then never see the answer." Done when "a test sends 2, 8 and
// 16 MB bodies with `fetch` 30 times each and reads a 413 envelope every time". HTTP_MAX_BODY_BYTES keeps its
// default (1 MiB), as in the issue.
const mebibyte = 1024 * 1024
const sendsPerSize = 30
// Two shared cores: a few uploads at a time keep the test short without starving the server.
const parallelUploads = 3

/** A JSON body of exactly `bytes` bytes. */
function jsonBody(bytes: number): Buffer {
  const body = Buffer.alloc(bytes, 'x')
  body.write('{"message":"')
  body.write('"}', bytes - 2)
  return body
}

/** The same bytes as a stream of 64 KiB chunks: fetch sends it chunked, without Content-Length. */
function streamOf(body: Buffer): ReadableStream<Uint8Array> {
  let offset = 0
  return new ReadableStream({
    pull(controller) {
      controller.enqueue(body.subarray(offset, (offset += 64 * 1024)))
      if (offset >= body.length) controller.close()
    },
  })
}

/** What a fetch client read: "413 envelope" when it is the answer the issue asks for, else what it got instead. */
async function outcomeOf(url: string, headers: Record<string, string>, body: Buffer | ReadableStream<Uint8Array>): Promise<string> {
  try {
    const response = await fetch(url, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body, duplex: 'half' } as RequestInit)
    const text = await response.text()
    if (response.status !== 413) return `${response.status}`
    const envelope = JSON.parse(text)
    const errors = componentErrors('ErrorResponse', envelope)
    if (errors.length > 0) return `413 not the envelope: ${errors.join('; ')}`
    if (envelope.code !== 'BODY_TOO_LARGE') return `413 with code ${envelope.code}`
    return envelope.success === false ? '413 envelope' : '413 with success: true'
  } catch (error) {
    const cause = (error as Error & { cause?: { code?: string; message?: string } }).cause
    return cause?.code ?? cause?.message ?? (error as Error).message
  }
}

/** Runs `send` `times` times, `parallelUploads` at a time, and counts the outcomes. */
async function countOutcomes(times: number, send: () => Promise<string>): Promise<Record<string, number>> {
  const counts: Record<string, number> = {}
  let started = 0
  const worker = async () => {
    while (started++ < times) {
      const outcome = await send()
      counts[outcome] = (counts[outcome] ?? 0) + 1
    }
  }
  await Promise.all(Array.from({ length: parallelUploads }, worker))
  return counts
}

/** The server's side of every connection accepted from now on, to see how much it read. */
function acceptedSockets(context: TestApp): Socket[] {
  const sockets: Socket[] = []
  context.app.server.on('connection', (socket: Socket) => sockets.push(socket))
  return sockets
}

async function settlesWithin<T>(milliseconds: number, promise: Promise<T>): Promise<{ value: T; seconds: number } | undefined> {
  const started = Date.now()
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), milliseconds)))
  const settled = await Promise.race([promise.then((value) => ({ value, seconds: (Date.now() - started) / 1000 })), timeout])
  clearTimeout(timer)
  return settled
}

// The server runs as its own process, as `npm start` does: in the test's own process the client reads the
// answer before the reset reaches it, and the failure does not show.
t.test('oversized bodies sent with fetch to the server process', async (t) => {
  const environment = { DATA_DIR: 'memory://', JWT_SECRET: testSecret, RATE_LIMIT_USER_MAX: '0', RATE_LIMIT_IP_MAX: '0', LOG_LEVEL: 'fatal' }
  const server = await startServerProcess(environment)
  t.teardown(server.stop)
  const admin = { authorization: `Bearer ${testToken({ sub: 9000, roles: ['PLATFORM_ADMIN'], tenants: [] })}` }
  const created = await callServer(t, server.baseUrl, 'createTenant', { method: 'POST', url: '/admin/tenants', headers: admin, payload: { name: 'Uploads' } })
  const tenantId = created.json(201).data.id
  const headers = { authorization: `Bearer ${testToken({ sub: 1, roles: ['SUPPORT_AGENT'], tenants: [tenantId] })}`, 'x-tenant-id': String(tenantId) }
  const url = `${server.baseUrl}/livechat/sessions`

  for (const size of [2, 8, 16]) {
    const body = jsonBody(size * mebibyte)
    t.test(`a ${size} MiB body is answered 413 in the envelope, ${sendsPerSize} times of ${sendsPerSize}`, async (t) => {
      t.same(await countOutcomes(sendsPerSize, () => outcomeOf(url, headers, body)), { '413 envelope': sendsPerSize })
    })
    t.test(`a ${size} MiB body streamed (chunked, no Content-Length) is answered 413 in the envelope`, async (t) => {
      t.same(await countOutcomes(10, () => outcomeOf(url, headers, streamOf(body))), { '413 envelope': 10 })
    })
  }
})

// In the test's process, to see how much of the body the server read.
t.test('a body far past the bound is cut: the server stops reading it, and soon', async (t) => {
  const context = await buildTestApp(t, 'pglite')
  const url = `${await listening(context)}/livechat/sessions`
  const headers = agentHeaders(context, await createTenant(t, context))
  const sockets = acceptedSockets(context)
  const body = jsonBody(64 * mebibyte)
  const streamed = await settlesWithin(20_000, outcomeOf(url, headers, streamOf(body)))
  t.ok(streamed, `a streamed 64 MiB body settles (${streamed?.value}) in ${streamed?.seconds.toFixed(1)} s`)
  const declared = await settlesWithin(20_000, outcomeOf(url, headers, body))
  t.ok(declared, `a 64 MiB body with its Content-Length settles (${declared?.value}) in ${declared?.seconds.toFixed(1)} s`)
  t.equal(sockets.length, 2, 'one connection each')
  const closed = await settlesWithin(2000, Promise.all(sockets.map((socket) => socket.destroyed || once(socket, 'close'))))
  t.ok(closed, 'the server closed both connections')
  const [streamedRead, declaredRead] = sockets.map((socket) => socket.bytesRead)
  // The limit, the bytes discarded past it, and what was in flight when the server stopped reading.
  const bound = context.config.HTTP_MAX_BODY_BYTES + discardedBodyBytes + 2 * mebibyte
  t.ok(streamedRead < bound, `the server read ${(streamedRead / mebibyte).toFixed(1)} MiB of the streamed body`)
  // A Content-Length past the bound is refused before the body is read.
  t.ok(declaredRead < 2 * mebibyte, `the server read ${(declaredRead / mebibyte).toFixed(1)} MiB of the declared body`)
})

t.test('an oversized body trickling in is 408 at HTTP_REQUEST_TIMEOUT_SECONDS, as any slow body, and the connection closes', async (t) => {
  const context = await buildTestApp(t, 'pglite', { HTTP_REQUEST_TIMEOUT_SECONDS: '2', HTTP_HEADERS_TIMEOUT_SECONDS: '1' })
  const port = Number(new URL(await listening(context)).port)
  const headers = { ...agentHeaders(context, await createTenant(t, context)), 'content-type': 'application/json', 'transfer-encoding': 'chunked' }
  const connection = await RawConnection.open(port)
  const head = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`)
  const chunk = (text: string) => `${Buffer.byteLength(text).toString(16)}\r\n${text}\r\n`
  const started = Date.now()
  connection.send(`POST /livechat/sessions HTTP/1.1\r\nHost: x\r\n${head.join('')}\r\n${chunk('x'.repeat(2 * mebibyte))}`)
  const trickle = setInterval(() => connection.isOpen && connection.send(chunk('x'.repeat(1024))), 100)
  t.teardown(() => clearInterval(trickle))
  const response = await connection.response(10_000)
  const seconds = (Date.now() - started) / 1000
  t.equal(response.status, 408)
  t.same(componentErrors('ErrorResponse', response.json()), [], 'the body is the envelope of openapi.yaml')
  // Node checks timeouts once a second: 2 s plus up to 1 s, with a wide margin for a loaded machine.
  t.ok(seconds < 7, `answered after ${seconds.toFixed(1)} s`)
  t.ok(await connection.closesWithin(2000), 'the server closes the connection')
})
