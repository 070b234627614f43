import t, { type Test } from 'tap'
import { adminHeaders, agentHeaders, createTenant, setPresence, tenantUserHeaders } from '../../helpers/fixtures.js'
import { onEachDatabase, type TestApp } from '../../helpers/test-app.js'

// Issue 16: tenant users ask for chats; the service assigns the least busy ONLINE agent, queues, or files a ticket.

/** The calls of one tenant, as its tenant users and agents make them. */
function tenantCalls(context: TestApp, tenantId: number) {
  return {
    ask: (t: Test, userId: number, payload: { subject?: string; message?: string } = {}) =>
      context.call(t, 'startClientSession', { method: 'POST', url: '/livechat/client/sessions', headers: tenantUserHeaders(context, tenantId, userId), payload }),
    leave: (t: Test, userId: number, sessionId: string) =>
      context.call(t, 'closeClientSession', { method: 'POST', url: `/livechat/client/sessions/${sessionId}/close`, headers: tenantUserHeaders(context, tenantId, userId) }),
    close: (t: Test, agentId: number, sessionId: string) =>
      context.call(t, 'closeSession', { method: 'POST', url: `/livechat/sessions/${sessionId}/close`, headers: agentHeaders(context, tenantId, agentId) }),
    assign: (t: Test, callerId: number, sessionId: string, agentId?: number) =>
      context.call(t, 'assignSession', {
        method: 'POST',
        url: `/livechat/sessions/${sessionId}/assign`,
        headers: agentHeaders(context, tenantId, callerId),
        payload: agentId === undefined ? {} : { agent_id: agentId },
      }),
    get: async (t: Test, sessionId: string) =>
      (await context.call(t, 'getSession', { method: 'GET', url: `/livechat/sessions/${sessionId}`, headers: agentHeaders(context, tenantId, 1) })).json(200).data,
    queue: async (t: Test) =>
      (await context.call(t, 'listSessions', { method: 'GET', url: '/livechat/sessions?status=QUEUED&limit=100', headers: agentHeaders(context, tenantId, 1) })).json(200)
        .data,
    setCapacity: async (t: Test, capacity: number) => {
      const response = await context.call(t, 'updateTenant', { method: 'PATCH', url: `/admin/tenants/${tenantId}`, headers: adminHeaders(context), payload: { agent_capacity: capacity } })
      t.equal(response.statusCode, 200, `agent_capacity is ${capacity}`)
    },
  }
}

/** Polls until `check` holds, for at most `ms`. */
async function within(ms: number, check: () => Promise<boolean>): Promise<boolean> {
  const until = Date.now() + ms
  while (Date.now() < until) {
    if (await check()) return true
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  return check()
}

onEachDatabase(t, async (t, context) => {
  t.test('with no agent ONLINE: 400 NO_AGENT_ONLINE names the ticket filed with the subject and the message', async (t) => {
    const tenantId = await createTenant(t, context, 'No agents')
    const calls = tenantCalls(context, tenantId)
    const response = await calls.ask(t, 500, { subject: 'Cannot log in', message: 'Halo, saya tidak bisa masuk.' })
    t.equal(response.statusCode, 400)
    const body = response.json(400)
    t.equal(body.code, 'NO_AGENT_ONLINE')
    const ticketId = body.errors.ticket_id[0]
    const ticket = await context.call(t, 'getTicket', { method: 'GET', url: `/tickets/${ticketId}`, headers: agentHeaders(context, tenantId, 1) })
    t.match(ticket.json(200).data, { source: 'LIVECHAT_NO_AGENT', subject: 'Cannot log in', requester_id: 500, status: 'OPEN' })
    const replies = await context.call(t, 'listTicketReplies', { method: 'GET', url: `/tickets/${ticketId}/replies`, headers: agentHeaders(context, tenantId, 1) })
    t.same(replies.json(200).data.map((reply) => reply.message), ['Halo, saya tidak bisa masuk.'])
    t.same(await calls.queue(t), [], 'no session was made')
  })

  t.test('an ONLINE agent with a free seat gets the chat: 201 OPEN, the requester recorded, the first message stored', async (t) => {
    const tenantId = await createTenant(t, context, 'One agent')
    const calls = tenantCalls(context, tenantId)
    await setPresence(t, context, tenantId, 10, 'ONLINE')
    const response = await calls.ask(t, 501, { message: 'Halo' })
    t.equal(response.statusCode, 201)
    const session = response.json(201).data
    t.match(session, { status: 'OPEN', agent_id: 10, requester_id: 501, queue_position: null, ticket_id: null, unread_count: 0 })
    const messages = await context.call(t, 'listClientMessages', {
      method: 'GET',
      url: `/livechat/client/sessions/${session.id}/messages`,
      headers: tenantUserHeaders(context, tenantId, 501),
    })
    t.match(messages.json(200).data, [{ sender_id: 501, message: 'Halo' }])
    const again = await calls.ask(t, 501)
    t.equal(again.statusCode, 400)
    t.match(again.json(400), { code: 'ACTIVE_SESSION_EXISTS', errors: { existing_session_id: [session.id] } })
  })

  t.test('fairness: 3 ONLINE agents with capacity 2 and 7 requests give 2 sessions each and queue 1', async (t) => {
    const tenantId = await createTenant(t, context, 'Fairness')
    const calls = tenantCalls(context, tenantId)
    await calls.setCapacity(t, 2)
    for (const agentId of [21, 22, 23]) await setPresence(t, context, tenantId, agentId, 'ONLINE')
    const answers = []
    for (let user = 0; user < 7; user++) answers.push(await calls.ask(t, 600 + user))
    t.same(answers.map((answer) => answer.statusCode), [201, 201, 201, 201, 201, 201, 202])
    const agents = answers.slice(0, 6).map((answer) => answer.json(201).data.agent_id)
    t.same(agents, [21, 22, 23, 21, 22, 23], 'fewest open first; among equals, the longest since an assignment')
    t.match(answers[6].json(202).data, { status: 'QUEUED', agent_id: null, queue_position: 1, requester_id: 606 })
  })

  t.test('the queue is served in arrival order when a seat frees; leaving it moves those behind up', async (t) => {
    const tenantId = await createTenant(t, context, 'Queue')
    const calls = tenantCalls(context, tenantId)
    await calls.setCapacity(t, 1)
    await setPresence(t, context, tenantId, 30, 'ONLINE')
    const open = (await calls.ask(t, 700)).json(201).data
    const queued = []
    for (const user of [701, 702, 703]) queued.push((await calls.ask(t, user)).json(202).data)
    t.same(queued.map((session) => session.queue_position), [1, 2, 3])
    t.same((await calls.queue(t)).map((session) => [session.id, session.queue_position]), queued.map((session, index) => [session.id, index + 1]), 'listed oldest first')

    t.equal((await calls.leave(t, 702, queued[1].id)).statusCode, 200, 'the second in line leaves')
    t.equal((await calls.get(t, queued[2].id)).queue_position, 2, 'the one behind moves up')
    t.equal((await calls.close(t, 30, open.id)).statusCode, 200)
    t.match(await calls.get(t, queued[0].id), { status: 'OPEN', agent_id: 30, queue_position: null }, 'the oldest is served at once')
    t.match(await calls.get(t, queued[2].id), { status: 'QUEUED', queue_position: 1 })
  })

  t.test('a tenant user closes only their own chat; closing again changes nothing', async (t) => {
    const tenantId = await createTenant(t, context, 'Leaving')
    const calls = tenantCalls(context, tenantId)
    await setPresence(t, context, tenantId, 31, 'ONLINE')
    const session = (await calls.ask(t, 710)).json(201).data
    const stranger = await calls.leave(t, 711, session.id)
    t.equal(stranger.statusCode, 400)
    t.equal(stranger.json(400).code, 'NOT_REQUESTER')
    const closed = await calls.leave(t, 710, session.id)
    t.match(closed.json(200).data, { status: 'CLOSED' })
    t.same((await calls.leave(t, 710, session.id)).json(200).data, closed.json(200).data)
    t.equal((await calls.leave(t, 710, '01a1fcaa-b9de-753c-be1a-3d14ae0282bf')).statusCode, 404)
  })

  t.test('assign: take from the queue, transfer your own, and the refusals say why', async (t) => {
    const tenantId = await createTenant(t, context, 'Assign')
    const calls = tenantCalls(context, tenantId)
    await calls.setCapacity(t, 1)
    await setPresence(t, context, tenantId, 40, 'ONLINE')
    const first = (await calls.ask(t, 720)).json(201).data
    const waiting = (await calls.ask(t, 721)).json(202).data

    const full = await calls.assign(t, 40, waiting.id)
    t.equal(full.json(400).code, 'AGENT_AT_CAPACITY')
    const offline = await calls.assign(t, 41, waiting.id)
    t.equal(offline.json(400).code, 'AGENT_OFFLINE')
    await setPresence(t, context, tenantId, 41, 'ONLINE')
    t.ok(await within(1000, async () => (await calls.get(t, waiting.id)).agent_id === 41), 'an agent coming ONLINE is served from the queue within a second')
    t.match(await calls.get(t, waiting.id), { status: 'OPEN', agent_id: 41 })

    const notYours = await calls.assign(t, 41, first.id, 41)
    t.equal(notYours.json(400).code, 'NOT_SESSION_AGENT')
    await calls.setCapacity(t, 2)
    const transferred = await calls.assign(t, 40, first.id, 41)
    t.match(transferred.json(200).data, { status: 'OPEN', agent_id: 41 })
    const third = (await calls.ask(t, 722)).json(201).data
    t.equal(third.agent_id, 40, "the transfer freed the first agent's seat")
    await calls.close(t, 40, third.id)
    t.equal((await calls.assign(t, 40, third.id)).json(400).code, 'SESSION_CLOSED')
  })

  t.test("a session an agent started moves only to an agent who has none of their own", async (t) => {
    const tenantId = await createTenant(t, context, 'Own sessions')
    const calls = tenantCalls(context, tenantId)
    for (const agentId of [80, 81, 82]) await setPresence(t, context, tenantId, agentId, 'ONLINE')
    const start = async (agentId: number) =>
      (await context.call(t, 'startSession', { method: 'POST', url: '/livechat/sessions', headers: agentHeaders(context, tenantId, agentId), payload: {} })).json(201).data
    const [own, other] = [await start(80), await start(81)]
    const refused = await calls.assign(t, 80, own.id, 81)
    t.match(refused.json(400), { code: 'ACTIVE_SESSION_EXISTS', errors: { existing_session_id: [other.id] } })
    t.match((await calls.assign(t, 80, own.id, 82)).json(200).data, { agent_id: 82, requester_id: null })
    t.match(await start(80), { status: 'OPEN', agent_id: 80 }, 'its starter may start another')
  })

  t.test('raising agent_capacity serves the queue within a second', async (t) => {
    const tenantId = await createTenant(t, context, 'Capacity')
    const calls = tenantCalls(context, tenantId)
    await calls.setCapacity(t, 1)
    await setPresence(t, context, tenantId, 50, 'ONLINE')
    await calls.ask(t, 730)
    const waiting = (await calls.ask(t, 731)).json(202).data
    await calls.setCapacity(t, 2)
    t.ok(await within(1000, async () => (await calls.get(t, waiting.id)).status === 'OPEN'), 'assigned within a second')
  })

  t.test('an agent-started session counts in the capacity but is not refused for it', async (t) => {
    const tenantId = await createTenant(t, context, 'Agent starts')
    const calls = tenantCalls(context, tenantId)
    await calls.setCapacity(t, 1)
    await setPresence(t, context, tenantId, 60, 'ONLINE')
    t.equal((await calls.ask(t, 740)).statusCode, 201)
    const started = await context.call(t, 'startSession', { method: 'POST', url: '/livechat/sessions', headers: agentHeaders(context, tenantId, 60), payload: {} })
    t.match(started.json(201).data, { status: 'OPEN', agent_id: 60, requester_id: null })
    t.equal((await calls.ask(t, 741)).statusCode, 202, 'the agent is full')
  })

  t.test('agent_capacity is 1 to 100, 5 by default', async (t) => {
    const created = await context.call(t, 'createTenant', { method: 'POST', url: '/admin/tenants', headers: adminHeaders(context), payload: { name: 'Default capacity' } })
    t.equal(created.json(201).data.agent_capacity, 5)
    for (const agent_capacity of [0, 101, 2.5]) {
      const refused = await context.call(t, 'updateTenant', {
        method: 'PATCH',
        url: `/admin/tenants/${created.json(201).data.id}`,
        headers: adminHeaders(context),
        payload: { agent_capacity },
      })
      t.equal(refused.json(400).code, 'VALIDATION_FAILED', `${agent_capacity} is refused`)
    }
  })
})

onEachDatabase(
  t,
  async (t, context) => {
    t.test('a chat that waited QUEUE_MAX_WAIT_SECONDS is closed and filed as a ticket with its subject and messages', async (t) => {
      const tenantId = await createTenant(t, context, 'Waiting')
      const calls = tenantCalls(context, tenantId)
      await calls.setCapacity(t, 1)
      await setPresence(t, context, tenantId, 70, 'ONLINE')
      await calls.ask(t, 750)
      const waiting = (await calls.ask(t, 751, { subject: 'Refund', message: 'Still there?' })).json(202).data
      t.ok(await within(3000, async () => (await calls.get(t, waiting.id)).status === 'CLOSED'), 'closed after about a second')
      const closed = await calls.get(t, waiting.id)
      t.match(closed, { status: 'CLOSED', agent_id: null, queue_position: null, ticket_id: String })
      const ticket = await context.call(t, 'getTicket', { method: 'GET', url: `/tickets/${closed.ticket_id}`, headers: agentHeaders(context, tenantId, 1) })
      t.match(ticket.json(200).data, { source: 'LIVECHAT_QUEUE_TIMEOUT', subject: 'Refund', requester_id: 751 })
      const replies = await context.call(t, 'listTicketReplies', { method: 'GET', url: `/tickets/${closed.ticket_id}/replies`, headers: agentHeaders(context, tenantId, 1) })
      t.match(replies.json(200).data, [{ author_id: 751, message: 'Still there?' }])
    })
  },
  { QUEUE_MAX_WAIT_SECONDS: '1' },
)
