import t from 'tap'
import { agentHeaders, closeSession, createTenant, openSession, sendClientMessage, sendMessage, tenantUserHeaders } from '../../helpers/fixtures.js'
import { EventStreamClient, listening, openStream } from '../../helpers/event-stream.js'
import { onEachDatabase } from '../../helpers/test-app.js'

// Seed: the module exists for "komunikasi real-time antara tenant dan support agent". Issue: every participant
// sees new messages, notifications and session changes as they happen.
onEachDatabase(t, async (t, context) => {
  const base = await listening(context)
  const tenantId = await createTenant(t, context, 'Live')
  const agentStream = () => openStream(t, base, 'streamAgentEvents', '/livechat/events', { headers: agentHeaders(context, tenantId, 1) })
  const tenantStream = (userId = 2) =>
    openStream(t, base, 'streamClientEvents', '/livechat/client/events', { headers: tenantUserHeaders(context, tenantId, userId) })

  t.test('a stream opens with stream.ready, whose id is where to resume from', async (t) => {
    const stream = await agentStream()
    const ready = await stream.next(t)
    t.equal(ready.event, 'stream.ready')
    t.equal(ready.id, ready.data.resume_from, 'the ready event carries its resume position as its id')
    t.same(ready.data.tenant_ids, [tenantId])
  })

  t.test("each side sees the other's messages live, with the full ChatMessage", async (t) => {
    const agent = await agentStream()
    const user = await tenantStream()
    const sessionId = await openSession(t, context, tenantId, 1)
    for (const stream of [agent, user]) {
      const opened = await stream.next(t, (event) => event.event === 'session.opened')
      t.equal(opened.data.session.id, sessionId)
      t.equal(opened.data.session.status, 'OPEN')
      t.ok(opened.id, 'stored events carry an id')
    }
    const fromAgent = await sendMessage(t, context, tenantId, sessionId, 'Halo, ada yang bisa dibantu?')
    const received = await user.next(t, (event) => event.event === 'message.created')
    t.same(received.data.message, fromAgent, 'the tenant user receives the message as the API returned it')
    t.equal(received.data.tenant_id, tenantId)
    const notified = await user.next(t, (event) => event.event === 'notification.created')
    t.equal(notified.data.notification.message_id, fromAgent.id, "the agent's reply notifies the tenant side")

    const fromTenant = await sendClientMessage(t, context, tenantId, sessionId, 'Saya tidak bisa login')
    t.same((await agent.next(t, (event) => event.event === 'message.created' && event.data.message.id === fromTenant.id)).data.message, fromTenant)

    await closeSession(t, context, tenantId, sessionId)
    for (const stream of [agent, user]) {
      const closed = await stream.next(t, (event) => event.event === 'session.closed')
      t.equal(closed.data.session.status, 'CLOSED')
    }
  })

  t.test("an agent's stream carries only the sessions they are the agent of; notifications stay on the tenant side", async (t) => {
    const agent = await agentStream()
    const otherSession = await openSession(t, context, tenantId, 7)
    const other = await sendMessage(t, context, tenantId, otherSession, 'for agent 7 only', 7)
    const ownSession = await openSession(t, context, tenantId, 1)
    const own = await sendMessage(t, context, tenantId, ownSession, 'for agent 1')
    const first = await agent.next(t, (event) => event.event === 'message.created')
    t.equal(first.data.message.id, own.id, "agent 7's message never reached agent 1")
    t.notOk(agent.events.some((event) => event.data.message?.id === other.id))
    t.notOk(agent.events.some((event) => event.event === 'notification.created'), 'agents get no notification events')
    await closeSession(t, context, tenantId, ownSession)
    await closeSession(t, context, tenantId, otherSession, 7)
  })

  t.test('a notification reaches the users who see it, never its author', async (t) => {
    const user = await tenantStream(2)
    const sessionId = await openSession(t, context, tenantId, 1)
    await sendClientMessage(t, context, tenantId, sessionId, 'a tenant message notifies nobody')
    const reply = await sendMessage(t, context, tenantId, sessionId, 'an agent reply notifies the tenant')
    const notified = await user.next(t, (event) => event.event === 'notification.created')
    t.equal(notified.data.notification.message_id, reply.id, 'the first notification is for the agent reply')
    await closeSession(t, context, tenantId, sessionId)
  })

  t.test('session_id follows one session only; a session of another tenant is 404', async (t) => {
    const first = await openSession(t, context, tenantId, 1)
    const otherTenant = await createTenant(t, context, 'Elsewhere')
    const foreign = await openSession(t, context, otherTenant, 1)
    const user = await openStream(t, base, 'streamClientEvents', '/livechat/client/events', {
      headers: tenantUserHeaders(context, tenantId),
      query: { session_id: first },
    })
    const second = await openSession(t, context, tenantId, 3)
    await sendMessage(t, context, tenantId, second, 'not followed', 3)
    const followed = await sendMessage(t, context, tenantId, first, 'followed')
    const event = await user.next(t, (event) => event.event === 'message.created')
    t.equal(event.data.message.id, followed.id, 'the other session was filtered out')
    const refused = await EventStreamClient.open(t, base, 'streamClientEvents', '/livechat/client/events', {
      headers: tenantUserHeaders(context, tenantId),
      query: { session_id: foreign },
    })
    t.equal(refused.status, 404, "another tenant's session does not exist for the caller")
    await closeSession(t, context, tenantId, first)
    await closeSession(t, context, tenantId, second, 3)
  })
})
