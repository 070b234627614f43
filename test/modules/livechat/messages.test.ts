import { randomUUID } from 'node:crypto'
import t, { type Test } from 'tap'
import { agentHeaders, createTenant, openSession, sendMessage, invalidPageQueries, allPages } from '../../helpers/fixtures.js'
import { untypedBody } from '../../helpers/operation-types.js'
import { onEachDatabase } from '../../helpers/test-app.js'
import type { components } from '../../../generated/openapi.js'

type ChatMessage = components['schemas']['ChatMessage']
type Pagination = components['schemas']['Pagination']

const uuidV7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/
const rfc3339Utc = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/

// Seed: "POST /livechat/sessions/{id}/messages — kirim pesan pada sesi `id`."
//       "GET /livechat/sessions/{id}/messages — daftar pesan pada sesi `id`." ("terurut naik berdasarkan `created_at`")
onEachDatabase(t, async (t, context) => {
  const tenantId = await createTenant(t, context)

  /** Who calls and for which tenant: by default agent 1 of `tenantId` only. */
  type As = { agentId?: number; tenant?: number; tenants?: number[] }
  const headersOf = ({ agentId = 1, tenant = tenantId, tenants = [tenant] }: As = {}) => agentHeaders(context, tenant, agentId, tenants)

  const send = (t: Test, sessionId: string, payload: unknown, as?: As) =>
    context.call(t, 'sendMessage', {
      method: 'POST',
      url: `/livechat/sessions/${sessionId}/messages`,
      headers: headersOf(as),
      payload: untypedBody(payload),
    })

  const list = (t: Test, sessionId: string, query: Record<string, string> = {}, as?: As) =>
    context.call(t, 'listMessages', { method: 'GET', url: `/livechat/sessions/${sessionId}/messages`, query, headers: headersOf(as) })

  /** A page that must succeed. */
  async function page(t: Test, sessionId: string, query: Record<string, string> = {}, as?: As) {
    const response = await list(t, sessionId, query, as)
    t.equal(response.statusCode, 200, `list ${JSON.stringify(query)} is 200`)
    const body = response.json()
    return { data: body.data as ChatMessage[], pagination: body.meta.pagination as Pagination }
  }

  /** Every message of the session, oldest first. */
  const listAll = (t: Test, sessionId: string, as?: As) =>
    allPages<ChatMessage>(t, context, 'listMessages', { url: `/livechat/sessions/${sessionId}/messages`, headers: headersOf(as) })

  /** Sends `count` messages "Pesan 1".."Pesan count" in order and returns them as stored. */
  async function sendMany(t: Test, sessionId: string, count: number, agentId = 1): Promise<ChatMessage[]> {
    const sent: ChatMessage[] = []
    for (let i = 1; i <= count; i++) sent.push(await sendMessage(t, context, tenantId, sessionId, `Pesan ${i}`, agentId))
    return sent
  }

  const idsOf = (messages: ChatMessage[]) => messages.map((message) => message.id)

  /** Ascending by created_at, ties broken by increasing (UUIDv7) id, no id twice. */
  function assertAscending(t: Test, messages: ChatMessage[], what: string) {
    for (let i = 1; i < messages.length; i++) {
      const [before, after] = [messages[i - 1], messages[i]]
      if (Date.parse(before.created_at) > Date.parse(after.created_at) || before.id >= after.id) {
        t.fail(`${what}: message ${i} (${after.id} at ${after.created_at}) comes after ${before.id} at ${before.created_at}`)
        return
      }
    }
    t.pass(`${what}: ascending by created_at and id`)
  }

  t.test('a message is stored as the caller\'s in the session: 201 with a UUIDv7 id and an RFC 3339 created_at', async (t) => {
    const sessionId = await openSession(t, context, tenantId, 21)
    const before = Date.now()
    // The caller (agent 22) is not the session's agent (21): the sender is still the caller.
    const response = await send(t, sessionId, { message: 'Halo, ada yang bisa dibantu?' }, { agentId: 22 })
    const after = Date.now()
    t.equal(response.statusCode, 201)
    const body = response.json()
    t.match(body, { success: true, data: { session_id: sessionId, sender_id: 22, message: 'Halo, ada yang bisa dibantu?' }, errors: null })
    const message: ChatMessage = body.data
    t.match(message.id, uuidV7, 'a UUIDv7 id')
    t.match(message.created_at, rfc3339Utc, 'created_at is RFC 3339 in UTC')
    const createdAt = Date.parse(message.created_at)
    t.ok(createdAt >= before - 1000 && createdAt <= after + 1000, `created_at ${message.created_at} is the time of sending`)
    t.same(await listAll(t, sessionId), [message], 'the list holds exactly the stored message')
  })

  t.test('invalid bodies are 400, name the field in errors, and store nothing', async (t) => {
    const sessionId = await openSession(t, context, tenantId, 23)
    await sendMessage(t, context, tenantId, sessionId, 'Pesan pertama', 23)
    const stored = await listAll(t, sessionId)
    t.equal(stored.length, 1)
    for (const [why, payload, field] of [
      ['message missing', {}, 'message'],
      ['message is a number', { message: 42 }, 'message'],
      ['message is null', { message: null }, 'message'],
      ['message is an object', { message: { text: 'Halo' } }, 'message'],
      ['message is an array', { message: ['Halo'] }, 'message'],
      ['message is empty', { message: '' }, 'message'],
      ['message is only white space', { message: '   \n\t' }, 'message'],
      ['message has 10,001 characters', { message: 'a'.repeat(10_001) }, 'message'],
      ['message has 10,001 characters outside the BMP', { message: '😀'.repeat(10_001) }, 'message'],
      ['an unknown property beside a valid message', { message: 'Halo', priority: 'high' }, 'priority'],
      ['a misspelt message', { mesage: 'Halo' }, 'mesage'],
    ] as const) {
      const response = await send(t, sessionId, payload, { agentId: 23 })
      t.equal(response.statusCode, 400, `${why}: 400`)
      const body = response.json()
      t.match(body, { success: false, data: null }, `${why}: a failure envelope`)
      t.ok(Array.isArray(body.errors?.[field]) && body.errors[field].length > 0, `${why}: errors names ${field} (${JSON.stringify(body.errors)})`)
    }
    t.same(await listAll(t, sessionId), stored, 'nothing was stored')
    t.equal((await send(t, sessionId, { message: 'Pesan kedua' }, { agentId: 23 })).statusCode, 201, 'the session still takes messages')
  })

  t.test('a message holding a NUL character is refused with 400 naming message, not a 500', async (t) => {
    // PostgreSQL text cannot hold U+0000; the pattern \S lets it through, so the database refuses it.
    const sessionId = await openSession(t, context, tenantId, 35)
    const response = await send(t, sessionId, { message: 'Halo\u0000dunia' }, { agentId: 35 })
    t.equal(response.statusCode, 400)
    t.ok(response.json().errors?.message, `errors names message (${JSON.stringify(response.json().errors)})`)
    t.same(await listAll(t, sessionId), [], 'nothing was stored')
  })

  t.test('exactly 10,000 characters is accepted and stored whole', async (t) => {
    const sessionId = await openSession(t, context, tenantId, 24)
    const text = 'a'.repeat(9_999) + 'z'
    const response = await send(t, sessionId, { message: text }, { agentId: 24 })
    t.equal(response.statusCode, 201)
    t.equal(response.json().data.message, text)
    // Characters, not UTF-16 code units: 10,000 emoji are 20,000 code units.
    const emoji = '😀'.repeat(10_000)
    const wide = await send(t, sessionId, { message: emoji }, { agentId: 24 })
    t.equal(wide.statusCode, 201, '10,000 characters outside the BMP are accepted too')
    t.same((await listAll(t, sessionId)).map((message) => message.message), [text, emoji], 'both are stored unchanged')
  })

  t.test('a CLOSED session takes no messages: 400 with the reason in errors, nothing stored', async (t) => {
    const sessionId = await openSession(t, context, tenantId, 25)
    await sendMessage(t, context, tenantId, sessionId, 'Sebelum ditutup', 25)
    const closed = await context.call(t, 'closeSession', {
      method: 'POST',
      url: `/livechat/sessions/${sessionId}/close`,
      headers: headersOf({ agentId: 25 }),
    })
    t.equal(closed.statusCode, 200)
    t.equal(closed.json().data.status, 'CLOSED')
    const response = await send(t, sessionId, { message: 'Sesudah ditutup' }, { agentId: 25 })
    t.equal(response.statusCode, 400)
    const body = response.json()
    t.match(body, { success: false, message: 'Session is closed', data: null })
    t.match(Object.values(body.errors ?? {}).flat().join(' '), /closed/, 'errors gives the reason')
    t.same((await listAll(t, sessionId)).map((message) => message.message), ['Sebelum ditutup'], 'a closed session is still listed, unchanged')
  })

  t.test('an unknown session is 404 for sending and listing', async (t) => {
    const unknown = randomUUID()
    const sent = await send(t, unknown, { message: 'Halo' })
    t.equal(sent.statusCode, 404)
    t.match(sent.json(), { success: false, data: null, errors: { id: [/./] } })
    const listed = await list(t, unknown)
    t.equal(listed.statusCode, 404)
    t.match(listed.json(), { success: false, data: null, errors: { id: [/./] } })
  })

  t.test('a session of another tenant is 404, not 403, even for an agent of both tenants', async (t) => {
    const otherTenant = await createTenant(t, context, 'Globex')
    const sessionId = await openSession(t, context, tenantId, 26)
    await sendMessage(t, context, tenantId, sessionId, 'Rahasia tenant pertama', 26)
    const both = [tenantId, otherTenant]
    const sent = await send(t, sessionId, { message: 'Halo dari tenant lain' }, { agentId: 26, tenant: otherTenant, tenants: both })
    t.equal(sent.statusCode, 404, 'sending through the other tenant is 404')
    t.match(sent.json(), { success: false, data: null, errors: { id: [/./] } })
    const listed = await list(t, sessionId, {}, { agentId: 26, tenant: otherTenant, tenants: both })
    t.equal(listed.statusCode, 404, 'listing through the other tenant is 404')
    t.match(listed.json(), { success: false, data: null, errors: { id: [/./] } })
    // The same token acting for the session's own tenant reaches it.
    const own = await page(t, sessionId, {}, { agentId: 26, tenants: both })
    t.same(own.data.map((message) => message.message), ['Rahasia tenant pertama'], 'nothing was added through the other tenant')
  })

  t.test('a session id that is not a uuid is 400 naming id', async (t) => {
    for (const id of ['not-a-uuid', '12345', '0190a8b2-7c3e-7000-8000-00000000000']) {
      const sent = await send(t, id, { message: 'Halo' })
      t.equal(sent.statusCode, 400, `send to ${id}`)
      t.ok(sent.json().errors?.id, 'errors names id')
      const listed = await list(t, id)
      t.equal(listed.statusCode, 400, `list ${id}`)
      t.ok(listed.json().errors?.id, 'errors names id')
    }
  })

  t.test('an empty session lists no messages and no cursors', async (t) => {
    const sessionId = await openSession(t, context, tenantId, 27)
    const { data, pagination } = await page(t, sessionId)
    t.same(data, [])
    t.same(pagination, { has_next: false, has_prev: false, limit: 50 })
  })

  t.test('messages ascend by created_at, ids increase, and meta.pagination states the limit used', async (t) => {
    const sessionId = await openSession(t, context, tenantId, 28)
    const sent = await sendMany(t, sessionId, 6, 28)
    const all = await page(t, sessionId)
    t.same(idsOf(all.data), idsOf(sent), 'in the order they were sent')
    t.same(all.data, sent, 'as they were stored')
    assertAscending(t, all.data, 'the list')
    t.match(all.pagination, { has_next: false, has_prev: false, limit: 50 })
    const first = await page(t, sessionId, { limit: '4' })
    t.same(idsOf(first.data), idsOf(sent.slice(0, 4)))
    t.same(first.pagination, { has_next: true, has_prev: false, limit: 4, next_cursor: sent[3].id, prev_cursor: sent[0].id })
  })

  t.test('the default limit is 50: of 55 messages the first page has 50 and has_next', async (t) => {
    const sessionId = await openSession(t, context, tenantId, 29)
    const sent = await sendMany(t, sessionId, 55, 29)
    const first = await page(t, sessionId)
    t.equal(first.data.length, 50)
    t.same(idsOf(first.data), idsOf(sent.slice(0, 50)))
    t.match(first.pagination, { has_next: true, has_prev: false, limit: 50, next_cursor: sent[49].id })
    const second = await page(t, sessionId, { cursor: first.pagination.next_cursor! })
    t.same(idsOf(second.data), idsOf(sent.slice(50)))
    t.match(second.pagination, { has_next: false, has_prev: true, limit: 50 })
  })

  t.test('limit must be 1..100, direction next or prev: otherwise 400 naming the parameter', async (t) => {
    const sessionId = await openSession(t, context, tenantId, 30)
    const sent = await sendMany(t, sessionId, 3, 30)
    for (const [query, field] of invalidPageQueries) {
      const response = await list(t, sessionId, query)
      t.equal(response.statusCode, 400, `${JSON.stringify(query)}: 400`)
      t.ok(response.json().errors?.[field], `${JSON.stringify(query)}: errors names ${field} (${JSON.stringify(response.json().errors)})`)
    }
    const one = await page(t, sessionId, { limit: '1' })
    t.same(idsOf(one.data), [sent[0].id])
    t.match(one.pagination, { limit: 1, has_next: true })
    const hundred = await page(t, sessionId, { limit: '100' })
    t.same(idsOf(hundred.data), idsOf(sent))
    t.match(hundred.pagination, { limit: 100, has_next: false })
  })

  t.test('next_cursor walks forward through every message, none skipped or repeated', async (t) => {
    const sessionId = await openSession(t, context, tenantId, 31)
    const sent = await sendMany(t, sessionId, 23, 31)
    const seen: ChatMessage[] = []
    const flags: [boolean, boolean][] = []
    let cursor: string | undefined
    for (let pages = 0; pages < 10; pages++) {
      const { data, pagination } = await page(t, sessionId, { limit: '5', ...(cursor && { cursor }) })
      t.equal(pagination.limit, 5)
      seen.push(...data)
      flags.push([pagination.has_prev, pagination.has_next])
      if (!pagination.has_next) break
      t.equal(pagination.next_cursor, data[data.length - 1].id, 'next_cursor is the last message of the page')
      cursor = pagination.next_cursor
    }
    t.same(idsOf(seen), idsOf(sent), 'every message once, in order')
    t.same(flags, [[false, true], [true, true], [true, true], [true, true], [true, false]], 'has_prev/has_next on each of the 5 pages')
    const beyond = await page(t, sessionId, { limit: '5', cursor: sent[22].id })
    t.same(beyond.data, [], 'nothing after the last message')
    t.match(beyond.pagination, { has_next: false, has_prev: true })
    const exact = await page(t, sessionId, { limit: '23' })
    t.equal(exact.data.length, 23)
    t.equal(exact.pagination.has_next, false, 'a page holding exactly the rest has no next')
  })

  t.test('the page before an empty page ends with the message the empty page was read after', async (t) => {
    // Paging past either end gives an empty page; its cursor back must not skip the message at that end.
    const sessionId = await openSession(t, context, tenantId, 36)
    const sent = await sendMany(t, sessionId, 8, 36)
    const pastEnd = await page(t, sessionId, { limit: '3', cursor: sent[7].id })
    t.same(pastEnd.data, [], 'nothing after the last message')
    t.match(pastEnd.pagination, { has_next: false, has_prev: true })
    const back = await page(t, sessionId, { limit: '3', direction: 'prev', ...(pastEnd.pagination.prev_cursor && { cursor: pastEnd.pagination.prev_cursor }) })
    t.same(idsOf(back.data), idsOf(sent.slice(5, 8)), 'the previous page is messages 6..8, the last one included')
    const beforeStart = await page(t, sessionId, { limit: '3', direction: 'prev', cursor: sent[0].id })
    t.same(beforeStart.data, [], 'nothing before the first message')
    t.match(beforeStart.pagination, { has_next: true, has_prev: false })
    const ahead = await page(t, sessionId, { limit: '3', ...(beforeStart.pagination.next_cursor && { cursor: beforeStart.pagination.next_cursor }) })
    t.same(idsOf(ahead.data), idsOf(sent.slice(0, 3)), 'the next page is messages 1..3, the first one included')
  })

  t.test('a cursor that is not a message of this session is 400 naming cursor', async (t) => {
    const sessionId = await openSession(t, context, tenantId, 32)
    await sendMany(t, sessionId, 2, 32)
    const otherSession = await openSession(t, context, tenantId, 33)
    const [foreign] = await sendMany(t, otherSession, 1, 33)
    for (const [why, cursor] of [
      ['an unknown id', randomUUID()],
      ['a message of another session', foreign.id],
      ['the session id itself', sessionId],
    ] as const) {
      for (const direction of ['next', 'prev']) {
        const response = await list(t, sessionId, { cursor, direction })
        t.equal(response.statusCode, 400, `${why}, ${direction}: 400`)
        t.match(response.json(), { success: false, data: null, errors: { cursor: [/./] } }, `${why}, ${direction}: errors names cursor`)
      }
    }
  })

  t.test('direction=prev without a cursor returns the last page ascending; prev_cursor walks backwards', async (t) => {
    const sessionId = await openSession(t, context, tenantId, 34)
    const sent = await sendMany(t, sessionId, 12, 34)
    const last = await page(t, sessionId, { limit: '5', direction: 'prev' })
    t.same(idsOf(last.data), idsOf(sent.slice(7)), 'messages 8..12, ascending')
    t.same(last.pagination, { has_next: false, has_prev: true, limit: 5, next_cursor: sent[11].id, prev_cursor: sent[7].id })
    const middle = await page(t, sessionId, { limit: '5', direction: 'prev', cursor: last.pagination.prev_cursor! })
    t.same(idsOf(middle.data), idsOf(sent.slice(2, 7)), 'messages 3..7, ascending')
    t.match(middle.pagination, { has_next: true, has_prev: true, prev_cursor: sent[2].id, next_cursor: sent[6].id })
    const first = await page(t, sessionId, { limit: '5', direction: 'prev', cursor: middle.pagination.prev_cursor! })
    t.same(idsOf(first.data), idsOf(sent.slice(0, 2)), 'messages 1..2, ascending')
    t.match(first.pagination, { has_next: true, has_prev: false })
    // From a backward page, next_cursor leads forward again without a gap.
    const forward = await page(t, sessionId, { limit: '5', cursor: first.pagination.next_cursor! })
    t.same(idsOf(forward.data), idsOf(sent.slice(2, 7)), 'next from the first page is messages 3..7')
    const all = await page(t, sessionId, { limit: '12', direction: 'prev' })
    t.same(idsOf(all.data), idsOf(sent), 'a prev page holding everything')
    t.match(all.pagination, { has_next: false, has_prev: false })
  })

  t.test('paging forward while messages are being sent skips and repeats nothing', async (t) => {
    const sessionId = await openSession(t, context, tenantId, 40)
    const writers = [41, 42, 43, 44]
    const perWriter = 40
    let writing = true
    const writes = Promise.all(
      writers.map(async (writer) => {
        const mine: string[] = []
        for (let i = 1; i <= perWriter; i++) {
          const response = await send(t, sessionId, { message: `Agen ${writer} pesan ${i}` }, { agentId: writer })
          if (response.statusCode !== 201) t.fail(`writer ${writer} message ${i}: ${response.statusCode} ${response.body}`)
          else mine.push(response.json().data.id)
        }
        return mine
      }),
    ).finally(() => {
      writing = false
    })

    async function read() {
      const seen: ChatMessage[] = []
      let cursor: string | undefined
      let pagesWhileWriting = 0
      for (let polls = 0; polls < 5000; polls++) {
        const writersDone = !writing
        const { data, pagination } = await page(t, sessionId, { limit: '7', ...(cursor && { cursor }) })
        if (data.length > 7) t.fail(`a page of ${data.length} messages`)
        seen.push(...data)
        if (data.length > 0 && writing) pagesWhileWriting++
        cursor = pagination.next_cursor ?? cursor
        if (pagination.has_next) continue
        if (writersDone && data.length === 0) return { seen, pagesWhileWriting }
        await new Promise((resolve) => setTimeout(resolve, 2))
      }
      t.fail('the reader never caught up')
      return { seen, pagesWhileWriting }
    }

    const [written, { seen, pagesWhileWriting }] = await Promise.all([writes, read()])
    const total = writers.length * perWriter
    t.ok(pagesWhileWriting > 1, `the reader read ${pagesWhileWriting} pages while the writers were writing`)
    const final = await listAll(t, sessionId)
    t.equal(final.length, total, `all ${total} messages are stored`)
    assertAscending(t, final, 'the final list')
    t.equal(new Set(idsOf(seen)).size, seen.length, 'the reader saw no message twice')
    t.equal(seen.length, total, 'the reader saw every message')
    t.same(idsOf(seen), idsOf(final), 'in the order of the final list')
    t.same(seen, final, 'with the same content')
    for (const [index, writer] of writers.entries()) {
      const mine = final.filter((message) => message.sender_id === writer)
      t.same(idsOf(mine), written[index], `writer ${writer}'s messages are listed in the order sent`)
    }
  })
})
