import { randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import t, { type Test } from 'tap'
import { agentHeaders, createTenant, openSession, setPresence } from '../../helpers/fixtures.js'
import { untypedBody } from '../../helpers/operation-types.js'
import { onEachDatabase, type TestApp } from '../../helpers/test-app.js'

// Seed: ChatSession { id, tenant_id, agent_id?, status OPEN|CLOSED, created_at, updated_at }; a session of another
// tenant does not exist for the caller (404, never 403); presence is per tenant.
onEachDatabase(t, async (t, context) => {
  const get = (t: Test, tenantId: number, id: string, agentId = 1, tenants = [tenantId]) =>
    context.call(t, 'getSession', {
      method: 'GET',
      url: `/livechat/sessions/${id}`,
      headers: agentHeaders(context, tenantId, agentId, tenants),
    })
  const close = (t: Test, tenantId: number, id: string, agentId = 1, tenants = [tenantId]) =>
    context.call(t, 'closeSession', {
      method: 'POST',
      url: `/livechat/sessions/${id}/close`,
      headers: agentHeaders(context, tenantId, agentId, tenants),
    })
  const list = (t: Test, tenantId: number, query: Record<string, string | number> = {}, tenants = [tenantId]) =>
    context.call(t, 'listSessions', {
      method: 'GET',
      url: '/livechat/sessions',
      query: Object.fromEntries(Object.entries(query).map(([name, value]) => [name, String(value)])),
      headers: agentHeaders(context, tenantId, 1, tenants),
    })
  const start = (t: Test, tenantId: number, agentId: number, tenants = [tenantId]) =>
    context.call(t, 'startSession', {
      method: 'POST',
      url: '/livechat/sessions',
      headers: agentHeaders(context, tenantId, agentId, tenants),
      payload: {},
    })

  t.test('GET /livechat/sessions/{id}', async (t) => {
    const tenantA = await createTenant(t, context, 'Get A')
    const tenantB = await createTenant(t, context, 'Get B')
    const sessionId = await openSession(t, context, tenantA, 21)

    t.test('answers 200 with the session', async (t) => {
      const response = await get(t, tenantA, sessionId)
      t.equal(response.statusCode, 200)
      const body = response.json()
      t.match(body, { success: true, errors: null, data: { id: sessionId, tenant_id: tenantA, agent_id: 21, status: 'OPEN' } })
      t.equal(body.data.created_at, body.data.updated_at, 'an untouched session was never updated')
    })

    t.test('a random uuid is 404', async (t) => {
      const response = await get(t, tenantA, randomUUID())
      t.equal(response.statusCode, 404)
      t.match(response.json(), { success: false, message: 'Session not found', data: null, errors: { id: [String] } })
    })

    t.test("another tenant's session is 404, never 403, even when the token lists both tenants", async (t) => {
      const response = await get(t, tenantB, sessionId, 21, [tenantA, tenantB])
      t.equal(response.statusCode, 404)
      t.match(response.json(), { message: 'Session not found', errors: { id: [String] } })
      t.equal((await get(t, tenantA, sessionId, 21, [tenantA, tenantB])).statusCode, 200, 'the same token reads it in its own tenant')
    })

    t.test('an id that is not a uuid is 400 naming id', async (t) => {
      for (const id of ['not-a-uuid', '12345', `${sessionId}x`]) {
        const response = await get(t, tenantA, id)
        t.equal(response.statusCode, 400, id)
        t.ok(response.json().errors.id, `errors names id for ${id}`)
      }
    })
  })

  t.test('POST /livechat/sessions/{id}/close', async (t) => {
    const tenantA = await createTenant(t, context, 'Close A')
    const tenantB = await createTenant(t, context, 'Close B')

    t.test('closes the session: 200, CLOSED, updated_at moves forward; a second close changes nothing', async (t) => {
      const sessionId = await openSession(t, context, tenantA, 31)
      const before = (await get(t, tenantA, sessionId, 31)).json().data
      await sleep(5)
      const first = await close(t, tenantA, sessionId, 31)
      t.equal(first.statusCode, 200)
      const closed = first.json().data
      t.match(closed, { id: sessionId, tenant_id: tenantA, agent_id: 31, status: 'CLOSED', created_at: before.created_at })
      t.ok(Date.parse(closed.updated_at) > Date.parse(before.updated_at), `updated_at ${closed.updated_at} > ${before.updated_at}`)

      await sleep(5)
      const second = await close(t, tenantA, sessionId, 31)
      t.equal(second.statusCode, 200, 'closing a closed session is 200 again')
      t.same(second.json().data, closed, 'still CLOSED, updated_at unchanged')
      t.same((await get(t, tenantA, sessionId, 31)).json().data, closed, 'reading it back agrees')
    })

    t.test('an unknown session is 404', async (t) => {
      const response = await close(t, tenantA, randomUUID())
      t.equal(response.statusCode, 404)
      t.match(response.json(), { message: 'Session not found', errors: { id: [String] } })
    })

    t.test("another tenant's session is 404 and stays OPEN", async (t) => {
      const sessionId = await openSession(t, context, tenantA, 32)
      const response = await close(t, tenantB, sessionId, 32, [tenantA, tenantB])
      t.equal(response.statusCode, 404)
      t.equal((await get(t, tenantA, sessionId, 32)).json().data.status, 'OPEN')
    })

    t.test('an id that is not a uuid is 400', async (t) => {
      const response = await close(t, tenantA, 'nope')
      t.equal(response.statusCode, 400)
      t.ok(response.json().errors.id, 'errors names id')
    })

    t.test('after closing, the same agent can start a new session', async (t) => {
      const sessionId = await openSession(t, context, tenantA, 33)
      t.equal((await start(t, tenantA, 33)).statusCode, 400, 'not while the first is OPEN')
      t.equal((await close(t, tenantA, sessionId, 33)).statusCode, 200)
      const response = await start(t, tenantA, 33)
      t.equal(response.statusCode, 201)
      t.match(response.json().data, { agent_id: 33, status: 'OPEN' })
      t.not(response.json().data.id, sessionId, 'a new session')
    })
  })

  t.test('GET /livechat/sessions', async (t) => {
    const tenantA = await createTenant(t, context, 'List A')
    const tenantB = await createTenant(t, context, 'List B')
    // Five sessions with five agents, oldest first; the second and fourth are closed.
    const ids: string[] = []
    for (const agentId of [41, 42, 43, 44, 45]) ids.push(await openSession(t, context, tenantA, agentId))
    for (const index of [1, 3]) t.equal((await close(t, tenantA, ids[index], 41 + index)).statusCode, 200)
    const otherTenantSession = await openSession(t, context, tenantB, 41)
    const newestFirst = [...ids].reverse()
    const idsOf = (response: Awaited<ReturnType<TestApp['call']>>) => response.json().data.map((session: { id: string }) => session.id)

    t.test("lists the tenant's sessions newest first, with the default limit", async (t) => {
      const response = await list(t, tenantA)
      t.equal(response.statusCode, 200)
      t.same(idsOf(response), newestFirst)
      t.match(response.json().meta.pagination, { has_next: false, has_prev: false, limit: 50 })
      const createdAt = response.json().data.map((session: { created_at: string }) => Date.parse(session.created_at))
      t.same(createdAt, [...createdAt].sort((a, b) => b - a), 'created_at descends')
    })

    t.test('filters by status', async (t) => {
      const open = await list(t, tenantA, { status: 'OPEN' })
      t.equal(open.statusCode, 200)
      t.same(idsOf(open), [ids[4], ids[2], ids[0]])
      t.ok(open.json().data.every((session: { status: string }) => session.status === 'OPEN'))
      const closed = await list(t, tenantA, { status: 'CLOSED' })
      t.same(idsOf(closed), [ids[3], ids[1]])
      t.ok(closed.json().data.every((session: { status: string }) => session.status === 'CLOSED'))
    })

    t.test('filters by agent_id', async (t) => {
      const response = await list(t, tenantA, { agent_id: 43 })
      t.equal(response.statusCode, 200)
      t.same(idsOf(response), [ids[2]])
      t.same(idsOf(await list(t, tenantA, { agent_id: 42, status: 'OPEN' })), [], 'filters combine')
      t.same(idsOf(await list(t, tenantA, { agent_id: 999 })), [], 'an agent without sessions has none')
    })

    t.test('invalid filters are 400 naming the parameter', async (t) => {
      for (const [query, field] of [
        [{ status: 'BOGUS' }, 'status'],
        [{ status: 'open' }, 'status'],
        [{ agent_id: 'abc' }, 'agent_id'],
        [{ agent_id: 0 }, 'agent_id'],
        [{ limit: 0 }, 'limit'],
        [{ limit: 101 }, 'limit'],
        [{ direction: 'sideways' }, 'direction'],
        [{ cursor: 'not-a-uuid' }, 'cursor'],
      ] as const) {
        const response = await list(t, tenantA, query)
        t.equal(response.statusCode, 400, JSON.stringify(query))
        t.ok(response.json().errors[field], `errors names ${field}`)
      }
    })

    t.test('pages forward with limit 2 visit every session once, then direction=prev goes back', async (t) => {
      const pages: string[][] = []
      let cursor: string | undefined
      const paginations = []
      do {
        const response = await list(t, tenantA, { limit: 2, ...(cursor && { cursor }) })
        t.equal(response.statusCode, 200)
        const pagination = response.json().meta.pagination
        paginations.push(pagination)
        pages.push(idsOf(response))
        cursor = pagination.has_next ? pagination.next_cursor : undefined
      } while (cursor && pages.length < 10)
      t.same(pages, [newestFirst.slice(0, 2), newestFirst.slice(2, 4), newestFirst.slice(4)])
      t.match(paginations, [
        { has_next: true, has_prev: false, limit: 2 },
        { has_next: true, has_prev: true, limit: 2 },
        { has_next: false, has_prev: true, limit: 2 },
      ])

      const back = await list(t, tenantA, { limit: 2, direction: 'prev', cursor: paginations[2].prev_cursor! })
      t.equal(back.statusCode, 200)
      t.same(idsOf(back), newestFirst.slice(2, 4), 'the page before the last one, still newest first')
      t.match(back.json().meta.pagination, { has_next: true, has_prev: true, limit: 2 })

      const first = await list(t, tenantA, { limit: 2, direction: 'prev', cursor: back.json().meta.pagination.prev_cursor! })
      t.same(idsOf(first), newestFirst.slice(0, 2), 'back to the first page')
      t.match(first.json().meta.pagination, { has_next: true, has_prev: false, limit: 2 })
    })

    t.test('a cursor that names no session of this tenant is 400', async (t) => {
      for (const cursor of [randomUUID(), otherTenantSession]) {
        const response = await list(t, tenantA, { cursor }, [tenantA, tenantB])
        t.equal(response.statusCode, 400)
        t.match(response.json(), { message: 'Invalid cursor', errors: { cursor: [String] } })
      }
    })

    t.test("another tenant's sessions never appear", async (t) => {
      const inA = idsOf(await list(t, tenantA, {}, [tenantA, tenantB]))
      t.notOk(inA.includes(otherTenantSession))
      t.same(idsOf(await list(t, tenantA, { agent_id: 41 }, [tenantA, tenantB])), [ids[0]], 'not even for the same agent')
      const inB = await list(t, tenantB, {}, [tenantA, tenantB])
      t.same(idsOf(inB), [otherTenantSession])
      t.same(inB.json().data.map((session: { tenant_id: number }) => session.tenant_id), [tenantB])
    })
  })

  t.test('PUT /livechat/agents/me/presence', async (t) => {
    const tenantA = await createTenant(t, context, 'Presence A')
    const tenantB = await createTenant(t, context, 'Presence B')
    const put = (t: Test, tenantId: number, agentId: number, payload: unknown, tenants = [tenantId]) =>
      context.call(t, 'setMyPresence', {
        method: 'PUT',
        url: '/livechat/agents/me/presence',
        headers: agentHeaders(context, tenantId, agentId, tenants),
        payload: untypedBody(payload),
      })

    t.test("answers 200 with the caller's presence in the tenant", async (t) => {
      const online = await put(t, tenantA, 51, { status: 'ONLINE' })
      t.equal(online.statusCode, 200)
      t.match(online.json(), { success: true, errors: null, data: { tenant_id: tenantA, agent_id: 51, status: 'ONLINE' } })
      const offline = await put(t, tenantA, 51, { status: 'OFFLINE' })
      t.equal(offline.statusCode, 200)
      t.match(offline.json().data, { tenant_id: tenantA, agent_id: 51, status: 'OFFLINE' })
    })

    t.test('an invalid status is 400 naming status', async (t) => {
      for (const payload of [{ status: 'AWAY' }, { status: 'online' }, { status: 1 }, {}]) {
        const response = await put(t, tenantA, 52, payload)
        t.equal(response.statusCode, 400, JSON.stringify(payload))
        t.ok(response.json().errors.status, 'errors names status')
      }
      const unknown = await put(t, tenantA, 52, { status: 'ONLINE', mood: 'happy' })
      t.equal(unknown.statusCode, 400)
      t.ok(unknown.json().errors.mood, 'an unknown property is named')
      t.equal((await start(t, tenantA, 52)).statusCode, 400, 'the agent was never put ONLINE')
    })

    t.test('presence is per tenant: ONLINE in tenant A does not let a session start in tenant B', async (t) => {
      const both = [tenantA, tenantB]
      t.equal((await put(t, tenantA, 53, { status: 'ONLINE' }, both)).statusCode, 200)
      const inB = await start(t, tenantB, 53, both)
      t.equal(inB.statusCode, 400)
      t.match(inB.json(), { message: 'Agent is offline', errors: { agent_id: [/offline/] } })
      t.equal((await start(t, tenantA, 53, both)).statusCode, 201, 'tenant A has the agent ONLINE')

      await setPresence(t, context, tenantB, 54, 'ONLINE')
      t.equal((await start(t, tenantA, 54, both)).statusCode, 400, 'and the other way round')
    })
  })
})
