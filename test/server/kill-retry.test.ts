import { randomUUID } from 'node:crypto'
import { once } from 'node:events'
import t, { type Test } from 'tap'
import { startServerProcess, type ServerProcess } from '../../scripts/server-process.js'
import { callServer, type ServerAnswer } from '../helpers/call-server.js'
import { freshPostgresDatabase } from '../helpers/fresh-database.js'
import { testSecret, testToken } from '../helpers/test-app.js'
import { testNeeding } from '../helpers/test-needing.js'

const burstSize = 200
const concurrency = 20
// The process is killed once this many of the burst have been answered: the rest are in flight or unsent.
const killAfterAnswers = 60

type Attempt = { key: string; text: string; first?: ServerAnswer<'sendMessage'> }

/** Runs `work` on every item, `limit` at a time. */
async function inParallel<Item>(items: Item[], limit: number, work: (item: Item) => Promise<void>): Promise<void> {
  let next = 0
  const worker = async () => {
    while (next < items.length) await work(items[next++])
  }
  await Promise.all(Array.from({ length: limit }, worker))
}

// Issue 7: "after a kill mid-burst, retrying every unanswered request with its key leaves each message exactly once".
testNeeding(t, 'after SIGKILL mid-burst, retrying every request with its key leaves each message exactly once', !process.env.DATABASE_URL && 'needs DATABASE_URL: the kill is of a server process on PostgreSQL', async (t) => {
  const environment = {
    DATABASE_URL: await freshPostgresDatabase(t),
    JWT_SECRET: testSecret,
    RATE_LIMIT_USER_MAX: '0',
    RATE_LIMIT_IP_MAX: '0',
    LOG_LEVEL: 'fatal',
  }
  let server: ServerProcess = await startServerProcess(environment)
  t.teardown(() => server.stop())

  const admin = { authorization: `Bearer ${testToken({ sub: 9000, roles: ['PLATFORM_ADMIN'], tenants: [] })}` }
  const created = await callServer(t, server.baseUrl, 'createTenant', { method: 'POST', url: '/admin/tenants', headers: admin, payload: { name: 'Killed' } })
  const tenantId = created.json(201).data.id
  const agent = { authorization: `Bearer ${testToken({ sub: 1, roles: ['SUPPORT_AGENT'], tenants: [tenantId] })}`, 'x-tenant-id': String(tenantId) }
  await callServer(t, server.baseUrl, 'setMyPresence', { method: 'PUT', url: '/livechat/agents/me/presence', headers: agent, payload: { status: 'ONLINE' } })
  const sessionId = (await callServer(t, server.baseUrl, 'startSession', { method: 'POST', url: '/livechat/sessions', headers: agent, payload: {} })).json(201).data.id
  const send = (t: Test, attempt: Attempt) =>
    callServer(t, server.baseUrl, 'sendMessage', {
      method: 'POST',
      url: `/livechat/sessions/${sessionId}/messages`,
      headers: { ...agent, 'idempotency-key': attempt.key },
      payload: { message: attempt.text },
    })
  const replayed = (answer: ServerAnswer<'sendMessage'>) => answer.headers.get('idempotent-replayed') === 'true'

  const attempts: Attempt[] = Array.from({ length: burstSize }, (_, index) => ({ key: randomUUID(), text: `burst ${index} ${randomUUID()}` }))
  let answered = 0
  const first = server
  const killed = once(first.child, 'exit')
  await inParallel(attempts, concurrency, async (attempt) => {
    if (first.child.signalCode !== null) return
    try {
      attempt.first = await send(t, attempt)
      t.equal(attempt.first.statusCode, 201, 'answered before the kill: 201')
      if (++answered === killAfterAnswers) setTimeout(() => first.child.kill('SIGKILL'), 3)
    } catch {
      // The connection died with the process: no answer.
    }
  })
  await killed
  const unanswered = attempts.filter((attempt) => !attempt.first).length
  t.ok(unanswered > 0 && answered >= killAfterAnswers, `killed mid-burst: ${answered} answered, ${unanswered} not`)

  server = await startServerProcess(environment)
  let committedButUnanswered = 0
  await inParallel(attempts, concurrency, async (attempt) => {
    const retry = await send(t, attempt)
    t.equal(retry.statusCode, 201, 'every retry is 201')
    if (attempt.first) {
      t.ok(replayed(retry), 'an answered request is replayed')
      t.equal(retry.body, attempt.first.body, 'an answered request replays its first answer, with the same id')
    } else if (replayed(retry)) {
      committedButUnanswered++
    }
  })
  t.comment(`${committedButUnanswered} of the ${unanswered} unanswered requests had committed before the kill; their retries were replays`)

  const texts: string[] = []
  for (let cursor: string | undefined; ; ) {
    const query = { limit: '100', ...(cursor && { cursor }) }
    const page = (await callServer(t, server.baseUrl, 'listMessages', { url: `/livechat/sessions/${sessionId}/messages`, headers: agent, query })).json(200)
    texts.push(...page.data.map((message) => message.message))
    if (!page.meta.pagination.has_next) break
    cursor = page.meta.pagination.next_cursor
  }
  t.equal(texts.length, burstSize, `${burstSize} messages in the session`)
  t.same(new Set(texts), new Set(attempts.map((attempt) => attempt.text)), 'each text exactly once')
})
