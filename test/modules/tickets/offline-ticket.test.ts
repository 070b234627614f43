import { setTimeout as sleep } from 'node:timers/promises'
import { sql } from 'drizzle-orm'
import t, { type Test } from 'tap'
import { agentHeaders, createTenant, setPresence, allPages } from '../../helpers/fixtures.js'
import { onEachDatabase, type TestApp } from '../../helpers/test-app.js'
import type { components } from '../../../generated/openapi.js'

type Ticket = components['schemas']['Ticket']
type TicketReply = components['schemas']['TicketReply']
type Presence = components['schemas']['AgentPresence']

const uuidV7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

/** The calls of these tests, for one app; `caller` is the SUPPORT_AGENT making the call. */
function clientOf(context: TestApp) {
  const start = (t: Test, tenantId: number, agentId: number, payload: object = {}, caller = agentId) =>
    context.call(t, 'startSession', {
      method: 'POST',
      url: '/livechat/sessions',
      headers: agentHeaders(context, tenantId, caller),
      payload: { agent_id: agentId, ...payload },
    })

  /** A start that must be refused because the agent is offline; returns the ticket id the 400 names. */
  async function startOffline(t: Test, tenantId: number, agentId: number, payload: object = {}, caller = agentId): Promise<string> {
    const response = await start(t, tenantId, agentId, payload, caller)
    t.equal(response.statusCode, 400, `agent ${agentId} is offline: 400`)
    const body = response.json()
    t.match(body, { success: false, message: 'Agent is offline', data: null, errors: { agent_id: [/offline/], ticket_id: [uuidV7] } })
    t.equal(body.errors?.ticket_id?.length, 1, 'errors.ticket_id names exactly one ticket')
    return body.errors?.ticket_id?.[0]
  }

  async function getTicket(t: Test, tenantId: number, id: string, caller = 1): Promise<Ticket> {
    const response = await context.call(t, 'getTicket', { method: 'GET', url: `/tickets/${id}`, headers: agentHeaders(context, tenantId, caller) })
    t.equal(response.statusCode, 200, `ticket ${id} exists in tenant ${tenantId}`)
    return response.json().data
  }

  const replies = (t: Test, tenantId: number, id: string) =>
    allPages<TicketReply>(t, context, 'listTicketReplies', { url: `/tickets/${id}/replies`, headers: agentHeaders(context, tenantId, 1) })

  const tickets = (t: Test, tenantId: number, status?: string) =>
    allPages<Ticket>(t, context, 'listTickets', { url: '/tickets', headers: agentHeaders(context, tenantId, 1), query: status ? { status } : {} })

  const offlineTicketsOf = async (t: Test, tenantId: number, agentId: number) =>
    (await tickets(t, tenantId)).filter((ticket) => ticket.source === 'LIVECHAT_OFFLINE' && ticket.agent_id === agentId)

  async function patch(t: Test, tenantId: number, id: string, payload: object): Promise<Ticket> {
    const response = await context.call(t, 'updateTicket', {
      method: 'PATCH',
      url: `/tickets/${id}`,
      headers: agentHeaders(context, tenantId, 1),
      payload,
    })
    t.equal(response.statusCode, 200, `PATCH ${JSON.stringify(payload)} is 200`)
    return response.json().data
  }

  async function presenceOf(t: Test, tenantId: number, agentId: number): Promise<Presence> {
    const response = await context.call(t, 'getAgentPresence', {
      method: 'GET',
      url: `/livechat/agents/${agentId}/presence`,
      headers: agentHeaders(context, tenantId, 1),
    })
    t.equal(response.statusCode, 200, `presence of agent ${agentId} read`)
    return response.json().data
  }

  /** Moves the agent's last presence call `seconds` into the past, as if the agent had gone silent. */
  const agePresence = (tenantId: number, agentId: number, seconds: number) =>
    context.app.database.pool.execute(
      sql`update agent_presence set updated_at = updated_at - make_interval(secs => ${seconds}) where tenant_id = ${tenantId} and agent_id = ${agentId}`,
    )

  return { start, startOffline, getTicket, replies, tickets, offlineTicketsOf, patch, presenceOf, agePresence }
}

// Issue: "When POST /livechat/sessions is refused because the agent is OFFLINE, a ticket is created in the same
// tenant, in the same database transaction as the decision, and the 400 response tells the client the ticket's id."
onEachDatabase(t, async (t, context) => {
  const client = clientOf(context)
  const { start, startOffline, getTicket, replies, offlineTicketsOf, patch, presenceOf, agePresence } = client
  const tenantId = await createTenant(t, context, 'Offline A')
  const otherTenantId = await createTenant(t, context, 'Offline B')

  t.test('an offline start is 400 and errors.ticket_id names an OPEN LIVECHAT_OFFLINE ticket of the tenant', async (t) => {
    const before = Date.now()
    const ticketId = await startOffline(t, tenantId, 31, {}, 131)
    const ticket = await getTicket(t, tenantId, ticketId)
    t.match(ticket, {
      id: ticketId,
      tenant_id: tenantId,
      status: 'OPEN',
      source: 'LIVECHAT_OFFLINE',
      requester_id: 131,
      agent_id: 31,
      assignee_id: null,
    })
    t.match(ticket.subject, /\b31\b/, `the default subject "${ticket.subject}" names the offline agent`)
    t.ok(Date.parse(ticket.created_at) >= before - 1000 && Date.parse(ticket.created_at) <= Date.now() + 1000, 'created at the attempt')
    t.same(await replies(t, tenantId, ticketId), [], 'without a message the ticket has no reply')
    t.same((await offlineTicketsOf(t, tenantId, 31)).map((listed) => listed.id), [ticketId], 'GET /tickets lists it')
  })

  t.test('the caller is the default agent: an offline caller gets a ticket about themselves', async (t) => {
    const response = await context.call(t, 'startSession', {
      method: 'POST',
      url: '/livechat/sessions',
      headers: agentHeaders(context, tenantId, 32),
    })
    t.equal(response.statusCode, 400)
    const ticketId = response.json().errors?.ticket_id?.[0]
    t.match(await getTicket(t, tenantId, ticketId), { agent_id: 32, requester_id: 32, source: 'LIVECHAT_OFFLINE', status: 'OPEN' })
  })

  t.test('a given subject is the ticket subject', async (t) => {
    const ticketId = await startOffline(t, tenantId, 33, { subject: 'Tidak bisa login' }, 133)
    t.equal((await getTicket(t, tenantId, ticketId)).subject, 'Tidak bisa login')
  })

  t.test('a given message is the ticket first reply, written by the caller', async (t) => {
    const ticketId = await startOffline(t, tenantId, 34, { subject: 'Tagihan', message: 'Halo, tagihan saya salah' }, 134)
    const stored = await replies(t, tenantId, ticketId)
    t.equal(stored.length, 1, 'exactly one reply')
    t.match(stored[0], { ticket_id: ticketId, author_id: 134, message: 'Halo, tagihan saya salah' })
    t.match(stored[0].id, uuidV7)
  })

  t.test('an invalid subject or message is 400 naming the field and opens no ticket', async (t) => {
    for (const [payload, field] of [
      [{ subject: '' }, 'subject'],
      [{ subject: '   ' }, 'subject'],
      [{ subject: 'a'.repeat(201) }, 'subject'],
      [{ subject: 42 }, 'subject'],
      [{ message: '' }, 'message'],
      [{ message: ' \n\t' }, 'message'],
      [{ message: 'a'.repeat(10_001) }, 'message'],
      [{ message: null }, 'message'],
    ] as const) {
      const response = await start(t, tenantId, 35, payload, 135)
      t.equal(response.statusCode, 400, `${JSON.stringify(payload).slice(0, 60)}: 400`)
      t.ok(response.json().errors?.[field], `errors names ${field}`)
      t.notOk(response.json().errors?.ticket_id, 'and names no ticket')
    }
    t.same(await offlineTicketsOf(t, tenantId, 35), [], 'no ticket was opened for agent 35')
  })

  t.test('five sequential attempts reuse one ticket and keep every message as a reply, in order', async (t) => {
    const ids: string[] = []
    for (let attempt = 1; attempt <= 5; attempt++) {
      ids.push(await startOffline(t, tenantId, 36, { subject: `Percobaan ${attempt}`, message: `Pesan ${attempt}` }, 136 + (attempt % 2)))
    }
    t.same(new Set(ids).size, 1, `every attempt names the same ticket (${ids.join(', ')})`)
    const ticket = await getTicket(t, tenantId, ids[0])
    t.match(ticket, { status: 'OPEN', agent_id: 36, requester_id: 137, subject: 'Percobaan 1' }, 'the first attempt opened it')
    const stored = await replies(t, tenantId, ids[0])
    t.same(
      stored.map((reply) => [reply.author_id, reply.message]),
      [1, 2, 3, 4, 5].map((attempt) => [136 + (attempt % 2), attempt === 1 ? 'Pesan 1' : `Percobaan ${attempt}\n\nPesan ${attempt}`]),
      'nothing lost: one reply per attempt, oldest first, each by its caller, a reusing attempt keeping its own subject',
    )
    t.equal((await offlineTicketsOf(t, tenantId, 36)).length, 1, 'no ticket storm')
  })

  t.test('a reusing attempt with only a subject keeps it as a reply; the same subject again adds nothing', async (t) => {
    const ticketId = await startOffline(t, tenantId, 49, { subject: 'Akun terkunci' })
    t.equal(await startOffline(t, tenantId, 49, { subject: 'Akun terkunci' }), ticketId)
    t.same(await replies(t, tenantId, ticketId), [], 'the same subject is already the ticket subject')
    t.equal(await startOffline(t, tenantId, 49, { subject: 'Masih terkunci' }), ticketId)
    t.same((await replies(t, tenantId, ticketId)).map((reply) => reply.message), ['Masih terkunci'])
  })

  t.test('an IN_PROGRESS ticket is still reused', async (t) => {
    const ticketId = await startOffline(t, tenantId, 37, { message: 'Pertama' })
    await patch(t, tenantId, ticketId, { status: 'IN_PROGRESS' })
    t.equal(await startOffline(t, tenantId, 37, { message: 'Kedua' }), ticketId)
    t.same((await replies(t, tenantId, ticketId)).map((reply) => reply.message), ['Pertama', 'Kedua'])
    t.equal((await getTicket(t, tenantId, ticketId)).status, 'IN_PROGRESS', 'the attempt did not change its status')
  })

  t.test('10 concurrent attempts all name the same ticket, one ticket exists, and every message is kept', async (t) => {
    const responses = await Promise.all(
      Array.from({ length: 10 }, (_, i) => start(t, tenantId, 38, { message: `Serentak ${i}` }, 200 + i)),
    )
    t.same(
      responses.map((response) => response.statusCode),
      Array(10).fill(400),
      'all 10 are refused with 400',
    )
    const ids = responses.map((response) => response.json().errors?.ticket_id?.[0])
    t.equal(new Set(ids).size, 1, `one ticket id across all answers (${[...new Set(ids)].join(', ')})`)
    t.match(ids[0], uuidV7)
    const listed = await offlineTicketsOf(t, tenantId, 38)
    t.same(listed.map((ticket) => ticket.id), [ids[0]], 'exactly one LIVECHAT_OFFLINE ticket for the agent')
    const stored = await replies(t, tenantId, ids[0])
    t.same(
      stored.map((reply) => reply.message).sort(),
      Array.from({ length: 10 }, (_, i) => `Serentak ${i}`).sort(),
      'one reply per attempt',
    )
    for (const reply of stored) t.equal(reply.author_id, 200 + Number(reply.message.split(' ')[1]), `${reply.message} is by its caller`)
  })

  t.test('once the ticket is RESOLVED, the next offline attempt opens a new ticket', async (t) => {
    const first = await startOffline(t, tenantId, 39, { message: 'Sebelum' })
    await patch(t, tenantId, first, { status: 'IN_PROGRESS' })
    t.equal((await patch(t, tenantId, first, { status: 'RESOLVED' })).status, 'RESOLVED')
    const second = await startOffline(t, tenantId, 39, { message: 'Sesudah' })
    t.not(second, first, 'a new ticket')
    t.match(await getTicket(t, tenantId, second), { status: 'OPEN', source: 'LIVECHAT_OFFLINE', agent_id: 39 })
    t.same((await replies(t, tenantId, second)).map((reply) => reply.message), ['Sesudah'], 'the new attempt message is in the new ticket')
    t.same((await replies(t, tenantId, first)).map((reply) => reply.message), ['Sebelum'], 'the resolved ticket is untouched')
    t.equal((await getTicket(t, tenantId, first)).status, 'RESOLVED')
    t.equal(await startOffline(t, tenantId, 39), second, 'and the new one is reused from then on')
    t.same((await offlineTicketsOf(t, tenantId, 39)).map((ticket) => ticket.id).sort(), [first, second].sort())
  })

  t.test('a CLOSED offline ticket is not reused either', async (t) => {
    const first = await startOffline(t, tenantId, 40)
    for (const status of ['IN_PROGRESS', 'RESOLVED', 'CLOSED']) await patch(t, tenantId, first, { status })
    const second = await startOffline(t, tenantId, 40)
    t.not(second, first)
    t.equal((await getTicket(t, tenantId, second)).status, 'OPEN')
  })

  t.test('reopening an old RESOLVED offline ticket while a newer one is live is refused with 400, not a 500', async (t) => {
    const old = await startOffline(t, tenantId, 41)
    await patch(t, tenantId, old, { status: 'IN_PROGRESS' })
    await patch(t, tenantId, old, { status: 'RESOLVED' })
    const live = await startOffline(t, tenantId, 41)
    t.not(live, old)
    const response = await context.call(t, 'updateTicket', {
      method: 'PATCH',
      url: `/tickets/${old}`,
      headers: agentHeaders(context, tenantId, 1),
      payload: { status: 'IN_PROGRESS' },
    })
    t.equal(response.statusCode, 400, 'a documented refusal, not an internal error')
    t.ok(response.json().errors?.status, `errors names status (${JSON.stringify(response.json().errors)})`)
    t.equal((await getTicket(t, tenantId, old)).status, 'RESOLVED', 'the old ticket stays RESOLVED')
    t.equal(await startOffline(t, tenantId, 41), live, 'attempts still land in the live ticket')
  })

  t.test('offline attempts racing the RESOLVE of the live ticket are each 400 with a ticket, never a 500, and lose no message', async (t) => {
    // Each round: the live ticket is IN_PROGRESS; 12 attempts run while it is moved to RESOLVED. Attempts that ran
    // before the move reuse it, later ones share one new ticket; none may fail.
    for (let round = 0; round < 30; round++) {
      const agentId = 300 + round
      const first = await startOffline(t, tenantId, agentId, { message: 'Awal' })
      await patch(t, tenantId, first, { status: 'IN_PROGRESS' })
      const attempt = (caller: number) => start(t, tenantId, agentId, { message: `Dari ${caller}` }, caller)
      const [before, resolved, after] = await Promise.all([
        Promise.all(Array.from({ length: 6 }, (_, i) => attempt(1000 + i))),
        context.call(t, 'updateTicket', {
          method: 'PATCH',
          url: `/tickets/${first}`,
          headers: agentHeaders(context, tenantId, 1),
          payload: { status: 'RESOLVED' },
        }),
        Promise.all(Array.from({ length: 6 }, (_, i) => attempt(2000 + i))),
      ])
      t.equal(resolved.statusCode, 200, `round ${round}: resolved`)
      const attempts = [...before, ...after]
      const codes = attempts.map((response) => response.statusCode)
      t.same(codes, Array(12).fill(400), `round ${round}: every attempt is a 400 (got ${codes.join(',')})`)
      const named = new Set(attempts.map((response) => response.json().errors?.ticket_id?.[0]))
      const listed = (await offlineTicketsOf(t, tenantId, agentId)).map((ticket) => ticket.id)
      t.ok(listed.length <= 2 && listed.includes(first), `round ${round}: the first ticket and at most one new one (${listed.length})`)
      t.ok([...named].every((id) => listed.includes(id)), `round ${round}: every attempt names one of them`)
      const kept = (await Promise.all(listed.map((id) => replies(t, tenantId, id)))).flat().map((reply) => reply.message)
      const sent = ['Awal', ...[...Array(6).keys()].flatMap((i) => [`Dari ${1000 + i}`, `Dari ${2000 + i}`])]
      t.same(kept.sort(), sent.sort(), `round ${round}: every message is kept exactly once`)
    }
  })

  t.test('a different agent gets a different ticket', async (t) => {
    const first = await startOffline(t, tenantId, 42)
    const second = await startOffline(t, tenantId, 43)
    t.not(first, second)
    t.equal((await getTicket(t, tenantId, second)).agent_id, 43)
    t.equal(await startOffline(t, tenantId, 42), first, 'each agent keeps their own')
  })

  t.test("another tenant's attempt for the same agent id gets its own ticket, invisible to the first tenant", async (t) => {
    const mine = await startOffline(t, tenantId, 44, { message: 'Tenant A' })
    const theirs = await startOffline(t, otherTenantId, 44, { message: 'Tenant B' })
    t.not(theirs, mine)
    t.match(await getTicket(t, otherTenantId, theirs), { tenant_id: otherTenantId, agent_id: 44, source: 'LIVECHAT_OFFLINE' })
    t.equal((await getTicket(t, tenantId, mine)).tenant_id, tenantId)
    const crossed = await context.call(t, 'getTicket', {
      method: 'GET',
      url: `/tickets/${theirs}`,
      headers: agentHeaders(context, tenantId, 1, [tenantId, otherTenantId]),
    })
    t.equal(crossed.statusCode, 404, "the other tenant's ticket does not exist here")
    t.same((await replies(t, tenantId, mine)).map((reply) => reply.message), ['Tenant A'])
    t.same((await replies(t, otherTenantId, theirs)).map((reply) => reply.message), ['Tenant B'])
    t.same((await offlineTicketsOf(t, tenantId, 44)).map((ticket) => ticket.id), [mine])
    t.same((await offlineTicketsOf(t, otherTenantId, 44)).map((ticket) => ticket.id), [theirs])
  })

  t.test('presence is per tenant: ONLINE in one tenant still opens a ticket in the other', async (t) => {
    await setPresence(t, context, tenantId, 45, 'ONLINE')
    const ticketId = await startOffline(t, otherTenantId, 45)
    t.equal((await getTicket(t, otherTenantId, ticketId)).tenant_id, otherTenantId)
    t.same(await offlineTicketsOf(t, tenantId, 45), [], 'no ticket where the agent is ONLINE')
  })

  t.test('an ONLINE agent with a message starts a session (201) whose first message it is, and no ticket', async (t) => {
    await setPresence(t, context, tenantId, 46, 'ONLINE')
    const response = await start(t, tenantId, 46, { subject: 'Tidak dipakai', message: 'Halo agen' }, 146)
    t.equal(response.statusCode, 201)
    const session = response.json().data
    t.match(session, { tenant_id: tenantId, agent_id: 46, status: 'OPEN' })
    const messages = await context.call(t, 'listMessages', {
      method: 'GET',
      url: `/livechat/sessions/${session.id}/messages`,
      headers: agentHeaders(context, tenantId, 146),
    })
    t.equal(messages.statusCode, 200)
    t.match(messages.json().data, [{ session_id: session.id, sender_id: 146, message: 'Halo agen' }])
    t.equal(messages.json().data.length, 1, 'exactly that message')
    t.same(await offlineTicketsOf(t, tenantId, 46), [], 'no ticket')
  })

  t.test('an agent who went OFFLINE by hand gets a ticket', async (t) => {
    await setPresence(t, context, tenantId, 47, 'ONLINE')
    await setPresence(t, context, tenantId, 47, 'OFFLINE')
    const ticketId = await startOffline(t, tenantId, 47)
    t.equal((await getTicket(t, tenantId, ticketId)).agent_id, 47)
    const presence = await presenceOf(t, tenantId, 47)
    t.match(presence, { status: 'OFFLINE', online_until: null })
    t.type(presence.updated_at, 'string', 'a set presence has an updated_at')
  })

  t.test('an agent with an OPEN session is refused as busy, not ticketed', async (t) => {
    await setPresence(t, context, tenantId, 48, 'ONLINE')
    t.equal((await start(t, tenantId, 48)).statusCode, 201)
    await setPresence(t, context, tenantId, 48, 'OFFLINE')
    const response = await start(t, tenantId, 48, { message: 'Halo' })
    t.equal(response.statusCode, 400)
    t.ok(response.json().errors?.existing_session_id, 'names the open session')
    t.same(await offlineTicketsOf(t, tenantId, 48), [], 'no ticket')
  })

  t.test('a never-seen agent is OFFLINE with updated_at and online_until null', async (t) => {
    const presence = await presenceOf(t, tenantId, 49)
    t.same(presence, { tenant_id: tenantId, agent_id: 49, status: 'OFFLINE', updated_at: null, online_until: null })
  })

  t.test('a fresh ONLINE holds for 60 s: online_until is updated_at + 60 s', async (t) => {
    const before = Date.now()
    await setPresence(t, context, tenantId, 50, 'ONLINE')
    const presence = await presenceOf(t, tenantId, 50)
    t.match(presence, { tenant_id: tenantId, agent_id: 50, status: 'ONLINE' })
    const updatedAt = Date.parse(presence.updated_at!)
    t.ok(updatedAt >= before - 2000 && updatedAt <= Date.now() + 2000, 'updated_at is the time of the call')
    t.equal(Date.parse(presence.online_until!) - updatedAt, 60_000, 'online_until is exactly 60 s after updated_at')
  })

  t.test('a presence that lapsed is OFFLINE: the start is refused with a ticket', async (t) => {
    await setPresence(t, context, tenantId, 51, 'ONLINE')
    const fresh = await presenceOf(t, tenantId, 51)
    t.equal(fresh.status, 'ONLINE')
    await agePresence(tenantId, 51, 300)
    const lapsed = await presenceOf(t, tenantId, 51)
    t.match(lapsed, { status: 'OFFLINE', online_until: null }, 'silent for 5 minutes: OFFLINE')
    t.equal(Date.parse(lapsed.updated_at!), Date.parse(fresh.updated_at!) - 300_000, 'updated_at is still the last call')
    const ticketId = await startOffline(t, tenantId, 51, { message: 'Masih ada orang?' })
    t.match(await getTicket(t, tenantId, ticketId), { agent_id: 51, source: 'LIVECHAT_OFFLINE', status: 'OPEN' })
    await setPresence(t, context, tenantId, 51, 'ONLINE')
    t.equal((await start(t, tenantId, 51)).statusCode, 201, 'a new presence call brings the agent back')
  })

  t.test('a presence just inside the TTL is still ONLINE', async (t) => {
    await setPresence(t, context, tenantId, 52, 'ONLINE')
    await agePresence(tenantId, 52, 50)
    const presence = await presenceOf(t, tenantId, 52)
    t.equal(presence.status, 'ONLINE')
    t.equal(Date.parse(presence.online_until!) - Date.parse(presence.updated_at!), 60_000)
    t.ok(Date.parse(presence.online_until!) - Date.now() < 11_000, 'it lapses within about 10 s')
    t.equal((await start(t, tenantId, 52)).statusCode, 201)
  })
})

t.test('with PRESENCE_TTL_SECONDS=5', async (t) => {
  onEachDatabase(
    t,
    async (t, context) => {
      const { start, startOffline, getTicket, presenceOf, agePresence } = clientOf(context)
      const tenantId = await createTenant(t, context, 'Short TTL')

      t.test('online_until is updated_at + 5 s', async (t) => {
        await setPresence(t, context, tenantId, 61, 'ONLINE')
        const presence = await presenceOf(t, tenantId, 61)
        t.equal(presence.status, 'ONLINE')
        t.equal(Date.parse(presence.online_until!) - Date.parse(presence.updated_at!), 5_000)
      })

      t.test('3 s of silence is still ONLINE, 6 s is OFFLINE and ticketed', async (t) => {
        await setPresence(t, context, tenantId, 62, 'ONLINE')
        await agePresence(tenantId, 62, 3)
        t.equal((await presenceOf(t, tenantId, 62)).status, 'ONLINE')
        await agePresence(tenantId, 62, 3)
        t.match(await presenceOf(t, tenantId, 62), { status: 'OFFLINE', online_until: null })
        const ticketId = await startOffline(t, tenantId, 62)
        t.equal((await getTicket(t, tenantId, ticketId)).agent_id, 62)
      })

      t.test('the TTL runs on the real clock too', async (t) => {
        await setPresence(t, context, tenantId, 63, 'ONLINE')
        await agePresence(tenantId, 63, 4)
        t.equal((await presenceOf(t, tenantId, 63)).status, 'ONLINE')
        await sleep(1500)
        t.equal((await presenceOf(t, tenantId, 63)).status, 'OFFLINE', 'lapsed after 5 s in all')
        t.equal((await start(t, tenantId, 63)).statusCode, 400)
      })
    },
    { PRESENCE_TTL_SECONDS: '5' },
  )
})
