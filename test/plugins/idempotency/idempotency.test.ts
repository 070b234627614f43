import { randomUUID } from 'node:crypto'
import { sql } from 'drizzle-orm'
import postgres from 'postgres'
import t, { type Test } from 'tap'
import type { components } from '../../../generated/openapi.js'
import { rowsOf } from '../../../src/platform/database.js'
import { openStream, listening } from '../../helpers/event-stream.js'
import { adminHeaders, agentHeaders, allPages, createTenant, openSession, sendMessage, setPresence, tenantUserHeaders } from '../../helpers/fixtures.js'
import type { OperationId } from '../../helpers/operation-types.js'
import { buildTestApp, onEachDatabase, type CallOptions, type OperationCall } from '../../helpers/test-app.js'
import { testNeeding } from '../../helpers/test-needing.js'

type ChatMessage = components['schemas']['ChatMessage']

// Issue 7: "a client that lost the response to a POST (timeout, crash) and retries creates a second message".
onEachDatabase(t, async (t, context) => {
  const tenantId = await createTenant(t, context, 'Idempotent')
  const withKey = (key: string, headers: Record<string, string>) => ({ ...headers, 'idempotency-key': key })

  const sendKeyed = (t: Test, sessionId: string, key: string, message: string, headers = agentHeaders(context, tenantId)) =>
    context.call(t, 'sendMessage', {
      method: 'POST',
      url: `/livechat/sessions/${sessionId}/messages`,
      headers: withKey(key, headers),
      payload: { message },
    })

  const messagesOf = (t: Test, sessionId: string) =>
    allPages<ChatMessage>(t, context, 'listMessages', { url: `/livechat/sessions/${sessionId}/messages`, headers: agentHeaders(context, tenantId) })

  /** Sends `options` twice with one key: the second answer is the first, replayed. */
  async function sendTwice<K extends OperationId>(t: Test, operationId: K, options: CallOptions<K>) {
    const keyed = { ...options, headers: withKey(randomUUID(), options.headers as Record<string, string>) }
    const first = await context.call(t, operationId, keyed)
    const retry = await context.call(t, operationId, keyed)
    t.equal(retry.statusCode, first.statusCode, `${operationId}: the retry has the first status (${first.statusCode})`)
    t.equal(retry.body, first.body, `${operationId}: the retry has the first body, ids and meta.request_id included`)
    t.notOk(first.headers['idempotent-replayed'], 'the first answer is not a replay')
    t.equal(retry.headers['idempotent-replayed'], 'true', 'the retry says it is a replay')
    return first
  }

  t.test('a retried message with its key is sent once and answered as the first time', async (t) => {
    const sessionId = await openSession(t, context, tenantId)
    const first = await sendTwice(t, 'sendMessage', {
      method: 'POST',
      url: `/livechat/sessions/${sessionId}/messages`,
      headers: agentHeaders(context, tenantId),
      payload: { message: 'Sekali saja' },
    })
    t.equal(first.statusCode, 201)
    t.same(
      (await messagesOf(t, sessionId)).map((message) => message.id),
      [first.json().data.id],
      'one message',
    )
  })

  t.test('a retried session start, ticket and tenant are each made once', async (t) => {
    await setPresence(t, context, tenantId, 31, 'ONLINE')
    const session = await sendTwice(t, 'startSession', {
      method: 'POST',
      url: '/livechat/sessions',
      headers: agentHeaders(context, tenantId, 31),
      payload: { message: 'Halo' },
    })
    t.equal(session.statusCode, 201, 'without the key the retry would be 400: the agent has an open session')
    const sessionId = session.json().data.id
    const sessions = await allPages<{ id: string }>(t, context, 'listSessions', {
      url: '/livechat/sessions',
      headers: agentHeaders(context, tenantId, 31),
      query: { agent_id: '31' },
    })
    t.same(
      sessions.map((listed) => listed.id),
      [sessionId],
    )
    t.equal((await messagesOf(t, sessionId)).length, 1, 'its first message once')

    const user = tenantUserHeaders(context, tenantId, 32)
    const ticket = await sendTwice(t, 'createTicket', { method: 'POST', url: '/tickets', headers: user, payload: { subject: 'Login', message: 'Tidak bisa' } })
    t.equal(ticket.statusCode, 201)
    const tickets = await allPages<{ id: string }>(t, context, 'listTickets', { url: '/tickets', headers: user })
    t.same(
      tickets.map((listed) => listed.id),
      [ticket.json().data.id],
    )

    const name = `Tenant ${randomUUID()}`
    const tenant = await sendTwice(t, 'createTenant', { method: 'POST', url: '/admin/tenants', headers: adminHeaders(context), payload: { name } })
    t.equal(tenant.statusCode, 201)
    const tenants = await allPages<{ id: number; name: string }>(t, context, 'listTenants', { url: '/admin/tenants', headers: adminHeaders(context) })
    t.equal(tenants.filter((listed) => listed.name === name).length, 1, 'one tenant of that name')
  })

  t.test('a 4xx is kept and replayed too: an offline start keeps its message in a ticket once, not twice', async (t) => {
    await setPresence(t, context, tenantId, 41, 'OFFLINE')
    const refused = await sendTwice(t, 'startSession', {
      method: 'POST',
      url: '/livechat/sessions',
      headers: agentHeaders(context, tenantId, 42),
      payload: { agent_id: 41, message: 'Are you there?' },
    })
    t.equal(refused.statusCode, 400)
    const [ticketId] = refused.json().errors.ticket_id
    const replies = await allPages(t, context, 'listTicketReplies', { url: `/tickets/${ticketId}/replies`, headers: agentHeaders(context, tenantId, 42) })
    t.equal(replies.length, 1, 'without the key the retry would add the message to the ticket again')
  })

  t.test('every POST replays its first answer', async (t) => {
    const sessionId = await openSession(t, context, tenantId, 51)
    const agent = agentHeaders(context, tenantId, 51)
    const user = tenantUserHeaders(context, tenantId, 52)
    const agentMessage = await sendMessage(t, context, tenantId, sessionId, 'Untuk dibaca', 51)
    const ticket = await sendTwice(t, 'createTicket', { method: 'POST', url: '/tickets', headers: user, payload: { subject: 'S', message: 'M' } })
    const notifications = await allPages<{ id: string }>(t, context, 'listNotifications', { url: '/notifications', headers: user })
    const calls: OperationCall[] = [
      ['sendClientMessage', { method: 'POST', url: `/livechat/client/sessions/${sessionId}/messages`, headers: user, payload: { message: 'Hai' } }],
      ['sendTyping', { method: 'POST', url: `/livechat/sessions/${sessionId}/typing`, headers: agent }],
      ['sendClientTyping', { method: 'POST', url: `/livechat/client/sessions/${sessionId}/typing`, headers: user }],
      ['markClientSessionRead', { method: 'POST', url: `/livechat/client/sessions/${sessionId}/read`, headers: user, payload: { message_id: agentMessage.id } }],
      ['markSessionRead', { method: 'POST', url: `/livechat/sessions/${sessionId}/read`, headers: agent, payload: { message_id: agentMessage.id } }],
      ['createStreamToken', { method: 'POST', url: '/livechat/stream-tokens', headers: agent, payload: {} }],
      ['createTicketReply', { method: 'POST', url: `/tickets/${ticket.json().data.id}/replies`, headers: user, payload: { message: 'Lagi' } }],
      ['markNotificationRead', { method: 'POST', url: `/notifications/${notifications[0].id}/read`, headers: user }],
      ['markAllNotificationsRead', { method: 'POST', url: '/notifications/read-all', headers: user }],
      ['closeSession', { method: 'POST', url: `/livechat/sessions/${sessionId}/close`, headers: agent }],
    ]
    for (const [operationId, options] of calls) {
      const first = await sendTwice(t, operationId, options)
      t.ok(first.statusCode < 300, `${operationId} succeeded (${first.statusCode})`)
    }
  })

  t.test('the same key with a different body is 422 and does nothing', async (t) => {
    const sessionId = await openSession(t, context, tenantId, 61)
    const headers = agentHeaders(context, tenantId, 61)
    const key = randomUUID()
    const first = await sendKeyed(t, sessionId, key, 'first', headers)
    t.equal(first.statusCode, 201)
    const reused = await sendKeyed(t, sessionId, key, 'second', headers)
    t.equal(reused.statusCode, 422)
    t.match(reused.json().errors['Idempotency-Key'], [/different request/])
    const elsewhere = await openSession(t, context, tenantId, 62)
    const otherPath = await context.call(t, 'sendMessage', {
      method: 'POST',
      url: `/livechat/sessions/${elsewhere}/messages`,
      headers: withKey(key, agentHeaders(context, tenantId, 61)),
      payload: { message: 'first' },
    })
    t.equal(otherPath.statusCode, 422, 'another path with the key is another request too')
    t.same(
      (await messagesOf(t, sessionId)).map((message) => message.message),
      ['first'],
    )
    const again = await sendKeyed(t, sessionId, key, 'first', headers)
    t.equal(again.body, first.body, 'the key still answers its own request')
  })

  t.test("keys are per user and per tenant: another's same key is a new request", async (t) => {
    const otherTenant = await createTenant(t, context, 'Other idempotent')
    const sessionId = await openSession(t, context, tenantId, 71)
    const key = randomUUID()
    const own = await sendKeyed(t, sessionId, key, 'from 71', agentHeaders(context, tenantId, 71))
    const user = await context.call(t, 'sendClientMessage', {
      method: 'POST',
      url: `/livechat/client/sessions/${sessionId}/messages`,
      headers: withKey(key, tenantUserHeaders(context, tenantId, 73)),
      payload: { message: 'from user 73' },
    })
    t.equal(own.statusCode, 201)
    t.equal(user.statusCode, 201, 'another user with the same key sends their own message')
    t.notOk(user.headers['idempotent-replayed'])
    const otherSession = await openSession(t, context, otherTenant, 71)
    const inOtherTenant = await context.call(t, 'sendMessage', {
      method: 'POST',
      url: `/livechat/sessions/${otherSession}/messages`,
      headers: withKey(key, agentHeaders(context, otherTenant, 71, [tenantId, otherTenant])),
      payload: { message: 'from 71 elsewhere' },
    })
    t.equal(inOtherTenant.statusCode, 201, 'the same user with the same key in another tenant is a new request')
    t.notOk(inOtherTenant.headers['idempotent-replayed'])
    t.same(
      (await messagesOf(t, sessionId)).map((message) => message.message),
      ['from 71', 'from user 73'],
    )
  })

  t.test('ten retries racing with one key make one message, and all get its answer', async (t) => {
    const sessionId = await openSession(t, context, tenantId, 81)
    const key = randomUUID()
    const responses = await Promise.all(Array.from({ length: 10 }, () => sendKeyed(t, sessionId, key, 'raced', agentHeaders(context, tenantId, 81))))
    t.same(new Set(responses.map((response) => response.statusCode)), new Set([201]))
    t.equal(new Set(responses.map((response) => response.body)).size, 1, 'one body for all ten')
    t.equal(responses.filter((response) => response.headers['idempotent-replayed'] === 'true').length, 9, 'nine replays')
    t.equal((await messagesOf(t, sessionId)).length, 1)
  })

  t.test(`a key older than IDEMPOTENCY_TTL_HOURS (${context.config.IDEMPOTENCY_TTL_HOURS}) is forgotten, and pruned`, async (t) => {
    const sessionId = await openSession(t, context, tenantId, 91)
    const key = randomUUID()
    const first = await sendKeyed(t, sessionId, key, 'old', agentHeaders(context, tenantId, 91))
    const hours = context.config.IDEMPOTENCY_TTL_HOURS
    await context.app.database.pool.execute(
      sql`update idempotency_keys set created_at = now() - make_interval(hours => ${hours}, mins => 1) where key = ${key}`,
    )
    const later = await sendKeyed(t, sessionId, key, 'old', agentHeaders(context, tenantId, 91))
    t.equal(later.statusCode, 201)
    t.notOk(later.headers['idempotent-replayed'], 'not a replay')
    t.not(later.json().data.id, first.json().data.id, 'a new message')
    t.equal((await messagesOf(t, sessionId)).length, 2)
    const replay = await sendKeyed(t, sessionId, key, 'old', agentHeaders(context, tenantId, 91))
    t.equal(replay.body, later.body, 'the key now answers with its new request')

    await context.app.database.pool.execute(
      sql`update idempotency_keys set created_at = now() - make_interval(hours => ${hours}, mins => 1) where key = ${key}`,
    )
    const prune = () => context.app.services.idempotency.prune()
    t.equal(await prune(), 1, 'the periodic pruning deletes the expired key')
    t.equal(await prune(), 0, 'and only it')
  })

  t.test('without a key nothing changes: two POSTs are two messages', async (t) => {
    const sessionId = await openSession(t, context, tenantId, 101)
    const one = await sendMessage(t, context, tenantId, sessionId, 'same text', 101)
    const two = await sendMessage(t, context, tenantId, sessionId, 'same text', 101)
    t.not(one.id, two.id)
    t.equal((await messagesOf(t, sessionId)).length, 2)
  })

  t.test('an invalid key is 400 naming the header', async (t) => {
    const sessionId = await openSession(t, context, tenantId, 111)
    for (const key of ['has space', 'x'.repeat(256), 'ünïcode']) {
      const response = await sendKeyed(t, sessionId, key, 'never', agentHeaders(context, tenantId, 111))
      t.equal(response.statusCode, 400, JSON.stringify(key.slice(0, 20)))
      t.match(Object.keys(response.json().errors).join(), /idempotency-key/i)
    }
    t.equal((await messagesOf(t, sessionId)).length, 0)
  })

  t.test('a keyed message reaches open streams once, after its commit; its replay sends nothing', async (t) => {
    const base = await listening(context)
    const sessionId = await openSession(t, context, tenantId, 121)
    const stream = await openStream(t, base, 'streamAgentEvents', '/livechat/events', { headers: agentHeaders(context, tenantId, 121) })
    await stream.next(t, (event) => event.event === 'stream.ready')
    const key = randomUUID()
    const sent = (await sendKeyed(t, sessionId, key, 'live', agentHeaders(context, tenantId, 121))).json().data
    const received = await stream.next(t, (event) => event.event === 'message.created')
    t.same(received.data.message, sent)
    await sendKeyed(t, sessionId, key, 'live', agentHeaders(context, tenantId, 121))
    const marker = await sendMessage(t, context, tenantId, sessionId, 'marker', 121)
    const next = await stream.next(t, (event) => event.event === 'message.created')
    t.equal(next.data.message.id, marker.id, 'the next event is the next message, not the replay')
    const stored = rowsOf<{ count: number }>(
      await context.app.database.pool.execute(sql`select count(*)::int as count from stream_events where type = 'message.created' and session_id = ${sessionId}`),
    )
    t.equal(stored[0].count, 2, 'two messages, two stored events')
  })
})

/** An app on a fresh PostgreSQL database answering within 1 s, a session in it, and a second connection to hold locks with. */
async function heldPostgres(t: Test) {
  const context = await buildTestApp(t, 'postgres', { RESPONSE_TIMEOUT_SECONDS: '1' })
  const tenantId = await createTenant(t, context, 'Held')
  const sessionId = await openSession(t, context, tenantId, 5)
  const holder = postgres(context.config.DATABASE_URL!, { max: 1, onnotice: () => {} })
  t.teardown(() => holder.end())
  const request = {
    method: 'POST' as const,
    url: `/livechat/sessions/${sessionId}/messages`,
    headers: { ...agentHeaders(context, tenantId, 5), 'idempotency-key': randomUUID() },
    payload: { message: 'held' },
  }
  const messages = async (t: Test) =>
    (await allPages<ChatMessage>(t, context, 'listMessages', { url: request.url, headers: agentHeaders(context, tenantId, 5) })).map((message) => message.message)

  /** Runs `statement` in a transaction of the second connection, kept open until `release()`, then rolled back. */
  async function hold(statement: (sql: postgres.TransactionSql) => Promise<unknown>) {
    let release: () => void = () => {}
    const released = new Promise<void>((resolve) => (release = resolve))
    let held: () => void = () => {}
    const holding = new Promise<void>((resolve) => (held = resolve))
    const ended = holder
      .begin(async (sql) => {
        await statement(sql)
        held()
        await released
        throw new Error('rolled back, as when its process dies')
      })
      .catch(() => {})
    await holding
    return async () => {
      release()
      await ended
    }
  }
  return { context, tenantId, sessionId, request, messages, hold }
}

const postgresMissing = !process.env.DATABASE_URL && 'needs DATABASE_URL: PGlite runs one transaction at a time'

testNeeding(t, 'postgres: a retry waits for the request holding its key; past the bound it is 409, and after that one rolls back it runs', postgresMissing, async (t) => {
  const { context, tenantId, request, messages, hold } = await heldPostgres(t)
  // Another process's request with this key, in flight: its transaction holds the key's row.
  const release = await hold(
    (sql) => sql`insert into idempotency_keys (user_id, tenant_id, key, request_hash) values (5, ${tenantId}, ${request.headers['idempotency-key']}, 'x')`,
  )
  const started = Date.now()
  const waited = await context.call(t, 'sendMessage', request)
  const elapsed = Date.now() - started
  t.equal(waited.statusCode, 409, 'in progress')
  t.equal(waited.headers['retry-after'], '1', 'with Retry-After')
  t.ok(elapsed >= 700 && elapsed < 3000, `it waited about 0.8 s, 80% of RESPONSE_TIMEOUT_SECONDS (${elapsed} ms)`)
  await release()
  const retried = await context.call(t, 'sendMessage', request)
  t.equal(retried.statusCode, 201, 'the first rolled back, so the retry runs')
  t.same(await messages(t), ['held'])
})

testNeeding(t, 'postgres: a request the deadline answered 503 is undone when it finishes, and its retry runs once', postgresMissing, async (t) => {
  const { context, sessionId, request, messages, hold } = await heldPostgres(t)
  // The session's row lock stops the message's insert past the response deadline.
  const release = await hold((sql) => sql`select 1 from chat_sessions where id = ${sessionId} for update`)
  const late = await context.call(t, 'sendMessage', request)
  t.equal(late.statusCode, 503, 'answered by the deadline')
  await release()
  const retried = await context.call(t, 'sendMessage', request)
  t.equal(retried.statusCode, 201)
  t.notOk(retried.headers['idempotent-replayed'], 'a 503 is not kept: the retry runs')
  t.same(await messages(t), ['held'], 'the late handler finished in a transaction that was rolled back')
})
