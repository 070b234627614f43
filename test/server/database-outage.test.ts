import { randomUUID } from 'node:crypto'
import { performance } from 'node:perf_hooks'
import postgres from 'postgres'
import t, { type Test } from 'tap'
import { startServerProcess, type ServerProcess } from '../../scripts/server-process.js'
import { callServer } from '../helpers/call-server.js'
import { openStream } from '../helpers/event-stream.js'
import { freshPostgresDatabase } from '../helpers/fresh-database.js'
import { specErrors } from '../helpers/spec-validator.js'
import { startTcpProxy, type OutageMode, type TcpProxy } from '../helpers/tcp-proxy.js'
import { testSecret, testToken } from '../helpers/test-app.js'
import { testNeeding } from '../helpers/test-needing.js'

// Issue 7, items 1 and 2: with about 20 concurrent senders, PostgreSQL going away must neither kill the
// process nor leave requests hanging; each gets its answer (201, or 503 in the envelope with Retry-After)
// within RESPONSE_TIMEOUT_SECONDS, and the service recovers by itself when the database returns.

const responseTimeoutSeconds = 2
// RESPONSE_TIMEOUT_SECONDS plus a margin for a machine shared with other test runs.
const answerBoundMs = responseTimeoutSeconds * 1000 + 2500
const senders = 20
const outageMs = 6000
// README: "back within about 1 s of the database" (0.35–1.2 s measured); asserted with room for a shared machine. The
// wait for it is far longer, so a slow recovery fails this bound with its figure rather than the wait.
const recoveryBoundMs = 3000
const recoveryWaitMs = 30_000
// Short outages under load: each cut catches writes and transactions midway, where postgres.js crashed.
const flickers = 10

type Phase = 'before' | 'outage' | 'after'
type Answer = { phase: Phase; status: number | 'no answer' | 'refused'; ms: number; body?: unknown; retryAfter?: string | null; messageId?: string }

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

const percentile = (values: number[], fraction: number) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(values.length * fraction))] ?? 0

/**
 * `senders` clients posting messages in a loop, each answer recorded with the phase it was sent in. They fetch
 * by hand, not with callServer: a request may be refused or time out, and checkAnswers judges the answers together.
 */
function startSenders(baseUrl: string, sessionId: string, headers: Record<string, string>) {
  const answers: Answer[] = []
  let phase: Phase = 'before'
  let running = true
  let counter = 0
  async function sender(): Promise<void> {
    while (running) {
      const sentIn = phase
      const started = performance.now()
      const number = ++counter
      // Every other request carries an Idempotency-Key: its commit is bounded by the deadline too.
      const key: Record<string, string> = number % 2 === 0 ? { 'idempotency-key': randomUUID() } : {}
      try {
        const response = await fetch(`${baseUrl}/livechat/sessions/${sessionId}/messages`, {
          method: 'POST',
          headers: { ...headers, ...key, 'content-type': 'application/json' },
          body: JSON.stringify({ message: `outage probe ${number}` }),
          // Far above the bound: a request still unanswered then is a hang.
          signal: AbortSignal.timeout(15_000),
        })
        const body = (await response.json()) as { data?: { id?: string } }
        answers.push({
          phase: sentIn,
          status: response.status,
          ms: performance.now() - started,
          body,
          retryAfter: response.headers.get('retry-after'),
          messageId: response.status === 201 ? body.data?.id : undefined,
        })
      } catch (error) {
        const timedOut = (error as Error).name === 'TimeoutError'
        answers.push({ phase: sentIn, status: timedOut ? 'no answer' : 'refused', ms: performance.now() - started })
        await sleep(50)
      }
    }
  }
  const loops = Array.from({ length: senders }, sender)
  return {
    answers,
    setPhase: (next: Phase) => void (phase = next),
    stop: async () => {
      running = false
      await Promise.all(loops)
    },
  }
}

async function getJson(url: string) {
  const started = performance.now()
  const response = await fetch(url, { signal: AbortSignal.timeout(15_000) })
  return { status: response.status, body: (await response.json()) as unknown, retryAfter: response.headers.get('retry-after'), ms: performance.now() - started }
}

/** Checks every answer sent during and after an outage: in time, and 201 or a documented 503. */
function checkAnswers(t: Test, answers: Answer[]) {
  const late = answers.filter((answer) => answer.ms >= answerBoundMs || answer.status === 'no answer')
  t.same(late.slice(0, 5), [], `every request is answered within ${answerBoundMs} ms (${late.length} of ${answers.length} were not)`)
  const refused = answers.filter((answer) => answer.status === 'refused')
  t.equal(refused.length, 0, 'no connection is refused: the process is still there')
  const unexpected = answers.filter((answer) => answer.status !== 201 && answer.status !== 503 && answer.status !== 'no answer' && answer.status !== 'refused')
  t.same(unexpected.slice(0, 5), [], 'each answer is 201 or 503')
  const invalid = answers.filter(
    (answer) => typeof answer.status === 'number' && (answer.status === 201 || answer.status === 503) && specErrors('sendMessage', answer.status, answer.body).length > 0,
  )
  t.same(invalid.slice(0, 5), [], 'each body matches openapi.yaml (the envelope)')
  const unavailable = answers.filter((answer) => answer.status === 503)
  t.ok(
    unavailable.every((answer) => /^\d+$/.test(answer.retryAfter ?? '')),
    `each 503 carries Retry-After in seconds (${unavailable.length} answers 503)`,
  )
}

type Outage = { proxy: TcpProxy; server: ServerProcess; baseUrl: string; load: ReturnType<typeof startSenders> }

/** One outage under load: cut, check the service answers and stays alive, restore, wait for recovery. */
async function outage(t: Test, { proxy, server, baseUrl, load }: Outage, mode: OutageMode) {
  const answers = load.answers
  const first = answers.length
  load.setPhase('outage')
  proxy.cut(mode)
  await sleep(responseTimeoutSeconds * 1000 + 1000)

  const live = await getJson(`${baseUrl}/health/live`)
  t.equal(live.status, 200, '/health/live stays 200: the process is alive, restarting it would not help')
  t.ok(live.ms < 1000, `/health/live answers at once (${Math.round(live.ms)} ms)`)
  const ready = await getJson(`${baseUrl}/health/ready`)
  t.equal(ready.status, 503, '/health/ready says 503 while the database is away')
  t.same(specErrors('getReadiness', 503, ready.body), [], 'getReadiness 503 body matches openapi.yaml')
  t.ok(ready.ms < answerBoundMs, `/health/ready answers within the bound (${Math.round(ready.ms)} ms)`)

  await sleep(outageMs - (responseTimeoutSeconds * 1000 + 1000) - live.ms - ready.ms)
  const duringOutage = answers.slice(first).filter((answer) => answer.phase === 'outage')
  const restoredAt = performance.now()
  proxy.restore()
  load.setPhase('after')

  // Recovered: a message sent after the restore is stored, and readiness is back, without a restart.
  let recoveredMs: number | undefined
  while (performance.now() - restoredAt < recoveryWaitMs && recoveredMs === undefined) {
    await sleep(100)
    const stored = answers.slice(first).some((answer) => answer.phase === 'after' && answer.status === 201)
    if (stored && (await getJson(`${baseUrl}/health/ready`)).status === 200) recoveredMs = performance.now() - restoredAt
  }
  t.ok(recoveredMs !== undefined, `sends succeed and /health/ready is 200 again after the restore (not within ${recoveryWaitMs} ms otherwise)`)
  t.ok(recoveredMs !== undefined && recoveredMs < recoveryBoundMs, `recovered within ${recoveryBoundMs} ms of the restore: in ${Math.round(recoveredMs ?? -1)} ms`)
  await sleep(1000)
  t.equal(server.child.exitCode, null, 'the process did not exit')
  checkAnswers(t, answers.slice(first))

  const outageTimes = duringOutage.filter((answer) => typeof answer.status === 'number').map((answer) => answer.ms)
  t.comment(
    `${mode}: ${duringOutage.length} answers during the outage (${duringOutage.filter((answer) => answer.status === 503).length} × 503), ` +
      `max ${Math.round(Math.max(0, ...outageTimes))} ms, p50 ${Math.round(percentile(outageTimes, 0.5))} ms; recovered ${Math.round(recoveredMs ?? -1)} ms after the restore`,
  )
}

testNeeding(t, 'PostgreSQL going away under load', !process.env.DATABASE_URL && 'needs DATABASE_URL (a PostgreSQL server to cut a proxy in front of)', async (t) => {
  const databaseUrl = await freshPostgresDatabase(t)
  const target = new URL(databaseUrl)
  const proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) })
  t.teardown(proxy.close)
  const throughProxy = new URL(databaseUrl)
  throughProxy.host = proxy.address

  const server = await startServerProcess(
    {
      DATABASE_URL: throughProxy.href,
      JWT_SECRET: testSecret,
      RESPONSE_TIMEOUT_SECONDS: String(responseTimeoutSeconds),
      RATE_LIMIT_USER_MAX: '0',
      RATE_LIMIT_IP_MAX: '0',
    },
    { output: 'pipe' },
  )
  t.teardown(server.stop)
  let stderr = ''
  let stdout = ''
  server.child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk))
  server.child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk))
  const baseUrl = server.baseUrl

  const admin = testToken({ sub: 9000, roles: ['PLATFORM_ADMIN'], tenants: [] })
  const created = await callServer(t, baseUrl, 'createTenant', { method: 'POST', url: '/admin/tenants', headers: { authorization: `Bearer ${admin}` }, payload: { name: 'Outage' } })
  const tenantId = created.json(201).data.id
  const headers = { authorization: `Bearer ${testToken({ sub: 1, roles: ['SUPPORT_AGENT'], tenants: [tenantId] })}`, 'x-tenant-id': String(tenantId) }
  const presence = await callServer(t, baseUrl, 'setMyPresence', { method: 'PUT', url: '/livechat/agents/me/presence', headers, payload: { status: 'ONLINE' } })
  t.equal(presence.statusCode, 200, 'agent online')
  const session = await callServer(t, baseUrl, 'startSession', { method: 'POST', url: '/livechat/sessions', headers, payload: {} })
  const sessionId = session.json(201).data.id
  // A stream open through every outage: its feed polls the database each second, and it must not be cut by the deadline.
  const user = testToken({ sub: 2, roles: ['TENANT_USER'], tenants: [tenantId] })
  const stream = await openStream(t, baseUrl, 'streamClientEvents', '/livechat/client/events', {
    headers: { authorization: `Bearer ${user}`, 'x-tenant-id': String(tenantId) },
  })
  await stream.next(t, (event) => event.event === 'stream.ready')

  const load = startSenders(baseUrl, sessionId, headers)
  t.teardown(load.stop)
  await sleep(1000)
  const context: Outage = { proxy, server, baseUrl, load }

  await t.test('connections reset (the server stopped), under load, over and over', async (t) => {
    for (let flicker = 0; flicker < flickers && server.child.exitCode === null; flicker++) {
      load.setPhase('outage')
      proxy.cut('reset')
      await sleep(300 + Math.random() * 500)
      proxy.restore()
      load.setPhase('after')
      await sleep(500 + Math.random() * 500)
    }
    t.equal(server.child.exitCode, null, `the process survived ${flickers} short outages under load`)
    await outage(t, context, 'reset')
  })

  await t.test('the network goes silent (requests to the database hang)', async (t) => {
    await outage(t, context, 'blackhole')
  })

  await load.stop()
  t.equal(server.child.exitCode, null, 'the process is still running')
  t.notMatch(stderr, /uncaught|TypeError|Cannot read properties/i, 'nothing uncaught on standard error')
  t.notMatch(stdout, /outage probe \d+/, 'no chat text reached the log')

  // Every message acknowledged with 201 is stored.
  const acknowledged = load.answers.flatMap((answer) => (answer.messageId ? [answer.messageId] : []))
  const direct = postgres(databaseUrl, { max: 1, onnotice: () => {} })
  t.teardown(() => direct.end())
  const [{ count }] = await direct<{ count: number }[]>`select count(*)::int as count from chat_messages where id = any(${acknowledged}::uuid[])`
  t.equal(count, acknowledged.length, `each of the ${acknowledged.length} acknowledged messages is in the database`)

  const delivered = (await stream.collect(t, ['message.created'], acknowledged.length, 15_000)).map((event) => event.data.message.id as string)
  t.notOk(stream.isEnded, 'the stream opened before the outages is still open')
  t.same(
    acknowledged.filter((id) => !delivered.includes(id)),
    [],
    'the stream delivered every acknowledged message, those sent between outages included',
  )
  t.equal(new Set(delivered).size, delivered.length, 'and none twice')
})
