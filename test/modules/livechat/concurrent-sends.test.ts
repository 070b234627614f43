import { randomUUID } from 'node:crypto'
import { sql } from 'drizzle-orm'
import t, { type Test } from 'tap'
import { rowsOf } from '../../../src/platform/database.js'
import { agentHeaders, allPages, createTenant, openSession } from '../../helpers/fixtures.js'
import { freshPostgresDatabase } from '../../helpers/fresh-database.js'
import { buildTestApp, onEachDatabase, type TestApp, testOn } from '../../helpers/test-app.js'
import type { components } from '../../../generated/openapi.js'

type ChatMessage = components['schemas']['ChatMessage']

// Sends that arrive together are written together (group commit): one transaction and one commit for all
// of a tenant's messages that arrived while the previous ones were being written. Every guarantee of a lone
// send still holds for each: a 201 means it is committed, a session's messages are numbered in order without
// gaps, an agent's message has its notification in the same transaction, and one that cannot be sent fails
// alone.

const send = (t: Test, context: TestApp, tenantId: number, sessionId: string, message: string, agentId = 1) =>
  context.call(t, 'sendMessage', {
    method: 'POST',
    url: `/livechat/sessions/${sessionId}/messages`,
    headers: agentHeaders(context, tenantId, agentId),
    payload: { message },
  })

const query = async <Row>(context: TestApp, statement: ReturnType<typeof sql>): Promise<Row[]> => rowsOf<Row>(await context.app.database.pool.execute(statement))

onEachDatabase(t, async (t, context) => {
  t.test('120 concurrent sends over two tenants: each answered with its own message, all stored once, in order', async (t) => {
    const tenants = [await createTenant(t, context, 'One'), await createTenant(t, context, 'Two')]
    const sessions = [
      { tenantId: tenants[0], agentId: 1, id: await openSession(t, context, tenants[0], 1) },
      { tenantId: tenants[0], agentId: 2, id: await openSession(t, context, tenants[0], 2) },
      { tenantId: tenants[1], agentId: 1, id: await openSession(t, context, tenants[1], 1) },
    ]
    const sends = Array.from({ length: 120 }, (_, index) => ({ session: sessions[index % 3], text: `Pesan ${index}` }))
    const responses = await Promise.all(sends.map(({ session, text }) => send(t, context, session.tenantId, session.id, text, session.agentId)))
    t.same(
      responses.map((response) => response.statusCode),
      sends.map(() => 201),
      'every send is 201',
    )
    responses.forEach((response, index) =>
      t.match(response.json().data, { session_id: sends[index].session.id, sender_id: sends[index].session.agentId, message: sends[index].text }),
    )

    for (const session of sessions) {
      const listed = await allPages<ChatMessage>(t, context, 'listMessages', {
        url: `/livechat/sessions/${session.id}/messages`,
        headers: agentHeaders(context, session.tenantId, session.agentId),
      })
      const answered = responses.filter((_, index) => sends[index].session === session).map((response) => response.json().data)
      t.same(new Set(listed.map((message) => message.id)), new Set(answered.map((message) => message.id)), 'the session holds exactly what was answered 201')
      t.same(listed.length, 40)
      const seqs = await query<{ seq: number }>(context, sql`select seq from chat_messages where session_id = ${session.id} order by seq`)
      t.same(
        seqs.map((row) => row.seq),
        Array.from({ length: 40 }, (_, index) => index + 1),
        'numbered 1..40 without gaps',
      )
    }

    const [{ transactions, messages }] = await query<{ transactions: number; messages: number }>(
      context,
      sql`select count(distinct xmin::text)::int as transactions, count(*)::int as messages from chat_messages`,
    )
    t.equal(messages, 120)
    // PGlite runs each statement synchronously in this thread, so nothing arrives while a batch is written.
    if (context.kind === 'postgres') t.ok(transactions < messages, `the messages were committed in fewer transactions than messages (${transactions})`)

    const [notified] = await query<{ count: number }>(
      context,
      sql`select count(distinct n.message_id)::int as count from notifications n join chat_messages m on m.tenant_id = n.tenant_id and m.id = n.message_id and n.xmin = m.xmin`,
    )
    t.equal(notified.count, 120, 'each agent message has its notification, written in the same transaction')
    for (const tenantId of tenants) {
      const [events] = await query<{ count: number; span: number; messages: number; notifications: number }>(
        context,
        sql`select count(*)::int as count, (max(seq) - min(seq) + 1)::int as span,
          count(*) filter (where type = 'message.created')::int as messages, count(*) filter (where type = 'notification.created')::int as notifications
          from stream_events where tenant_id = ${tenantId} and type in ('message.created', 'notification.created')`,
      )
      t.same(events, { count: events.span, span: events.span, messages: tenantId === tenants[0] ? 80 : 40, notifications: tenantId === tenants[0] ? 80 : 40 }, 'events stored once each, numbered without gaps')
      const log = await query<{ seq: number; type: string; data: string }>(context, sql`select seq::int as seq, type, data from stream_events where tenant_id = ${tenantId} order by seq`)
      const toldAt = new Map(log.filter((event) => event.type === 'message.created').map((event) => [JSON.parse(event.data).message.id, event.seq]))
      const late = log.filter((event) => event.type === 'notification.created' && !(toldAt.get(JSON.parse(event.data).notification.message_id)! < event.seq))
      t.same(late, [], 'a stream tells of each message before its notification')
    }
  })

  t.test('among concurrent sends, one into a closed or unknown session fails alone and stores nothing', async (t) => {
    const tenantId = await createTenant(t, context, 'Mixed')
    const open = await openSession(t, context, tenantId, 1)
    const closed = await openSession(t, context, tenantId, 2)
    const close = await context.call(t, 'closeSession', { method: 'POST', url: `/livechat/sessions/${closed}/close`, headers: agentHeaders(context, tenantId, 2) })
    t.equal(close.statusCode, 200)
    const unknown = randomUUID()
    const targets = Array.from({ length: 30 }, (_, index) => [open, closed, unknown][index % 3])
    const responses = await Promise.all(targets.map((sessionId, index) => send(t, context, tenantId, sessionId, `Pesan ${index}`, sessionId === closed ? 2 : 1)))
    responses.forEach((response, index) => {
      const target = targets[index]
      if (target === open) t.equal(response.statusCode, 201)
      else if (target === closed) t.match({ status: response.statusCode, errors: response.json().errors }, { status: 400, errors: { id: [/closed/] } })
      else t.equal(response.statusCode, 404)
    })
    const [stored] = await query<{ open: number; other: number }>(
      context,
      sql`select count(*) filter (where session_id = ${open})::int as open, count(*) filter (where session_id <> ${open})::int as other
        from chat_messages where tenant_id = ${tenantId}`,
    )
    t.same(stored, { open: 10, other: 0 })
  })

  t.test('text JSON and arrays would escape is stored as sent; a lone surrogate is refused before it is written', async (t) => {
    const tenantId = await createTenant(t, context, 'Escapes')
    const sessionId = await openSession(t, context, tenantId)
    const texts = ['"quoted" \\ {braces} NULL', 'line\nbreak\ttab', 'emoji 😀 and \u2028']
    const responses = await Promise.all([...texts, 'a\ud800b'].map((text) => send(t, context, tenantId, sessionId, text)))
    t.same(
      responses.map((response) => response.statusCode),
      [201, 201, 201, 400],
    )
    t.same(responses.slice(0, 3).map((response) => response.json().data.message), texts)
    const listed = await allPages<ChatMessage>(t, context, 'listMessages', { url: `/livechat/sessions/${sessionId}/messages`, headers: agentHeaders(context, tenantId) })
    t.same(new Set(listed.map((message) => message.message)), new Set(texts), 'stored as sent, and nothing else')
  })
})

testOn(t, 'postgres', 'postgres: two instances sending into the same sessions at once: all committed, numbered without gaps, no deadlock', async (t) => {
  const url = await freshPostgresDatabase(t)
  const first = await buildTestApp(t, 'postgres', { DATABASE_URL: url })
  const second = await buildTestApp(t, 'postgres', { DATABASE_URL: url })
  const tenantId = await createTenant(t, first)
  const sessions = [await openSession(t, first, tenantId, 1), await openSession(t, first, tenantId, 2), await openSession(t, first, tenantId, 3)]
  // Each batch names its sessions in a different order, so lock order is what keeps them from deadlocking.
  const sends = Array.from({ length: 240 }, (_, index) => ({
    instance: index % 2 === 0 ? first : second,
    sessionId: sessions[(index * (index % 2 === 0 ? 1 : 2)) % 3],
  }))
  const responses = await Promise.all(sends.map(({ instance, sessionId }, index) => send(t, instance, tenantId, sessionId, `Pesan ${index}`)))
  t.same(
    responses.map((response) => response.statusCode),
    sends.map(() => 201),
  )
  const numbering = await query<{ session_id: string; count: number; max: number }>(
    first,
    sql`select session_id, count(*)::int as count, max(seq)::int as max from chat_messages where tenant_id = ${tenantId} group by session_id`,
  )
  t.equal(numbering.reduce((sum, row) => sum + row.count, 0), 240, 'every message stored once')
  t.same(numbering.filter((row) => row.count !== row.max), [], 'each session numbered 1..n without gaps')
})
