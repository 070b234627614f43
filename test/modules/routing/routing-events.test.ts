import t from 'tap'
import { adminHeaders, agentHeaders, createTenant, setPresence, tenantUserHeaders } from '../../helpers/fixtures.js'
import { listening, openStream } from '../../helpers/event-stream.js'
import { onEachDatabase } from '../../helpers/test-app.js'

// Issue 16, "What everyone sees": session.queued to the requester, with the position, again whenever it moves;
// session.assigned to the agent given the session and the tenant side, on a transfer also to the agent who gave it up.
onEachDatabase(t, async (t, context) => {
  const base = await listening(context)
  const tenantId = await createTenant(t, context, 'Routing events')
  const capacity = await context.call(t, 'updateTenant', { method: 'PATCH', url: `/admin/tenants/${tenantId}`, headers: adminHeaders(context), payload: { agent_capacity: 1 } })
  t.equal(capacity.statusCode, 200)
  const agentStream = (agentId: number) => openStream(t, base, 'streamAgentEvents', '/livechat/events', { headers: agentHeaders(context, tenantId, agentId) })
  const userStream = (userId: number) => openStream(t, base, 'streamClientEvents', '/livechat/client/events', { headers: tenantUserHeaders(context, tenantId, userId) })
  const ask = (userId: number) =>
    context.call(t, 'startClientSession', { method: 'POST', url: '/livechat/client/sessions', headers: tenantUserHeaders(context, tenantId, userId), payload: {} })

  await setPresence(t, context, tenantId, 1, 'ONLINE')
  const agentOne = await agentStream(1)
  const first = (await ask(801)).json(201).data
  const assigned = await agentOne.next(t, (event) => event.event === 'session.assigned')
  t.match(assigned.data, { type: 'session.assigned', session_id: first.id, previous_agent_id: null, session: { status: 'OPEN', agent_id: 1, requester_id: 801 } })

  const secondUser = await userStream(802)
  const thirdUser = await userStream(803)
  const second = (await ask(802)).json(202).data
  const third = (await ask(803)).json(202).data
  const queuedSecond = await secondUser.next(t, (event) => event.event === 'session.queued')
  t.match(queuedSecond.data.session, { id: second.id, status: 'QUEUED', queue_position: 1 })
  const queuedThird = await thirdUser.next(t, (event) => event.event === 'session.queued')
  t.match(queuedThird.data.session, { id: third.id, queue_position: 2 })
  t.notOk(thirdUser.events.some((event) => event.event === 'session.queued' && event.data.session_id === second.id), "another's place is not told")

  const close = await context.call(t, 'closeSession', { method: 'POST', url: `/livechat/sessions/${first.id}/close`, headers: agentHeaders(context, tenantId, 1) })
  t.equal(close.statusCode, 200)
  const served = await secondUser.next(t, (event) => event.event === 'session.assigned')
  t.match(served.data.session, { id: second.id, status: 'OPEN', agent_id: 1 })
  const moved = await thirdUser.next(t, (event) => event.event === 'session.queued')
  t.match(moved.data.session, { id: third.id, queue_position: 1 }, 'the one behind hears it moved up')

  await setPresence(t, context, tenantId, 2, 'ONLINE')
  const agentTwo = await agentStream(2)
  await agentTwo.next(t, (event) => event.event === 'stream.ready')
  const thirdServed = await thirdUser.next(t, (event) => event.event === 'session.assigned')
  t.match(thirdServed.data.session, { id: third.id, agent_id: 2 }, 'an agent coming ONLINE serves the queue')

  await context.call(t, 'updateTenant', { method: 'PATCH', url: `/admin/tenants/${tenantId}`, headers: adminHeaders(context), payload: { agent_capacity: 2 } })
  const transfer = await context.call(t, 'assignSession', {
    method: 'POST',
    url: `/livechat/sessions/${second.id}/assign`,
    headers: agentHeaders(context, tenantId, 1),
    payload: { agent_id: 2 },
  })
  t.equal(transfer.statusCode, 200)
  const toNew = await agentTwo.next(t, (event) => event.event === 'session.assigned' && event.data.session_id === second.id)
  const toPrevious = await agentOne.next(t, (event) => event.event === 'session.assigned' && event.data.session.agent_id === 2)
  t.match(toNew.data, { previous_agent_id: 1, session: { agent_id: 2 } })
  t.match(toPrevious.data, { session_id: second.id, previous_agent_id: 1 }, 'the agent who gave it up hears of it too')
})
