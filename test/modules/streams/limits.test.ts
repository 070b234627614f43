import { request as httpRequest } from 'node:http'
import { connect, type Socket } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import t, { type Test } from 'tap'
import { createTokenSigner } from '../../../src/platform/tokens.js'
import { EventStreamClient, listening, openStream } from '../../helpers/event-stream.js'
import { agentHeaders, createTenant, openSession, sendMessage } from '../../helpers/fixtures.js'
import { buildTestApp, databaseKinds, type TestApp, testOn } from '../../helpers/test-app.js'

// Issue: "Keep-alive comment lines every STREAM_HEARTBEAT_SECONDS. A stream ends when its token would have expired,
// when the server shuts down (after telling clients to reconnect), or when the client goes away; resources are freed
// at once. A slow consumer cannot grow server memory without bound: past a per-connection buffer limit its connection
// is closed and it resumes from its last id. Open streams per user are capped (429 in the envelope beyond it)."

const agentPath = '/livechat/events'

const openAgentStream = (t: Test, base: string, headers: Record<string, string>, extra: Record<string, string> = {}) =>
  EventStreamClient.open(t, base, 'streamAgentEvents', agentPath, { headers: { ...headers, ...extra } })

/** Retries opening for up to `withinMs`: the server learns of a client's close from the socket, not at once. */
async function openWithin(t: Test, base: string, headers: Record<string, string>, withinMs: number) {
  const deadline = Date.now() + withinMs
  for (;;) {
    const opened = await openAgentStream(t, base, headers)
    if (opened.status !== 429 || Date.now() > deadline) return opened
    await sleep(20)
  }
}

/** Resolves with `promise`, or rejects when it takes longer than `ms`. */
async function within<Value>(promise: Promise<Value>, ms: number, what: string): Promise<Value> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} took more than ${ms} ms`)), ms)))
  try {
    return await Promise.race([promise, timeout])
  } finally {
    clearTimeout(timer)
  }
}

/** The raw text of a stream as it arrives, comments included (EventStreamClient drops them). */
async function rawStreamText(base: string, headers: Record<string, string>, forMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(new URL(agentPath, base), { headers: { accept: 'text/event-stream', ...headers } }, (response) => {
      let text = ''
      response.setEncoding('utf8')
      response.on('data', (chunk: string) => (text += chunk))
      setTimeout(() => {
        response.destroy()
        resolve(text)
      }, forMs)
    })
    request.on('error', reject)
    request.end()
  })
}

for (const kind of databaseKinds) {
  testOn(t, kind, kind, async (t) => {
    t.test('beyond STREAM_MAX_PER_USER a stream is 429 in the envelope; other users still get in; a closed stream frees its slot', async (t) => {
      const context = await buildTestApp(t, kind, { STREAM_MAX_PER_USER: '2' })
      const base = await listening(context)
      const tenantId = await createTenant(t, context)
      const agent = agentHeaders(context, tenantId, 1)

      const first = await openStream(t, base, 'streamAgentEvents', agentPath, { headers: agent })
      await openStream(t, base, 'streamAgentEvents', agentPath, { headers: agent })
      const third = await openAgentStream(t, base, agent)
      t.equal(third.status, 429, 'the third stream of one user is 429')
      t.match(third.stream ? undefined : third.body, { success: false, message: 'Too many open streams', data: null, errors: { _: [/\b2\b/] } }, 'the refusal names the limit')

      const tokenResponse = await context.call(t, 'createStreamToken', { method: 'POST', url: '/livechat/stream-tokens', headers: agent })
      t.equal(tokenResponse.statusCode, 201)
      const byToken = await EventStreamClient.open(t, base, 'streamAgentEvents', agentPath, { query: { stream_token: tokenResponse.json().data.token } })
      t.equal(byToken.status, 429, 'a stream opened with a stream token counts against the same cap')

      const other = await openAgentStream(t, base, agentHeaders(context, tenantId, 2))
      t.equal(other.status, 200, 'another user still gets in')

      first.close()
      const again = await openWithin(t, base, agent, 2000)
      t.equal(again.status, 200, 'after one is closed a new one opens')
      t.equal((await openAgentStream(t, base, agent)).status, 429, 'and the cap still holds')
    })

    t.test('the cap holds when streams of one user open at the same moment', async (t) => {
      const context = await buildTestApp(t, kind, { STREAM_MAX_PER_USER: '2' })
      const base = await listening(context)
      const tenantId = await createTenant(t, context)
      const agent = agentHeaders(context, tenantId, 1)
      const opened = await Promise.all(Array.from({ length: 6 }, () => openAgentStream(t, base, agent)))
      t.same(
        opened.map((attempt) => attempt.status).sort(),
        [200, 200, 429, 429, 429, 429],
        'two open, four are 429',
      )
    })

    t.test('a client going away frees its slot at once, not at the next heartbeat', async (t) => {
      // The default heartbeat is 15 s: a slot freed only by a failed write would not be back within a second.
      const context = await buildTestApp(t, kind, { STREAM_MAX_PER_USER: '1' })
      const base = await listening(context)
      const tenantId = await createTenant(t, context)
      const agent = agentHeaders(context, tenantId, 1)
      const stream = await openStream(t, base, 'streamAgentEvents', agentPath, { headers: agent })
      t.equal((await stream.next(t)).event, 'stream.ready')
      t.equal((await openAgentStream(t, base, agent)).status, 429, 'at the cap')
      stream.close()
      const next = await openWithin(t, base, agent, 1000)
      t.equal(next.status, 200, 'a new stream opens within a second of the close')
    })

    t.test('keep-alive comment lines come every STREAM_HEARTBEAT_SECONDS', async (t) => {
      const context = await buildTestApp(t, kind, { STREAM_HEARTBEAT_SECONDS: '1' })
      const base = await listening(context)
      const tenantId = await createTenant(t, context)
      const text = await rawStreamText(base, agentHeaders(context, tenantId, 1), 2600)
      t.match(text, /^retry: \d+\n\n/, 'the stream opens with a retry line')
      const frames = text.split('\n\n')
      const keepAlives = frames.filter((frame) => frame === ': keep-alive')
      t.ok(keepAlives.length >= 2, `at least two keep-alive frames in 2.6 s (got ${keepAlives.length})`)
      t.ok(keepAlives.length <= 3, 'and not more than one a second')
    })

    t.test('a stream ends by itself when its bearer token expires, with stream.reconnect credentials_expired', async (t) => {
      // Without clock skew allowed, the token is refused from the moment it expires, as the stream ends.
      const context = await buildTestApp(t, kind, { STREAM_MAX_PER_USER: '1', JWT_CLOCK_SKEW_SECONDS: '0' })
      const base = await listening(context)
      const tenantId = await createTenant(t, context)
      const shortLived = createTokenSigner(context.config, '2s')({ sub: 1, roles: ['SUPPORT_AGENT'], tenants: [tenantId] })
      const headers = { authorization: `Bearer ${shortLived}`, 'x-tenant-id': String(tenantId) }
      const stream = await openStream(t, base, 'streamAgentEvents', agentPath, { headers })
      t.equal((await stream.next(t)).event, 'stream.ready')
      const reconnect = await stream.next(t, (event) => event.event === 'stream.reconnect', 6000)
      t.same(reconnect.data, { type: 'stream.reconnect', reason: 'credentials_expired' })
      await within(stream.ended, 2000, 'the end of the stream')
      t.ok(stream.isEnded, 'the server ended the stream')
      t.equal((await openAgentStream(t, base, headers)).status, 401, 'the expired token opens no new stream')
      const renewed = await openWithin(t, base, agentHeaders(context, tenantId, 1), 1000)
      t.equal(renewed.status, 200, 'with a fresh token the user reconnects at once: the ended stream left its slot')
    })

    t.test('on shutdown every stream gets stream.reconnect shutdown and ends, and close() completes', async (t) => {
      const context = await buildTestApp(t, kind)
      const base = await listening(context)
      const tenantId = await createTenant(t, context)
      const streams = [
        await openStream(t, base, 'streamAgentEvents', agentPath, { headers: agentHeaders(context, tenantId, 1) }),
        await openStream(t, base, 'streamAgentEvents', agentPath, { headers: agentHeaders(context, tenantId, 2) }),
      ]
      for (const stream of streams) t.equal((await stream.next(t)).event, 'stream.ready')
      const closing = context.app.close()
      for (const stream of streams) {
        const reconnect = await stream.next(t, (event) => event.event === 'stream.reconnect')
        t.same(reconnect.data, { type: 'stream.reconnect', reason: 'shutdown' })
        await within(stream.ended, 2000, 'the end of the stream')
      }
      await within(closing, 5000, 'app.close()')
      t.pass('close() completed')
    })

    t.test('a slow consumer is cut off past STREAM_BUFFER_BYTES and resumes from its last id with every message once, in order', async (t) => {
      const context = await buildTestApp(t, kind, { STREAM_BUFFER_BYTES: '65536' })
      const base = await listening(context)
      const tenantId = await createTenant(t, context)
      const sessionId = await openSession(t, context, tenantId, 1)
      const headers = agentHeaders(context, tenantId, 1)

      const slow = await openSlowConsumer(t, context, base, headers)
      const sent: string[] = []
      let handedWhileOpen = 0
      const deadline = Date.now() + 60_000
      while (!slow.closedByServer() && sent.length < 400 && Date.now() < deadline) {
        handedWhileOpen = slow.handedToSocket()
        sent.push((await sendMessage(t, context, tenantId, sessionId, '€'.repeat(10_000))).id)
      }
      t.ok(slow.closedByServer(), `the server closed the slow connection (after ${sent.length} messages of 30,000 bytes)`)
      // What the client can still read is what the kernel took; the rest of what was handed over waited in the
      // server's memory, which STREAM_BUFFER_BYTES bounds in bytes, whatever the characters.
      const waitingInServer = handedWhileOpen - (await slow.drain())
      t.ok(waitingInServer <= 65536, `at most STREAM_BUFFER_BYTES waited in the server while the connection was open (${waitingInServer} bytes)`)

      const resumed = await openStream(t, base, 'streamAgentEvents', agentPath, { headers: { ...headers, 'last-event-id': slow.readyId } })
      const messages = await resumed.collect(t, ['message.created'], sent.length, 30_000)
      t.same(
        messages.map((event) => event.data.message.id),
        sent,
        'every message sent arrives once, in order',
      )
    })
  })
}

/**
 * An agent stream on a raw socket that reads up to stream.ready and then stops reading, like a client on a
 * stalled network. Whether the server closed it is seen on the server's side of the socket: a client that
 * does not read cannot see the close.
 */
async function openSlowConsumer(t: Test, context: TestApp, base: string, headers: Record<string, string>) {
  const accepted: Socket[] = []
  const onConnection = (serverSide: Socket) => void accepted.push(serverSide)
  context.app.server.on('connection', onConnection)
  t.teardown(() => void context.app.server.off('connection', onConnection))
  const socket = connect(Number(new URL(base).port), '127.0.0.1')
  t.teardown(() => void socket.destroy())
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject))
  const lines = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`)
  socket.write(`GET ${agentPath} HTTP/1.1\r\nhost: 127.0.0.1\r\naccept: text/event-stream\r\n${lines.join('')}\r\n`)

  let received = 0
  let head = ''
  const countBytes = (chunk: Buffer) => void (received += chunk.length)
  socket.on('data', countBytes)
  const readyId = await within(
    new Promise<string>((resolve, reject) => {
      socket.on('data', function onData(chunk: Buffer) {
        head += chunk.toString('latin1')
        const ready = /id: ([^\n]+)\nevent: stream\.ready\ndata: [^\n]*\n\n/.exec(head)
        if (!ready) return
        socket.off('data', onData)
        socket.pause()
        resolve(ready[1])
      })
      socket.once('close', () => reject(new Error(`the stream closed before stream.ready: ${head}`)))
    }),
    5000,
    'stream.ready',
  )
  t.match(head, /^HTTP\/1\.1 200 /, 'the slow stream opened')
  const serverSide = accepted.find((candidate) => candidate.remotePort === socket.localPort)
  if (!serverSide) throw new Error("the server's side of the slow connection was not seen")
  return {
    readyId,
    closedByServer: () => serverSide.destroyed,
    /** Bytes the server has handed to the socket: those the kernel took, and those still waiting in the server. */
    handedToSocket: () => serverSide.bytesWritten,
    /** Reads what the kernel still holds to the end; the bytes this client received in all. */
    async drain(): Promise<number> {
      const ended = new Promise((resolve) => socket.once('close', resolve))
      socket.resume()
      await within(ended, 10_000, 'reading the slow stream to its end')
      return received
    },
  }
}
