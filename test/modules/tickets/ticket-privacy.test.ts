import t, { type Test } from 'tap'
import { agentHeaders, createTenant, setPresence } from '../../helpers/fixtures.js'
import { onEachDatabase, type TestApp } from '../../helpers/test-app.js'

// A reply to a tenant user's ticket is addressed to that user alone; so is the ticket itself.
onEachDatabase(t, async (t, context) => {
  const tenantId = await createTenant(t, context)
  const userHeaders = (userId: number) => ({
    authorization: `Bearer ${context.token({ sub: userId, roles: ['TENANT_USER'], tenants: [tenantId] })}`,
    'x-tenant-id': String(tenantId),
  })
  const agent = agentHeaders(context, tenantId, 70)
  const ticketIdsSeenBy = async (t: Test, headers: Record<string, string>) =>
    (await context.call(t, 'listTickets', { method: 'GET', url: '/tickets', headers })).json().data.map((ticket: { id: string }) => ticket.id)

  async function openTicket(t: Test, context: TestApp, headers: Record<string, string>) {
    const response = await context.call(t, 'createTicket', { method: 'POST', url: '/tickets', headers, payload: { subject: 'Sandi', message: 'Lupa sandi' } })
    t.equal(response.statusCode, 201)
    return response.json().data.id as string
  }

  const own = await openTicket(t, context, userHeaders(71))
  await setPresence(t, context, tenantId, 72, 'OFFLINE')
  const offline = await context.call(t, 'startSession', { method: 'POST', url: '/livechat/sessions', headers: agent, payload: { agent_id: 72 } })
  const offlineTicket: string = offline.json().errors.ticket_id[0]
  const reply = await context.call(t, 'createTicketReply', { method: 'POST', url: `/tickets/${own}/replies`, headers: agent, payload: { message: 'Sandi baru: rahasia' } })
  t.equal(reply.statusCode, 201)

  t.test("another tenant user cannot see, read or answer a user's own ticket", async (t) => {
    const other = userHeaders(73)
    t.same(await ticketIdsSeenBy(t, other), [offlineTicket], 'only the ticket agents opened for the tenant')
    for (const [operationId, method, url, payload] of [
      ['getTicket', 'GET', `/tickets/${own}`, undefined],
      ['listTicketReplies', 'GET', `/tickets/${own}/replies`, undefined],
      ['createTicketReply', 'POST', `/tickets/${own}/replies`, { message: 'Boleh lihat?' }],
    ] as const) {
      const response = await context.call(t, operationId, { method, url, headers: other, ...(payload && { payload }) })
      t.equal(response.statusCode, 404, `${operationId}: 404, as if it did not exist`)
    }
    const cursor = await context.call(t, 'listTickets', { method: 'GET', url: `/tickets?cursor=${own}`, headers: other })
    t.equal(cursor.statusCode, 400, 'nor can its id serve as a cursor')
  })

  t.test('its requester and every agent see it', async (t) => {
    t.same((await ticketIdsSeenBy(t, userHeaders(71))).sort(), [own, offlineTicket].sort())
    t.same((await ticketIdsSeenBy(t, agent)).sort(), [own, offlineTicket].sort())
    const replies = await context.call(t, 'listTicketReplies', { method: 'GET', url: `/tickets/${own}/replies`, headers: userHeaders(71) })
    t.same(replies.json().data.map((item: { message: string }) => item.message), ['Lupa sandi', 'Sandi baru: rahasia'])
  })
})
