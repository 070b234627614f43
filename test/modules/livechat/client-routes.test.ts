import { randomUUID } from 'node:crypto'
import t, { type Test } from 'tap'
import { adminHeaders, agentHeaders, createTenant, openSession, sendMessage } from '../../helpers/fixtures.js'
import { untypedBody } from '../../helpers/operation-types.js'
import { onEachDatabase, type TestApp } from '../../helpers/test-app.js'
import type { components } from '../../../generated/openapi.js'

type ChatSession = components['schemas']['ChatSession']
type ChatMessage = components['schemas']['ChatMessage']
type Pagination = components['schemas']['Pagination']
type Headers = Record<string, string>
type Response = Awaited<ReturnType<TestApp['call']>>

const uuidV7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/
const rfc3339Utc = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/

// Tenant users A = 101 and B = 102 (TENANT_USER); agents are SUPPORT_AGENT.
const A = 101
const B = 102

// Issue: "The tenant user's client gets its own surface (/livechat/client/…, role TENANT_USER): list the tenant's
// sessions, read a session's messages with the same pagination, and post a message into an OPEN session. Messages
// from the tenant side … are visible to the agent in the same message list, with sender_id telling who wrote what."
onEachDatabase(t, async (t, context) => {
  const user = (tenantId: number, userId = A, tenants = [tenantId]): Headers => ({
    authorization: `Bearer ${context.token({ sub: userId, roles: ['TENANT_USER'], tenants })}`,
    'x-tenant-id': String(tenantId),
  })
  const asQuery = (query: Record<string, string | number>) => Object.fromEntries(Object.entries(query).map(([name, value]) => [name, String(value)]))

  const listSessions = (t: Test, headers: Headers, query: Record<string, string | number> = {}) =>
    context.call(t, 'listClientSessions', { method: 'GET', url: '/livechat/client/sessions', query: asQuery(query), headers })
  const getSession = (t: Test, headers: Headers, id: string) =>
    context.call(t, 'getClientSession', { method: 'GET', url: `/livechat/client/sessions/${id}`, headers })
  const send = (t: Test, headers: Headers, sessionId: string, payload: unknown) =>
    context.call(t, 'sendClientMessage', {
      method: 'POST',
      url: `/livechat/client/sessions/${sessionId}/messages`,
      headers,
      payload: untypedBody(payload),
    })
  const listMessages = (t: Test, headers: Headers, sessionId: string, query: Record<string, string | number> = {}) =>
    context.call(t, 'listClientMessages', { method: 'GET', url: `/livechat/client/sessions/${sessionId}/messages`, query: asQuery(query), headers })
  const agentListMessages = (t: Test, tenantId: number, sessionId: string, query: Record<string, string | number> = {}, agentId = 1) =>
    context.call(t, 'listMessages', {
      method: 'GET',
      url: `/livechat/sessions/${sessionId}/messages`,
      query: asQuery(query),
      headers: agentHeaders(context, tenantId, agentId),
    })
  const agentListSessions = (t: Test, tenantId: number, query: Record<string, string | number> = {}) =>
    context.call(t, 'listSessions', { method: 'GET', url: '/livechat/sessions', query: asQuery(query), headers: agentHeaders(context, tenantId, 1) })
  const close = async (t: Test, tenantId: number, sessionId: string, agentId = 1) => {
    const response = await context.call(t, 'closeSession', {
      method: 'POST',
      url: `/livechat/sessions/${sessionId}/close`,
      headers: agentHeaders(context, tenantId, agentId),
    })
    t.equal(response.statusCode, 200, 'session closed')
  }

  /** A tenant-side message that must be stored. */
  async function sendAs(t: Test, tenantId: number, userId: number, sessionId: string, message: string): Promise<ChatMessage> {
    const response = await send(t, user(tenantId, userId), sessionId, { message })
    t.equal(response.statusCode, 201, 'tenant message sent')
    return response.json().data
  }

  /** Every message of the session as the agent lists it. */
  async function agentSees(t: Test, tenantId: number, sessionId: string): Promise<ChatMessage[]> {
    const response = await agentListMessages(t, tenantId, sessionId, { limit: 100 })
    t.equal(response.statusCode, 200, 'agent lists messages')
    t.equal(response.json().meta.pagination.has_next, false, 'on one page')
    return response.json().data
  }

  const idsOf = (response: Response): string[] => response.json().data.map((item: { id: string }) => item.id)
  const ids = (items: { id: string }[]) => items.map((item) => item.id)
  const paginationOf = (response: Response): Pagination => response.json().meta.pagination

  t.test('GET /livechat/client/sessions', async (t) => {
    const tenantA = await createTenant(t, context, 'Client list A')
    const tenantB = await createTenant(t, context, 'Client list B')
    // Five sessions with five agents, oldest first; the second and fourth are closed.
    const sessions: string[] = []
    for (const agentId of [41, 42, 43, 44, 45]) sessions.push(await openSession(t, context, tenantA, agentId))
    for (const index of [1, 3]) await close(t, tenantA, sessions[index], 41 + index)
    const otherTenantSession = await openSession(t, context, tenantB, 41)
    const newestFirst = [...sessions].reverse()

    t.test("a tenant user lists the tenant's sessions newest first, as the agent sees them", async (t) => {
      const response = await listSessions(t, user(tenantA))
      t.equal(response.statusCode, 200)
      t.match(response.json(), { success: true, errors: null })
      t.same(idsOf(response), newestFirst)
      t.same(paginationOf(response), { has_next: false, has_prev: false, limit: 50, next_cursor: sessions[0], prev_cursor: sessions[4] })
      const data: ChatSession[] = response.json().data
      t.ok(data.every((session) => session.tenant_id === tenantA), 'all of the tenant')
      t.same(
        data.map((session) => [session.agent_id, session.status]),
        [
          [45, 'OPEN'],
          [44, 'CLOSED'],
          [43, 'OPEN'],
          [42, 'CLOSED'],
          [41, 'OPEN'],
        ],
      )
      t.same(data, (await agentListSessions(t, tenantA)).json().data, "the same sessions as the agent's list")
      t.same(idsOf(await listSessions(t, user(tenantA, B))), newestFirst, 'every tenant user sees them all')
    })

    t.test('filters by status', async (t) => {
      const open = await listSessions(t, user(tenantA), { status: 'OPEN' })
      t.equal(open.statusCode, 200)
      t.same(idsOf(open), [sessions[4], sessions[2], sessions[0]])
      const closed = await listSessions(t, user(tenantA), { status: 'CLOSED' })
      t.same(idsOf(closed), [sessions[3], sessions[1]])
      t.ok(closed.json().data.every((session: ChatSession) => session.status === 'CLOSED'))
    })

    t.test('pages forward with limit 2, then direction=prev goes back', async (t) => {
      const pages: string[][] = []
      const paginations: Pagination[] = []
      let cursor: string | undefined
      do {
        const response = await listSessions(t, user(tenantA), { limit: 2, ...(cursor && { cursor }) })
        t.equal(response.statusCode, 200)
        pages.push(idsOf(response))
        paginations.push(paginationOf(response))
        cursor = paginationOf(response).has_next ? paginationOf(response).next_cursor : undefined
      } while (cursor && pages.length < 10)
      t.same(pages, [newestFirst.slice(0, 2), newestFirst.slice(2, 4), newestFirst.slice(4)])
      t.match(paginations, [
        { has_next: true, has_prev: false, limit: 2 },
        { has_next: true, has_prev: true, limit: 2 },
        { has_next: false, has_prev: true, limit: 2 },
      ])
      const back = await listSessions(t, user(tenantA), { limit: 2, direction: 'prev', cursor: paginations[2].prev_cursor! })
      t.same(idsOf(back), newestFirst.slice(2, 4), 'the page before the last, still newest first')
      t.match(paginationOf(back), { has_next: true, has_prev: true })
      const first = await listSessions(t, user(tenantA), { limit: 2, direction: 'prev', cursor: paginationOf(back).prev_cursor! })
      t.same(idsOf(first), newestFirst.slice(0, 2), 'back to the first page')
      t.match(paginationOf(first), { has_next: true, has_prev: false })
      const oldest = await listSessions(t, user(tenantA), { limit: 2, direction: 'prev' })
      t.same(idsOf(oldest), newestFirst.slice(3), 'direction=prev without a cursor is the oldest page')
      t.match(paginationOf(oldest), { has_next: false, has_prev: true })
      const openPaged = await listSessions(t, user(tenantA), { status: 'OPEN', limit: 2, cursor: sessions[4] })
      t.same(idsOf(openPaged), [sessions[2], sessions[0]], 'the status filter pages too')
    })

    t.test('invalid parameters are 400 naming the parameter', async (t) => {
      for (const [query, field] of [
        [{ status: 'BOGUS' }, 'status'],
        [{ status: 'open' }, 'status'],
        [{ limit: 0 }, 'limit'],
        [{ limit: 101 }, 'limit'],
        [{ limit: 'abc' }, 'limit'],
        [{ direction: 'sideways' }, 'direction'],
        [{ cursor: 'not-a-uuid' }, 'cursor'],
      ] as const) {
        const response = await listSessions(t, user(tenantA), query)
        t.equal(response.statusCode, 400, JSON.stringify(query))
        t.ok(response.json().errors?.[field], `errors names ${field}`)
      }
    })

    t.test('a cursor that names no session of this tenant is 400', async (t) => {
      for (const cursor of [randomUUID(), otherTenantSession]) {
        const response = await listSessions(t, user(tenantA, A, [tenantA, tenantB]), { cursor })
        t.equal(response.statusCode, 400)
        t.match(response.json(), { success: false, data: null, errors: { cursor: [String] } })
      }
    })

    t.test("another tenant's sessions never appear", async (t) => {
      const both = [tenantA, tenantB]
      t.notOk(idsOf(await listSessions(t, user(tenantA, A, both))).includes(otherTenantSession))
      t.same(idsOf(await listSessions(t, user(tenantB, 201))), [otherTenantSession], "tenant B's user sees only B's session")
      t.same(idsOf(await listSessions(t, user(tenantB, A, both))), [otherTenantSession], 'so does A acting for tenant B')
    })
  })

  t.test('GET /livechat/client/sessions/{id}', async (t) => {
    const tenantA = await createTenant(t, context, 'Client get A')
    const tenantB = await createTenant(t, context, 'Client get B')
    const sessionId = await openSession(t, context, tenantA, 51)

    t.test('answers 200 with the session, as the agent reads it', async (t) => {
      const response = await getSession(t, user(tenantA), sessionId)
      t.equal(response.statusCode, 200)
      t.match(response.json(), { success: true, errors: null, data: { id: sessionId, tenant_id: tenantA, agent_id: 51, status: 'OPEN' } })
      const asAgent = await context.call(t, 'getSession', { method: 'GET', url: `/livechat/sessions/${sessionId}`, headers: agentHeaders(context, tenantA, 51) })
      t.same(response.json().data, asAgent.json().data)
    })

    t.test('an unknown id is 404', async (t) => {
      const response = await getSession(t, user(tenantA), randomUUID())
      t.equal(response.statusCode, 404)
      t.match(response.json(), { success: false, data: null, errors: { id: [String] } })
    })

    t.test("another tenant's session is 404, even for a user of both tenants", async (t) => {
      const response = await getSession(t, user(tenantB, A, [tenantA, tenantB]), sessionId)
      t.equal(response.statusCode, 404)
      t.match(response.json(), { success: false, data: null, errors: { id: [String] } })
      t.equal((await getSession(t, user(tenantB, 201), sessionId)).statusCode, 404, "and for a user of the other tenant only")
      t.equal((await getSession(t, user(tenantA, A, [tenantA, tenantB]), sessionId)).statusCode, 200, 'the same token reads it in its own tenant')
    })

    t.test('an id that is not a uuid is 400 naming id', async (t) => {
      for (const id of ['not-a-uuid', '12345', `${sessionId}x`]) {
        const response = await getSession(t, user(tenantA), id)
        t.equal(response.statusCode, 400, id)
        t.ok(response.json().errors?.id, `errors names id for ${id}`)
      }
    })
  })

  t.test('messages from the client', async (t) => {
    const tenantId = await createTenant(t, context, 'Client messages')
    const otherTenant = await createTenant(t, context, 'Client messages elsewhere')

    t.test('a tenant user sends into an OPEN session: 201, stored as theirs', async (t) => {
      const sessionId = await openSession(t, context, tenantId, 61)
      const before = Date.now()
      const response = await send(t, user(tenantId, A), sessionId, { message: 'Halo, saya butuh bantuan' })
      t.equal(response.statusCode, 201)
      const body = response.json()
      t.match(body, { success: true, errors: null, data: { session_id: sessionId, sender_id: A, message: 'Halo, saya butuh bantuan' } })
      const message: ChatMessage = body.data
      t.match(message.id, uuidV7, 'a UUIDv7 id')
      t.match(message.created_at, rfc3339Utc)
      t.ok(Math.abs(Date.parse(message.created_at) - before) < 10_000, 'created_at is the time of sending')
      const listed = await listMessages(t, user(tenantId, B), sessionId)
      t.equal(listed.statusCode, 200)
      t.same(listed.json().data, [message], 'every tenant user reads it back as stored')
      t.same(await agentSees(t, tenantId, sessionId), [message], 'and so does the agent')
    })

    t.test("both sides' messages interleave in one list, in order, with their sender_ids", async (t) => {
      const sessionId = await openSession(t, context, tenantId, 62)
      const sent = [
        await sendMessage(t, context, tenantId, sessionId, 'Halo, ada yang bisa dibantu?', 62),
        await sendAs(t, tenantId, A, sessionId, 'Saya tidak bisa login'),
        await sendMessage(t, context, tenantId, sessionId, 'Baik, saya cek dulu', 62),
        await sendAs(t, tenantId, B, sessionId, 'Saya juga tidak bisa'),
        await sendAs(t, tenantId, A, sessionId, 'Sudah bisa, terima kasih'),
        await sendMessage(t, context, tenantId, sessionId, 'Sama-sama', 63),
      ]
      const agentList = await agentSees(t, tenantId, sessionId)
      t.same(ids(agentList), ids(sent), 'the agent lists every message in the order sent')
      t.same(
        agentList.map((message) => [message.sender_id, message.message]),
        [
          [62, 'Halo, ada yang bisa dibantu?'],
          [A, 'Saya tidak bisa login'],
          [62, 'Baik, saya cek dulu'],
          [B, 'Saya juga tidak bisa'],
          [A, 'Sudah bisa, terima kasih'],
          [63, 'Sama-sama'],
        ],
        'sender_id tells who wrote what',
      )
      const clientList = await listMessages(t, user(tenantId, A), sessionId, { limit: 100 })
      t.same(clientList.json().data, agentList, 'the tenant reads the very same list')
    })

    t.test('the client pages messages exactly as the agent does', async (t) => {
      const sessionId = await openSession(t, context, tenantId, 64)
      const sent: ChatMessage[] = []
      for (let i = 1; i <= 12; i++) {
        sent.push(i % 3 === 0 ? await sendMessage(t, context, tenantId, sessionId, `Agen ${i}`, 64) : await sendAs(t, tenantId, A, sessionId, `Tenant ${i}`))
      }
      const first = await listMessages(t, user(tenantId), sessionId, { limit: 5 })
      t.same(idsOf(first), ids(sent.slice(0, 5)), 'oldest first')
      t.same(paginationOf(first), { has_next: true, has_prev: false, limit: 5, next_cursor: sent[4].id, prev_cursor: sent[0].id })
      const second = await listMessages(t, user(tenantId), sessionId, { limit: 5, cursor: sent[4].id })
      t.same(idsOf(second), ids(sent.slice(5, 10)))
      const last = await listMessages(t, user(tenantId), sessionId, { limit: 5, direction: 'prev' })
      t.same(idsOf(last), ids(sent.slice(7)), 'direction=prev without a cursor is the latest page, ascending')
      t.match(paginationOf(last), { has_next: false, has_prev: true })
      const queries: Record<string, string | number>[] = [
        {},
        { limit: 5 },
        { limit: 5, cursor: sent[4].id },
        { limit: 5, cursor: sent[9].id },
        { limit: 5, cursor: sent[11].id },
        { limit: 5, direction: 'prev' },
        { limit: 5, direction: 'prev', cursor: sent[7].id },
        { limit: 5, direction: 'prev', cursor: sent[2].id },
        { limit: 5, direction: 'prev', cursor: sent[0].id },
        { limit: 12 },
        { limit: 100, direction: 'prev' },
      ]
      for (const query of queries) {
        const client = await listMessages(t, user(tenantId), sessionId, query)
        const agent = await agentListMessages(t, tenantId, sessionId, query, 64)
        t.equal(client.statusCode, 200, `${JSON.stringify(query)}: 200`)
        t.same(client.json().data, agent.json().data, `${JSON.stringify(query)}: the same messages`)
        t.same(paginationOf(client), paginationOf(agent), `${JSON.stringify(query)}: the same pagination`)
      }
      for (const [query, field] of [
        [{ limit: 0 }, 'limit'],
        [{ limit: 101 }, 'limit'],
        [{ direction: 'sideways' }, 'direction'],
        [{ cursor: 'abc' }, 'cursor'],
        [{ cursor: randomUUID() }, 'cursor'],
        [{ cursor: sessionId }, 'cursor'],
      ] as const) {
        const response = await listMessages(t, user(tenantId), sessionId, query)
        t.equal(response.statusCode, 400, `${JSON.stringify(query)}: 400`)
        t.ok(response.json().errors?.[field], `${JSON.stringify(query)}: errors names ${field}`)
      }
    })

    t.test('a CLOSED session takes no tenant messages: 400 with the reason, nothing stored', async (t) => {
      const sessionId = await openSession(t, context, tenantId, 65)
      const before = await sendAs(t, tenantId, A, sessionId, 'Sebelum ditutup')
      await close(t, tenantId, sessionId, 65)
      const response = await send(t, user(tenantId, A), sessionId, { message: 'Sesudah ditutup' })
      t.equal(response.statusCode, 400)
      const body = response.json()
      t.match(body, { success: false, message: 'Session is closed', data: null })
      t.match(Object.values(body.errors ?? {}).flat().join(' '), /closed/, 'errors gives the reason')
      t.same(await agentSees(t, tenantId, sessionId), [before], 'nothing was stored')
      const listed = await listMessages(t, user(tenantId, A), sessionId)
      t.same(listed.json().data, [before], 'the tenant still reads a closed session')
    })

    t.test("an unknown session, or another tenant's, is 404 for sending and listing", async (t) => {
      const sessionId = await openSession(t, context, tenantId, 66)
      const own = await sendAs(t, tenantId, A, sessionId, 'Pesan di tenant sendiri')
      const both = [tenantId, otherTenant]
      for (const [why, headers, id] of [
        ['an unknown session', user(tenantId, A), randomUUID()],
        ["another tenant's session, by a user of both", user(otherTenant, A, both), sessionId],
        ["another tenant's session, by a user of that tenant", user(otherTenant, 201), sessionId],
      ] as const) {
        const sent = await send(t, headers, id, { message: 'Halo' })
        t.equal(sent.statusCode, 404, `${why}: sending is 404`)
        t.match(sent.json(), { success: false, data: null, errors: { id: [String] } })
        const listed = await listMessages(t, headers, id)
        t.equal(listed.statusCode, 404, `${why}: listing is 404`)
        t.match(listed.json(), { success: false, data: null, errors: { id: [String] } })
      }
      t.same(await agentSees(t, tenantId, sessionId), [own], 'nothing was added through the other tenant')
    })

    t.test('invalid bodies are 400 naming the field, and store nothing', async (t) => {
      const sessionId = await openSession(t, context, tenantId, 67)
      for (const [why, payload, field] of [
        ['message missing', {}, 'message'],
        ['message is empty', { message: '' }, 'message'],
        ['message is only white space', { message: '   \n\t' }, 'message'],
        ['message has 10,001 characters', { message: 'a'.repeat(10_001) }, 'message'],
        ['message is a number', { message: 42 }, 'message'],
        ['message is null', { message: null }, 'message'],
        ['an unknown property beside a valid message', { message: 'Halo', priority: 'high' }, 'priority'],
        ['a message holding NUL', { message: 'Halo\u0000dunia' }, 'message'],
      ] as const) {
        const response = await send(t, user(tenantId, A), sessionId, payload)
        t.equal(response.statusCode, 400, `${why}: 400`)
        const body = response.json()
        t.match(body, { success: false, data: null }, `${why}: a failure envelope`)
        t.ok(Array.isArray(body.errors?.[field]) && body.errors[field].length > 0, `${why}: errors names ${field} (${JSON.stringify(body.errors)})`)
      }
      t.same(await agentSees(t, tenantId, sessionId), [], 'nothing was stored')
      const text = 'a'.repeat(9_999) + 'z'
      const longest = await send(t, user(tenantId, A), sessionId, { message: text })
      t.equal(longest.statusCode, 201, 'exactly 10,000 characters is accepted')
      t.equal(longest.json().data.message, text, 'and stored whole')
    })
  })

  t.test('roles: the client surface is for TENANT_USER, the agent surface is not', async (t) => {
    const tenantId = await createTenant(t, context, 'Client roles')
    const sessionId = await openSession(t, context, tenantId, 71)
    const message = await sendMessage(t, context, tenantId, sessionId, 'Dari agen', 71)

    t.test('a SUPPORT_AGENT on the client routes is 403 naming roles', async (t) => {
      const headers = agentHeaders(context, tenantId, 71)
      for (const response of [
        await listSessions(t, headers),
        await getSession(t, headers, sessionId),
        await listMessages(t, headers, sessionId),
        await send(t, headers, sessionId, { message: 'Lewat jalur tenant' }),
      ]) {
        t.equal(response.statusCode, 403)
        t.match(response.json(), { success: false, data: null, errors: { roles: [String] } })
      }
    })

    t.test('a PLATFORM_ADMIN on the client routes is 403', async (t) => {
      const headers = { ...adminHeaders(context), 'x-tenant-id': String(tenantId) }
      const ofTenant = {
        authorization: `Bearer ${context.token({ sub: 9000, roles: ['PLATFORM_ADMIN'], tenants: [tenantId] })}`,
        'x-tenant-id': String(tenantId),
      }
      for (const caller of [headers, ofTenant]) {
        t.equal((await listSessions(t, caller)).statusCode, 403)
        t.equal((await send(t, caller, sessionId, { message: 'Admin' })).statusCode, 403)
      }
    })

    t.test('a TENANT_USER on the agent routes (/livechat/sessions…) is 403 naming roles', async (t) => {
      const headers = user(tenantId, A)
      for (const [operationId, method, url, payload] of [
        ['startSession', 'POST', '/livechat/sessions', {}],
        ['listSessions', 'GET', '/livechat/sessions', undefined],
        ['getSession', 'GET', `/livechat/sessions/${sessionId}`, undefined],
        ['sendMessage', 'POST', `/livechat/sessions/${sessionId}/messages`, { message: 'Lewat jalur agen' }],
        ['listMessages', 'GET', `/livechat/sessions/${sessionId}/messages`, undefined],
        ['closeSession', 'POST', `/livechat/sessions/${sessionId}/close`, undefined],
        ['setMyPresence', 'PUT', '/livechat/agents/me/presence', { status: 'ONLINE' }],
      ] as const) {
        const response = await context.call(t, operationId, { method, url, headers, ...(payload && { payload }) })
        t.equal(response.statusCode, 403, `${operationId}: 403`)
        t.match(response.json(), { success: false, data: null, errors: { roles: [String] } }, `${operationId}: errors names roles`)
      }
      const session = await getSession(t, headers, sessionId)
      t.equal(session.json().data.status, 'OPEN', 'the session was not closed')
      t.same((await listMessages(t, headers, sessionId)).json().data, [message], 'no message was added')
    })
  })
})
