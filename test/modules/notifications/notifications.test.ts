import { randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { sql, type SQL } from 'drizzle-orm'
import t, { type Test } from 'tap'
import { adminHeaders, agentHeaders, createTenant, openSession, sendMessage, setPresence, invalidPageQueries, allPages } from '../../helpers/fixtures.js'
import { onEachDatabase, type TestApp } from '../../helpers/test-app.js'
import type { components } from '../../../generated/openapi.js'

type Notification = components['schemas']['Notification']
type Pagination = components['schemas']['Pagination']
type Headers = Record<string, string>

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/
const rfc3339Utc = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/

// Users of every tenant in these tests: agents 1..3 (SUPPORT_AGENT) and tenant users A = 101, B = 102 (TENANT_USER).
const A = 101
const B = 102

/** Rows of `db.execute`: postgres.js answers an array, PGlite `{ rows }`. */
async function rowsOf(context: TestApp, query: SQL): Promise<Record<string, unknown>[]> {
  const result = (await context.app.database.pool.execute(query)) as unknown
  return Array.isArray(result) ? result : (result as { rows: Record<string, unknown>[] }).rows
}

// Issue: "When a SUPPORT_AGENT posts a chat message or a ticket reply, an in-app notification for the tenant is
// written in the same transaction as the message … GET /notifications (cursor-paginated, newest first, unread_only
// filter), GET /notifications/unread-count, POST /notifications/{id}/read, POST /notifications/read-all."
onEachDatabase(t, async (t, context) => {
  const agent = (tenantId: number, agentId = 1, tenants = [tenantId]): Headers => agentHeaders(context, tenantId, agentId, tenants)
  const user = (tenantId: number, userId = A, tenants = [tenantId]): Headers => ({
    authorization: `Bearer ${context.token({ sub: userId, roles: ['TENANT_USER'], tenants })}`,
    'x-tenant-id': String(tenantId),
  })

  const list = (t: Test, headers: Headers, query: Record<string, string> = {}) =>
    context.call(t, 'listNotifications', { method: 'GET', url: '/notifications', query, headers })
  const countOf = (t: Test, headers: Headers) =>
    context.call(t, 'getUnreadNotificationCount', { method: 'GET', url: '/notifications/unread-count', headers })
  const read = (t: Test, headers: Headers, id: string) =>
    context.call(t, 'markNotificationRead', { method: 'POST', url: `/notifications/${id}/read`, headers })
  const readAll = (t: Test, headers: Headers) =>
    context.call(t, 'markAllNotificationsRead', { method: 'POST', url: '/notifications/read-all', headers })

  /** A page that must succeed. */
  async function page(t: Test, headers: Headers, query: Record<string, string> = {}) {
    const response = await list(t, headers, query)
    t.equal(response.statusCode, 200, `list ${JSON.stringify(query)} is 200`)
    const body = response.json()
    return { data: body.data as Notification[], pagination: body.meta.pagination as Pagination }
  }

  /** Every notification the caller sees, newest first. */
  const seen = (t: Test, headers: Headers, query: Record<string, string> = {}) =>
    allPages<Notification>(t, context, 'listNotifications', { url: '/notifications', headers, query })

  async function unread(t: Test, headers: Headers): Promise<number> {
    const response = await countOf(t, headers)
    t.equal(response.statusCode, 200, 'unread-count is 200')
    return response.json().data.unread
  }

  async function readOne(t: Test, headers: Headers, id: string): Promise<Notification> {
    const response = await read(t, headers, id)
    t.equal(response.statusCode, 200, `reading ${id} is 200`)
    return response.json().data
  }

  async function markedByReadAll(t: Test, headers: Headers): Promise<number> {
    const response = await readAll(t, headers)
    t.equal(response.statusCode, 200, 'read-all is 200')
    return response.json().data.marked_read
  }

  const openTicket = (t: Test, headers: Headers, subject: string, message: string) =>
    context.call(t, 'createTicket', { method: 'POST', url: '/tickets', headers, payload: { subject, message } })
  const postReply = (t: Test, headers: Headers, ticketId: string, message: string) =>
    context.call(t, 'createTicketReply', { method: 'POST', url: `/tickets/${ticketId}/replies`, headers, payload: { message } })

  async function ticketBy(t: Test, headers: Headers, subject: string, message: string) {
    const response = await openTicket(t, headers, subject, message)
    t.equal(response.statusCode, 201, 'ticket opened')
    return response.json().data as { id: string; requester_id: number }
  }

  async function reply(t: Test, headers: Headers, ticketId: string, message: string) {
    const response = await postReply(t, headers, ticketId, message)
    t.equal(response.statusCode, 201, 'reply sent')
    return response.json().data as { id: string; ticket_id: string; author_id: number; message: string }
  }

  async function repliesOf(t: Test, headers: Headers, ticketId: string, query: Record<string, string> = {}) {
    const response = await context.call(t, 'listTicketReplies', { method: 'GET', url: `/tickets/${ticketId}/replies`, query, headers })
    t.equal(response.statusCode, 200, 'replies listed')
    return response.json() as { data: { id: string; author_id: number; message: string }[]; meta: { pagination: Pagination } }
  }

  async function clientSend(t: Test, tenantId: number, userId: number, sessionId: string, message: string) {
    const response = await context.call(t, 'sendClientMessage', {
      method: 'POST',
      url: `/livechat/client/sessions/${sessionId}/messages`,
      headers: user(tenantId, userId),
      payload: { message },
    })
    t.equal(response.statusCode, 201, 'tenant message sent')
    return response.json().data as { id: string; sender_id: number; message: string }
  }

  async function messagesOf(t: Test, tenantId: number, sessionId: string, query: Record<string, string> = {}) {
    const response = await context.call(t, 'listMessages', {
      method: 'GET',
      url: `/livechat/sessions/${sessionId}/messages`,
      query,
      headers: agent(tenantId),
    })
    t.equal(response.statusCode, 200, 'messages listed')
    return response.json() as { data: { id: string; sender_id: number; message: string }[]; meta: { pagination: Pagination } }
  }

  const ids = (items: { id: string }[]) => items.map((item) => item.id)
  const codePoints = (text: string) => [...text].length

  t.test('an agent chat message writes exactly one CHAT_MESSAGE notification for the whole tenant, pointing at the message', async (t) => {
    const tenantId = await createTenant(t, context, 'Chat notifies')
    const sessionId = await openSession(t, context, tenantId, 1)
    t.equal(await unread(t, user(tenantId)), 0, 'nothing before the first message')
    const before = Date.now()
    const message = await sendMessage(t, context, tenantId, sessionId, 'Halo, ada yang bisa dibantu?', 1)
    const notifications = await seen(t, user(tenantId))
    t.equal(notifications.length, 1, 'exactly one notification')
    const [notification] = notifications
    t.match(notification, {
      type: 'CHAT_MESSAGE',
      recipient_id: null,
      session_id: sessionId,
      message_id: message.id,
      ticket_id: null,
      reply_id: null,
      read_at: null,
    })
    t.match(notification.id, uuid, 'a uuid id')
    t.ok(notification.text.includes('Halo, ada yang bisa dibantu?'), `the text holds the message (${JSON.stringify(notification.text)})`)
    t.match(notification.created_at, rfc3339Utc)
    t.ok(Math.abs(Date.parse(notification.created_at) - before) < 10_000, 'created_at is the time of sending')
    t.ok(ids((await messagesOf(t, tenantId, sessionId)).data).includes(notification.message_id!), 'message_id names a message of session_id')

    const second = await sendMessage(t, context, tenantId, sessionId, 'Pesan kedua', 1)
    const third = await sendMessage(t, context, tenantId, sessionId, 'Pesan ketiga', 2)
    const after = await seen(t, user(tenantId))
    t.same(
      after.map((n) => n.message_id),
      [third.id, second.id, message.id],
      'one notification per message, newest first',
    )
    t.ok(after.every((n) => n.type === 'CHAT_MESSAGE' && n.session_id === sessionId && n.recipient_id === null), 'all are broadcast chat notifications')
    t.equal(new Set(ids(after)).size, 3, 'three distinct notifications')
    t.equal(await unread(t, user(tenantId)), 3)
  })

  t.test('a first message given when starting a session notifies like any other agent message', async (t) => {
    const tenantId = await createTenant(t, context, 'First message')
    await setPresence(t, context, tenantId, 1, 'ONLINE')
    const started = await context.call(t, 'startSession', {
      method: 'POST',
      url: '/livechat/sessions',
      headers: agent(tenantId, 1),
      payload: { message: 'Selamat datang di layanan kami' },
    })
    t.equal(started.statusCode, 201)
    const sessionId = started.json().data.id
    const messages = (await messagesOf(t, tenantId, sessionId)).data
    t.equal(messages.length, 1, 'the first message is stored')
    const notifications = await seen(t, user(tenantId))
    t.equal(notifications.length, 1, 'and notified once')
    t.match(notifications[0], { type: 'CHAT_MESSAGE', session_id: sessionId, message_id: messages[0].id, recipient_id: null })
  })

  t.test('the text is short: a 10,000-character message gives at most 140 characters starting with the message', async (t) => {
    const tenantId = await createTenant(t, context, 'Short text')
    const sessionId = await openSession(t, context, tenantId, 1)
    const head = 'Mohon maaf atas keterlambatannya'
    const long = `${head}, ${'y'.repeat(10_000 - head.length - 2)}`
    t.equal(long.length, 10_000)
    const ascii = await sendMessage(t, context, tenantId, sessionId, long, 1)
    const emoji = await sendMessage(t, context, tenantId, sessionId, '😀'.repeat(10_000), 1)
    const notifications = await seen(t, user(tenantId))
    const of = (messageId: string) => notifications.find((n) => n.message_id === messageId)!
    const asciiText = of(ascii.id).text
    t.ok(asciiText.includes(head), `holds the start of the message (${JSON.stringify(asciiText)})`)
    t.ok(codePoints(asciiText) <= 140, `is short: ${codePoints(asciiText)} characters`)
    const emojiText = of(emoji.id).text
    t.ok(emojiText.includes('😀😀😀😀😀'), 'holds the start of a message outside the BMP')
    t.ok(codePoints(emojiText) <= 140, `is short: ${codePoints(emojiText)} characters`)
    t.ok(emojiText.isWellFormed() && !emojiText.includes('\uFFFD'), `no character is cut in half (${JSON.stringify(emojiText)})`)
  })

  t.test('messages a tenant user sends from the client notify nobody, but an agent message after them does', async (t) => {
    const tenantId = await createTenant(t, context, 'Tenant side')
    const sessionId = await openSession(t, context, tenantId, 1)
    const fromA = await clientSend(t, tenantId, A, sessionId, 'Halo, saya butuh bantuan')
    await clientSend(t, tenantId, B, sessionId, 'Saya juga')
    for (const [who, headers] of [
      ['A', user(tenantId, A)],
      ['B', user(tenantId, B)],
      ['agent 1', agent(tenantId, 1)],
      ['agent 2', agent(tenantId, 2)],
    ] as const) {
      t.same(await seen(t, headers), [], `${who} has no notification`)
      t.equal(await unread(t, headers), 0, `${who} has nothing unread`)
    }
    const messages = (await messagesOf(t, tenantId, sessionId)).data
    t.same(
      messages.map((message) => [message.sender_id, message.message]),
      [
        [A, 'Halo, saya butuh bantuan'],
        [B, 'Saya juga'],
      ],
      "the agent sees the tenant's messages with their sender_id",
    )
    t.equal(messages[0].id, fromA.id)
    const answer = await sendMessage(t, context, tenantId, sessionId, 'Baik, kami bantu', 1)
    t.same((await seen(t, user(tenantId, A))).map((n) => n.message_id), [answer.id], "only the agent's message notifies")
  })

  t.test("an agent reply to a tenant user's ticket is a TICKET_REPLY addressed to that user only", async (t) => {
    const tenantId = await createTenant(t, context, 'Addressed reply')
    const ticket = await ticketBy(t, user(tenantId, A), 'Tidak bisa login', 'Saya tidak bisa login sejak pagi')
    t.equal(ticket.requester_id, A)
    for (const headers of [user(tenantId, A), user(tenantId, B), agent(tenantId, 1), agent(tenantId, 2)]) {
      t.same(await seen(t, headers), [], "a tenant user's ticket and its first message notify nobody")
    }
    const answer = await reply(t, agent(tenantId, 1), ticket.id, 'Sudah kami reset, silakan coba lagi')
    const forA = await seen(t, user(tenantId, A))
    t.equal(forA.length, 1, 'A has exactly one notification')
    t.match(forA[0], {
      type: 'TICKET_REPLY',
      recipient_id: A,
      ticket_id: ticket.id,
      reply_id: answer.id,
      session_id: null,
      message_id: null,
      read_at: null,
    })
    t.ok(forA[0].text.includes('Sudah kami reset'), `the text holds the reply (${JSON.stringify(forA[0].text)})`)
    t.ok(codePoints(forA[0].text) <= 140)
    t.ok(ids((await repliesOf(t, user(tenantId, A), ticket.id)).data).includes(forA[0].reply_id!), 'reply_id names a reply of ticket_id')
    t.equal(await unread(t, user(tenantId, A)), 1)
    t.same(await seen(t, user(tenantId, B)), [], 'tenant user B does not see it')
    t.equal(await unread(t, user(tenantId, B)), 0)
    t.same(await seen(t, agent(tenantId, 1)), [], 'the authoring agent does not see it')
    t.same(await seen(t, agent(tenantId, 2)), [], 'another agent does not see what is addressed to A')
  })

  t.test("a tenant user's own ticket replies notify nobody", async (t) => {
    const tenantId = await createTenant(t, context, 'Own reply')
    const ticket = await ticketBy(t, user(tenantId, A), 'Tagihan ganda', 'Saya ditagih dua kali')
    const answer = await reply(t, agent(tenantId, 1), ticket.id, 'Kami periksa dulu')
    await reply(t, user(tenantId, A), ticket.id, 'Terima kasih, saya tunggu')
    t.same((await seen(t, user(tenantId, A))).map((n) => n.reply_id), [answer.id], "A sees only the agent's reply")
    t.same(await seen(t, user(tenantId, B)), [], 'B sees nothing')
    t.same(await seen(t, agent(tenantId, 1)), [], 'the agent sees nothing')
    t.same(await seen(t, agent(tenantId, 2)), [], 'another agent sees nothing')
    t.equal((await repliesOf(t, agent(tenantId, 1), ticket.id)).data.length, 3, 'all three replies are stored')
  })

  t.test("an agent reply to an agent's ticket is a broadcast: tenant users and other agents see it, its author does not", async (t) => {
    const tenantId = await createTenant(t, context, 'Broadcast reply')
    const ticket = await ticketBy(t, agent(tenantId, 1), 'Gangguan layanan', 'Layanan sedang terganggu')
    const answer = await reply(t, agent(tenantId, 2), ticket.id, 'Layanan sudah pulih')
    for (const [who, headers] of [
      ['A', user(tenantId, A)],
      ['B', user(tenantId, B)],
      ['agent 1, who opened the ticket', agent(tenantId, 1)],
      ['agent 3', agent(tenantId, 3)],
    ] as const) {
      const mine = (await seen(t, headers)).filter((n) => n.reply_id === answer.id)
      t.equal(mine.length, 1, `${who} sees the reply once`)
      t.match(mine[0], { type: 'TICKET_REPLY', recipient_id: null, ticket_id: ticket.id, session_id: null, message_id: null })
    }
    t.same(
      (await seen(t, agent(tenantId, 2))).filter((n) => n.reply_id === answer.id),
      [],
      'agent 2 does not see their own reply',
    )
  })

  t.test('addressed notifications are seen by their recipient only, broadcasts by every user of the tenant', async (t) => {
    const tenantId = await createTenant(t, context, 'Visibility')
    const sessionId = await openSession(t, context, tenantId, 1)
    const message = await sendMessage(t, context, tenantId, sessionId, 'Untuk semua', 1)
    const ticket = await ticketBy(t, user(tenantId, A), 'Pertanyaan A', 'Pertanyaan dari A')
    const answer = await reply(t, agent(tenantId, 1), ticket.id, 'Jawaban untuk A')
    const forA = await seen(t, user(tenantId, A))
    t.same(
      forA.map((n) => [n.type, n.message_id ?? n.reply_id]),
      [
        ['TICKET_REPLY', answer.id],
        ['CHAT_MESSAGE', message.id],
      ],
      'A sees the reply addressed to them and the broadcast, newest first',
    )
    const forB = await seen(t, user(tenantId, B))
    t.same(forB.map((n) => n.message_id), [message.id], 'B sees the broadcast only')
    t.equal(forB[0].id, forA[1].id, 'the same broadcast notification')
    t.equal(await unread(t, user(tenantId, A)), 2)
    t.equal(await unread(t, user(tenantId, B)), 1)
    t.same(await seen(t, agent(tenantId, 1)), [], 'the author sees neither')
    t.same((await seen(t, agent(tenantId, 2))).map((n) => n.message_id), [message.id], 'another agent sees the broadcast only')
  })

  t.test('SUPPORT_AGENTs read notifications too, but never the ones they wrote', async (t) => {
    const tenantId = await createTenant(t, context, 'Agents read')
    const sessionId = await openSession(t, context, tenantId, 1)
    await sendMessage(t, context, tenantId, sessionId, 'Dari agen 1', 1)
    const [notification] = await seen(t, user(tenantId, A))
    t.same(await seen(t, agent(tenantId, 1)), [], 'agent 1 does not see their own')
    t.equal(await unread(t, agent(tenantId, 1)), 0)
    t.equal((await read(t, agent(tenantId, 1), notification.id)).statusCode, 404, 'nor read it')
    t.equal(await markedByReadAll(t, agent(tenantId, 1)), 0, 'read-all marks nothing for them')
    t.same(ids(await seen(t, agent(tenantId, 2))), [notification.id], 'agent 2 sees it')
    t.equal(await unread(t, agent(tenantId, 2)), 1)
    t.match(await readOne(t, agent(tenantId, 2), notification.id), { id: notification.id, read_at: rfc3339Utc })
    t.equal(await unread(t, agent(tenantId, 2)), 0)
    t.equal(await markedByReadAll(t, agent(tenantId, 2)), 0)
    t.equal(await unread(t, user(tenantId, A)), 1, "an agent's reading does not read it for A")
  })

  t.test("another tenant's users see nothing of this tenant's notifications", async (t) => {
    const tenantId = await createTenant(t, context, 'Home')
    const otherTenant = await createTenant(t, context, 'Elsewhere')
    const sessionId = await openSession(t, context, tenantId, 1)
    await sendMessage(t, context, tenantId, sessionId, 'Rahasia tenant pertama', 1)
    const [notification] = await seen(t, user(tenantId, A))
    t.ok(notification, 'a notification exists in the first tenant')

    const outsider = user(otherTenant, 201)
    t.same(await seen(t, outsider), [], 'a user of only the other tenant sees nothing')
    t.equal(await unread(t, outsider), 0)
    const readThere = await read(t, outsider, notification.id)
    t.equal(readThere.statusCode, 404, "reading the first tenant's notification through the other tenant is 404")
    t.match(readThere.json(), { success: false, data: null, errors: { id: [String] } })
    t.equal(await markedByReadAll(t, outsider), 0, 'read-all marks nothing')
    const cursorThere = await list(t, outsider, { cursor: notification.id })
    t.equal(cursorThere.statusCode, 400, "the first tenant's notification is no cursor in the other")
    t.match(cursorThere.json(), { errors: { cursor: [String] } })

    const both = [tenantId, otherTenant]
    t.same(await seen(t, user(otherTenant, A, both)), [], 'A acting for the other tenant sees nothing')
    t.equal((await read(t, user(otherTenant, A, both), notification.id)).statusCode, 404, 'and cannot read it there')
    t.equal(await markedByReadAll(t, user(otherTenant, A, both)), 0)
    t.same(ids(await seen(t, user(tenantId, A, both))), [notification.id], 'the same token sees it in its own tenant')
    t.equal(await unread(t, user(tenantId, A)), 1, 'still unread in the first tenant')

    const forbidden = await list(t, user(tenantId, 201, [otherTenant]))
    t.equal(forbidden.statusCode, 403, 'a token without the tenant cannot act for it')
  })

  t.test('POST /notifications/{id}/read marks for the caller only, keeps the first read_at, and 404s what the caller cannot see', async (t) => {
    const tenantId = await createTenant(t, context, 'Read one')
    const sessionId = await openSession(t, context, tenantId, 1)
    await sendMessage(t, context, tenantId, sessionId, 'Pesan 1', 1)
    await sendMessage(t, context, tenantId, sessionId, 'Pesan 2', 1)
    const ticket = await ticketBy(t, user(tenantId, A), 'Tiket A', 'Dari A')
    await reply(t, agent(tenantId, 1), ticket.id, 'Untuk A')
    const [addressed, second, first] = await seen(t, user(tenantId, A))
    t.match(addressed, { type: 'TICKET_REPLY', recipient_id: A })
    t.equal(await unread(t, user(tenantId, A)), 3)
    t.equal(await unread(t, user(tenantId, B)), 2)

    const before = Date.now()
    const marked = await readOne(t, user(tenantId, A), first.id)
    t.match(marked, { ...first, read_at: rfc3339Utc }, 'answers the notification, now read')
    t.ok(Math.abs(Date.parse(marked.read_at!) - before) < 10_000, 'read_at is the time of reading')
    t.equal(await unread(t, user(tenantId, A)), 2, "A's count drops")
    t.equal(await unread(t, user(tenantId, B)), 2, "B's count is unchanged")
    t.equal((await seen(t, user(tenantId, A))).find((n) => n.id === first.id)?.read_at, marked.read_at, "A's list shows it read")
    t.equal((await seen(t, user(tenantId, B))).find((n) => n.id === first.id)?.read_at, null, "B's list shows it unread")

    await sleep(20)
    const again = await readOne(t, user(tenantId, A), first.id)
    t.equal(again.read_at, marked.read_at, 'a second reading keeps the first read_at')
    t.same(again, marked, 'and answers the same notification')
    t.equal(await unread(t, user(tenantId, A)), 2, 'and counts once')

    const unknown = await read(t, user(tenantId, A), randomUUID())
    t.equal(unknown.statusCode, 404, 'an unknown id is 404')
    t.match(unknown.json(), { success: false, data: null, errors: { id: [String] } })
    const othersAddressed = await read(t, user(tenantId, B), addressed.id)
    t.equal(othersAddressed.statusCode, 404, "another user's addressed notification is 404")
    t.equal(await unread(t, user(tenantId, B)), 2, "B's count is unchanged")
    t.equal((await seen(t, user(tenantId, A))).find((n) => n.id === addressed.id)?.read_at, null, 'and it stays unread for A')
    for (const id of ['not-a-uuid', '12345', `${second.id}x`]) {
      const response = await read(t, user(tenantId, A), id)
      t.equal(response.statusCode, 400, `${id} is 400`)
      t.ok(response.json().errors?.id, 'errors names id')
    }
    t.match(await readOne(t, user(tenantId, A), addressed.id), { id: addressed.id, read_at: rfc3339Utc }, 'A reads their own addressed one')
    t.equal(await unread(t, user(tenantId, A)), 1)
  })

  t.test('POST /notifications/read-all marks what was unread, counts only what it marked, and later ones arrive unread', async (t) => {
    const tenantId = await createTenant(t, context, 'Read all')
    const sessionId = await openSession(t, context, tenantId, 1)
    for (const text of ['Satu', 'Dua', 'Tiga']) await sendMessage(t, context, tenantId, sessionId, text, 1)
    const ticket = await ticketBy(t, user(tenantId, A), 'Tiket', 'Isi tiket')
    await reply(t, agent(tenantId, 1), ticket.id, 'Balasan')
    const forA = await seen(t, user(tenantId, A))
    t.equal(forA.length, 4)
    t.equal(await unread(t, user(tenantId, B)), 3)
    const early = await readOne(t, user(tenantId, A), forA[3].id)
    await sleep(20)

    t.equal(await markedByReadAll(t, user(tenantId, A)), 3, 'marks the three still unread')
    t.equal(await unread(t, user(tenantId, A)), 0, 'nothing unread after')
    t.same(await seen(t, user(tenantId, A), { unread_only: 'true' }), [], 'unread_only lists nothing')
    const after = await seen(t, user(tenantId, A))
    t.same(ids(after), ids(forA), 'every notification is still listed')
    t.ok(after.every((n) => n.read_at !== null), 'all read')
    t.equal(after[3].read_at, early.read_at, 'one read before keeps its read_at')
    t.equal(await markedByReadAll(t, user(tenantId, A)), 0, 'a second read-all marks nothing')
    t.equal(await unread(t, user(tenantId, B)), 3, "B's notifications are untouched")
    t.equal(await markedByReadAll(t, user(tenantId, B)), 3, "B's read-all marks B's three")
    t.equal(await markedByReadAll(t, user(tenantId, B)), 0)

    const later = await sendMessage(t, context, tenantId, sessionId, 'Empat', 1)
    t.equal(await unread(t, user(tenantId, A)), 1, 'a notification after read-all is unread')
    const unreadOnly = await seen(t, user(tenantId, A), { unread_only: 'true' })
    t.same(
      unreadOnly.map((n) => [n.message_id, n.read_at]),
      [[later.id, null]],
      'and it is the one unread_only lists',
    )
    t.equal(await markedByReadAll(t, user(tenantId, A)), 1)
    t.equal(await unread(t, user(tenantId, A)), 0)
  })

  t.test('concurrent readings mark each notification once: read-alls share the count, read_at is one time', async (t) => {
    const tenantId = await createTenant(t, context, 'Concurrent reads')
    const sessionId = await openSession(t, context, tenantId, 1)
    for (let i = 1; i <= 6; i++) await sendMessage(t, context, tenantId, sessionId, `Pesan ${i}`, 1)
    const counts = await Promise.all(Array.from({ length: 5 }, () => markedByReadAll(t, user(tenantId, A))))
    t.equal(counts.reduce((sum, count) => sum + count, 0), 6, `the read-alls marked 6 in all (${counts.join(', ')})`)
    t.equal(await unread(t, user(tenantId, A)), 0)
    const [latest] = await seen(t, user(tenantId, B))
    const readings = await Promise.all(Array.from({ length: 5 }, () => readOne(t, user(tenantId, B), latest.id)))
    t.equal(new Set(readings.map((reading) => reading.read_at)).size, 1, 'every reading answers the same read_at')
    t.equal(await unread(t, user(tenantId, B)), 5)
  })

  t.test('GET /notifications lists newest first, filters unread_only, and pages by cursor both ways', async (t) => {
    const tenantId = await createTenant(t, context, 'Listing')
    const otherTenant = await createTenant(t, context, 'Listing elsewhere')
    const sessionId = await openSession(t, context, tenantId, 1)
    const sent: { id: string }[] = []
    for (let i = 1; i <= 7; i++) sent.push(await sendMessage(t, context, tenantId, sessionId, `Pesan ${i}`, 1))
    const headers = user(tenantId, A)
    // n[i] is the notification of message i+1.
    const all = await page(t, headers)
    t.same(all.data.map((n) => n.message_id), [...sent].reverse().map((message) => message.id), 'newest first')
    t.same(all.pagination, { has_next: false, has_prev: false, limit: 50, next_cursor: all.data[6].id, prev_cursor: all.data[0].id })
    const times = all.data.map((n) => Date.parse(n.created_at))
    t.same(times, [...times].sort((a, b) => b - a), 'created_at descends')
    const n = [...all.data].reverse()
    const idsOfMessages = (...numbers: number[]) => numbers.map((number) => n[number - 1].id)

    await readOne(t, headers, n[2].id)
    await readOne(t, headers, n[4].id)

    t.test('unread_only lists the unread ones, newest first; false or absent lists all', async (t) => {
      const unreadOnly = await page(t, headers, { unread_only: 'true' })
      t.same(ids(unreadOnly.data), idsOfMessages(7, 6, 4, 2, 1))
      t.ok(unreadOnly.data.every((notification) => notification.read_at === null))
      t.same(ids((await page(t, headers, { unread_only: 'false' })).data), idsOfMessages(7, 6, 5, 4, 3, 2, 1))
      const everything = (await page(t, headers)).data
      t.same(ids(everything), idsOfMessages(7, 6, 5, 4, 3, 2, 1))
      t.same(
        everything.map((notification) => notification.read_at !== null),
        [false, false, true, false, true, false, false],
        'read_at is set on the read ones only',
      )
    })

    t.test('limit 3 walks forward page by page, and direction=prev walks back', async (t) => {
      const first = await page(t, headers, { limit: '3' })
      t.same(ids(first.data), idsOfMessages(7, 6, 5))
      t.same(first.pagination, { has_next: true, has_prev: false, limit: 3, next_cursor: n[4].id, prev_cursor: n[6].id })
      const second = await page(t, headers, { limit: '3', cursor: first.pagination.next_cursor! })
      t.same(ids(second.data), idsOfMessages(4, 3, 2))
      t.same(second.pagination, { has_next: true, has_prev: true, limit: 3, next_cursor: n[1].id, prev_cursor: n[3].id })
      const third = await page(t, headers, { limit: '3', cursor: second.pagination.next_cursor! })
      t.same(ids(third.data), idsOfMessages(1))
      t.match(third.pagination, { has_next: false, has_prev: true, limit: 3, next_cursor: n[0].id, prev_cursor: n[0].id })
      const empty = await page(t, headers, { limit: '3', cursor: third.pagination.next_cursor! })
      t.same(empty.data, [], 'nothing older than the oldest')
      t.match(empty.pagination, { has_next: false, has_prev: true })

      const back = await page(t, headers, { limit: '3', direction: 'prev', cursor: third.pagination.prev_cursor! })
      t.same(ids(back.data), idsOfMessages(4, 3, 2), 'back one page, still newest first')
      t.match(back.pagination, { has_next: true, has_prev: true })
      const start = await page(t, headers, { limit: '3', direction: 'prev', cursor: back.pagination.prev_cursor! })
      t.same(ids(start.data), idsOfMessages(7, 6, 5), 'back to the first page')
      t.match(start.pagination, { has_next: true, has_prev: false })
      const beforeStart = await page(t, headers, { limit: '3', direction: 'prev', cursor: n[6].id })
      t.same(beforeStart.data, [], 'nothing newer than the newest')
      t.match(beforeStart.pagination, { has_next: true, has_prev: false })

      const oldest = await page(t, headers, { limit: '3', direction: 'prev' })
      t.same(ids(oldest.data), idsOfMessages(3, 2, 1), 'direction=prev without a cursor is the oldest page')
      t.match(oldest.pagination, { has_next: false, has_prev: true })
    })

    t.test('unread_only pages too, and a cursor read since the last page still leads on', async (t) => {
      const first = await page(t, headers, { unread_only: 'true', limit: '2' })
      t.same(ids(first.data), idsOfMessages(7, 6))
      t.match(first.pagination, { has_next: true, has_prev: false })
      // The reader opens notification 6 before asking for the next page.
      await readOne(t, headers, n[5].id)
      const second = await page(t, headers, { unread_only: 'true', limit: '2', cursor: first.pagination.next_cursor! })
      t.same(ids(second.data), idsOfMessages(4, 2))
      t.match(second.pagination, { has_next: true, has_prev: true })
      const third = await page(t, headers, { unread_only: 'true', limit: '2', cursor: second.pagination.next_cursor! })
      t.same(ids(third.data), idsOfMessages(1))
      t.match(third.pagination, { has_next: false, has_prev: true })
      const back = await page(t, headers, { unread_only: 'true', limit: '2', direction: 'prev', cursor: second.pagination.prev_cursor! })
      t.same(ids(back.data), idsOfMessages(7), 'back from page two: the one newer unread')
      t.match(back.pagination, { has_next: true, has_prev: false })
    })

    t.test('limit must be 1..100, direction next or prev, unread_only a boolean: otherwise 400 naming it', async (t) => {
      for (const [query, field] of [...invalidPageQueries, [{ unread_only: 'maybe' }, 'unread_only'] as const]) {
        const response = await list(t, headers, query)
        t.equal(response.statusCode, 400, `${JSON.stringify(query)}: 400`)
        t.ok(response.json().errors?.[field], `${JSON.stringify(query)}: errors names ${field} (${JSON.stringify(response.json().errors)})`)
      }
      const one = await page(t, headers, { limit: '1' })
      t.same(ids(one.data), idsOfMessages(7))
      t.match(one.pagination, { limit: 1, has_next: true })
      const hundred = await page(t, headers, { limit: '100' })
      t.equal(hundred.data.length, 7)
      t.match(hundred.pagination, { limit: 100, has_next: false })
    })

    t.test('a cursor that is not a notification the caller sees is 400 naming cursor', async (t) => {
      const ticket = await ticketBy(t, user(tenantId, B), 'Tiket B', 'Dari B')
      await reply(t, agent(tenantId, 1), ticket.id, 'Untuk B')
      const [forB] = await seen(t, user(tenantId, B))
      t.equal(forB.recipient_id, B)
      const elsewhere = await openSession(t, context, otherTenant, 1)
      await sendMessage(t, context, otherTenant, elsewhere, 'Di tenant lain', 1)
      const [foreign] = await seen(t, user(otherTenant, A))
      t.ok(foreign, "the other tenant's notification exists")
      for (const [why, cursor, caller] of [
        ['an unknown id', randomUUID(), headers],
        ['a message id', sent[0].id, headers],
        ["a notification addressed to another user", forB.id, headers],
        ["another tenant's notification", foreign.id, user(tenantId, A, [tenantId, otherTenant])],
        ["the author's own notification", n[0].id, agent(tenantId, 1)],
      ] as const) {
        for (const direction of ['next', 'prev']) {
          const response = await list(t, caller, { cursor, direction })
          t.equal(response.statusCode, 400, `${why}, ${direction}: 400`)
          t.match(response.json(), { success: false, data: null, errors: { cursor: [String] } }, `${why}, ${direction}: errors names cursor`)
        }
      }
    })
  })

  t.test('only TENANT_USER and SUPPORT_AGENT may call the notification operations', async (t) => {
    const tenantId = await createTenant(t, context, 'Roles')
    const sessionId = await openSession(t, context, tenantId, 1)
    await sendMessage(t, context, tenantId, sessionId, 'Halo', 1)
    const [notification] = await seen(t, user(tenantId, A))
    const admin = { ...adminHeaders(context), 'x-tenant-id': String(tenantId) }
    const adminOfTenant = {
      authorization: `Bearer ${context.token({ sub: 9000, roles: ['PLATFORM_ADMIN'], tenants: [tenantId] })}`,
      'x-tenant-id': String(tenantId),
    }
    for (const headers of [admin, adminOfTenant]) {
      for (const response of [
        await list(t, headers),
        await countOf(t, headers),
        await read(t, headers, notification.id),
        await readAll(t, headers),
      ]) {
        t.equal(response.statusCode, 403, 'PLATFORM_ADMIN is 403')
        t.match(response.json(), { success: false, data: null })
      }
    }
    t.ok((await list(t, adminOfTenant)).json().errors.roles, 'errors names roles when the tenant is the caller\'s')
    for (const response of [await list(t, {}), await countOf(t, {}), await read(t, {}, notification.id), await readAll(t, {})]) {
      t.equal(response.statusCode, 401, 'no token is 401')
    }
    const noTenant = await list(t, { authorization: user(tenantId).authorization })
    t.equal(noTenant.statusCode, 400, 'no X-Tenant-ID is 400')
    t.equal(await unread(t, user(tenantId, A)), 1, 'nothing was marked read')
  })

  t.test('atomicity: a notification that cannot be written takes its message down with it', async (t) => {
    // A real trigger refuses notifications whose text holds FAIL-ME: the failure comes after the message insert.
    const pool = context.app.database.pool
    await pool.execute(sql`
      create or replace function test_fail_marked_notification() returns trigger language plpgsql as $$
      begin
        if new.text like '%FAIL-ME%' then
          raise exception 'refusing notification for the test';
        end if;
        return new;
      end
      $$`)
    await pool.execute(sql`drop trigger if exists test_fail_marked_notification on notifications`)
    await pool.execute(sql`
      create trigger test_fail_marked_notification before insert on notifications
      for each row execute function test_fail_marked_notification()`)
    t.teardown(async () => {
      await pool.execute(sql`drop trigger if exists test_fail_marked_notification on notifications`)
      await pool.execute(sql`drop function if exists test_fail_marked_notification()`)
    })
    const notificationRows = async () => Number((await rowsOf(context, sql`select count(*)::int as count from notifications`))[0].count)

    /** A 500 in the envelope, saying nothing of the trigger, the table or the text. */
    function assertInternalError(t: Test, response: Awaited<ReturnType<TestApp['call']>>) {
      t.equal(response.statusCode, 500)
      const body = response.json()
      t.match(body, { success: false, message: 'Internal server error', data: null, errors: { _: [String] } })
      const text = response.body.toLowerCase()
      for (const word of ['fail-me', 'refusing', 'trigger', 'notification', 'insert', 'exception', 'plpgsql', 'select', '.ts']) {
        t.notOk(text.includes(word), `the body does not contain ${JSON.stringify(word)}`)
      }
    }

    t.test('the trigger really refuses such a notification', async (t) => {
      const tenantId = await createTenant(t, context, 'Trigger works')
      await t.rejects(
        pool.execute(sql`insert into notifications (tenant_id, id, type, author_id, text)
                       values (${tenantId}, ${randomUUID()}, 'CHAT_MESSAGE', 1, 'Agent 1: FAIL-ME')`),
        'a FAIL-ME notification cannot be inserted',
      )
    })

    t.test('a chat message whose notification fails is not stored; the session goes on without a gap', async (t) => {
      const tenantId = await createTenant(t, context, 'Atomic chat')
      const sessionId = await openSession(t, context, tenantId, 1)
      const first = await sendMessage(t, context, tenantId, sessionId, 'Sebelum kegagalan', 1)
      // A tenant-side message writes no notification, so the trigger never sees it.
      const fromTenant = await clientSend(t, tenantId, A, sessionId, 'Tenant menulis FAIL-ME juga')
      const rowsBefore = await notificationRows()
      const seenBefore = await seen(t, user(tenantId, B))

      const failed = await context.call(t, 'sendMessage', {
        method: 'POST',
        url: `/livechat/sessions/${sessionId}/messages`,
        headers: agent(tenantId, 1),
        payload: { message: 'Agen menulis FAIL-ME sekarang' },
      })
      assertInternalError(t, failed)
      const afterFailure = await messagesOf(t, tenantId, sessionId)
      t.same(ids(afterFailure.data), [first.id, fromTenant.id], 'the failed message is not stored')
      t.notOk(afterFailure.data.some((message) => message.message.startsWith('Agen menulis')), 'its text is nowhere')
      t.equal(await notificationRows(), rowsBefore, 'no notification row was written')
      t.same(await seen(t, user(tenantId, B)), seenBefore, 'no notification is listed')

      const next = await sendMessage(t, context, tenantId, sessionId, 'Sesudah kegagalan', 1)
      const final = await messagesOf(t, tenantId, sessionId)
      t.same(ids(final.data), [first.id, fromTenant.id, next.id], 'the next message is listed right after')
      const walked: string[] = []
      let cursor: string | undefined
      for (let pages = 0; pages < 10; pages++) {
        const { data, meta } = await messagesOf(t, tenantId, sessionId, { limit: '1', ...(cursor && { cursor }) })
        walked.push(...ids(data))
        if (!meta.pagination.has_next) break
        cursor = meta.pagination.next_cursor
      }
      t.same(walked, ids(final.data), 'paging one by one visits every message once, none skipped')
      const latest = await messagesOf(t, tenantId, sessionId, { limit: '2', direction: 'prev' })
      t.same(ids(latest.data), [fromTenant.id, next.id], 'the latest page ends with the new message')

      const notifications = await seen(t, user(tenantId, B))
      t.same(notifications.map((n) => n.message_id), [next.id, first.id], 'a notification for each stored agent message, and no other')
      t.equal(await notificationRows(), rowsBefore + 1)
      t.notOk(notifications.some((n) => n.text.includes('FAIL-ME')), 'none for the failed message')
    })

    t.test('a session whose first message cannot be notified does not start', async (t) => {
      const tenantId = await createTenant(t, context, 'Atomic start')
      await setPresence(t, context, tenantId, 3, 'ONLINE')
      const rowsBefore = await notificationRows()
      const failed = await context.call(t, 'startSession', {
        method: 'POST',
        url: '/livechat/sessions',
        headers: agent(tenantId, 3),
        payload: { message: 'Pembuka FAIL-ME' },
      })
      assertInternalError(t, failed)
      const sessions = await context.call(t, 'listSessions', { method: 'GET', url: '/livechat/sessions', headers: agent(tenantId, 3) })
      t.same(sessions.json().data, [], 'no session was started')
      t.equal(await notificationRows(), rowsBefore)
      const retry = await context.call(t, 'startSession', { method: 'POST', url: '/livechat/sessions', headers: agent(tenantId, 3), payload: { message: 'Pembuka' } })
      t.equal(retry.statusCode, 201, 'the agent is still free to start one')
    })

    t.test('a chat request to an offline agent whose message cannot be notified keeps no ticket', async (t) => {
      const tenantId = await createTenant(t, context, 'Atomic offline')
      const rowsBefore = await notificationRows()
      const start = (t: Test, message: string) =>
        context.call(t, 'startSession', { method: 'POST', url: '/livechat/sessions', headers: agent(tenantId, 4), payload: { message } })
      assertInternalError(t, await start(t, 'Permintaan FAIL-ME'))
      const tickets = await context.call(t, 'listTickets', { method: 'GET', url: '/tickets', headers: agent(tenantId, 4) })
      t.same(tickets.json().data, [], 'no offline ticket was kept')
      t.equal(await notificationRows(), rowsBefore, 'no notification row was written')
      const retry = await start(t, 'Permintaan biasa')
      t.equal(retry.statusCode, 400, 'a normal request is kept as a ticket')
      const ticketId = retry.json().errors.ticket_id[0]
      const kept = (await context.call(t, 'listTickets', { method: 'GET', url: '/tickets', headers: agent(tenantId, 4) })).json().data
      t.same(ids(kept), [ticketId], 'only the ticket of the normal request exists')
      t.same((await repliesOf(t, agent(tenantId, 4), ticketId)).data.map((r) => r.message), ['Permintaan biasa'], 'holding only its message')
    })

    t.test('a ticket reply whose notification fails is not stored; the ticket goes on without a gap', async (t) => {
      const tenantId = await createTenant(t, context, 'Atomic ticket')
      // A tenant user's ticket writes no notification, so FAIL-ME in it is harmless.
      const ticket = await ticketBy(t, user(tenantId, A), 'Tiket FAIL-ME', 'Pesan pembuka FAIL-ME')
      const answer = await reply(t, agent(tenantId, 1), ticket.id, 'Balasan pertama')
      const before = (await repliesOf(t, agent(tenantId, 1), ticket.id)).data
      t.equal(before.length, 2)
      const rowsBefore = await notificationRows()

      const failed = await postReply(t, agent(tenantId, 1), ticket.id, 'Balasan FAIL-ME')
      assertInternalError(t, failed)
      t.same((await repliesOf(t, agent(tenantId, 1), ticket.id)).data, before, 'the failed reply is not stored')
      t.equal(await notificationRows(), rowsBefore, 'no notification row was written')

      const next = await reply(t, agent(tenantId, 1), ticket.id, 'Balasan kedua')
      const final = (await repliesOf(t, agent(tenantId, 1), ticket.id)).data
      t.same(ids(final), [...ids(before), next.id], 'the next reply is listed right after')
      const walked: string[] = []
      let cursor: string | undefined
      for (let pages = 0; pages < 10; pages++) {
        const { data, meta } = await repliesOf(t, agent(tenantId, 1), ticket.id, { limit: '1', ...(cursor && { cursor }) })
        walked.push(...ids(data))
        if (!meta.pagination.has_next) break
        cursor = meta.pagination.next_cursor
      }
      t.same(walked, ids(final), 'paging one by one visits every reply once')
      t.same(
        (await seen(t, user(tenantId, A))).map((n) => n.reply_id),
        [next.id, answer.id],
        "A is notified of the two stored agent replies only",
      )
    })

    t.test('a ticket an agent opens with a message that cannot be notified is not opened', async (t) => {
      const tenantId = await createTenant(t, context, 'Atomic open')
      const rowsBefore = await notificationRows()
      const failed = await openTicket(t, agent(tenantId, 1), 'Tidak jadi', 'Pembuka FAIL-ME')
      assertInternalError(t, failed)
      const tickets = await context.call(t, 'listTickets', { method: 'GET', url: '/tickets', headers: agent(tenantId, 1) })
      t.equal(tickets.statusCode, 200)
      t.same(tickets.json().data, [], 'no ticket was opened')
      t.equal(await notificationRows(), rowsBefore)
    })
  })
})
