import t, { type Test } from 'tap'
import { adminHeaders, agentHeaders, allPages, createTenant, openSession, sendClientMessage, sendMessage, tenantUserHeaders } from '../../helpers/fixtures.js'
import { EventStreamClient, listening, openStream, type ReceivedEvent } from '../../helpers/event-stream.js'
import { onEachDatabase } from '../../helpers/test-app.js'

/** Each tenant's message.created ids in the order they arrived. */
function messagesByTenant(events: ReceivedEvent[]): Record<number, string[]> {
  const byTenant: Record<number, string[]> = {}
  for (const event of events) if (event.event === 'message.created') (byTenant[event.data.tenant_id] ??= []).push(event.data.message.id)
  return byTenant
}

/** Resolves once `condition` holds; throws after `timeoutMs`. */
async function until(condition: () => boolean, what: string, timeoutMs = 20000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

// Issue: "`GET /livechat/events` (SUPPORT_AGENT): events of the sessions whose agent is the caller. With `X-Tenant-ID`,
// in that tenant; without it, in every active tenant the token lists (each event names its tenant; a tenant
// deactivated while the stream is open stops contributing). Event ids are opaque strings to clients, so a resume
// position may cover several tenants."
onEachDatabase(t, async (t, context) => {
  const base = await listening(context)
  const first = await createTenant(t, context, 'First')
  const second = await createTenant(t, context, 'Second')
  const sessions = { [first]: await openSession(t, context, first, 1), [second]: await openSession(t, context, second, 1) }
  const send = (t: Test, tenantId: number, text: string) => sendMessage(t, context, tenantId, sessions[tenantId], text)
  /** Agent 1's token for both tenants, without X-Tenant-ID: the stream covers every active tenant of the token. */
  const everyTenant = { authorization: agentHeaders(context, first, 1, [first, second]).authorization }
  const agentStream = (t: Test, headers: Record<string, string>) => openStream(t, base, 'streamAgentEvents', '/livechat/events', { headers })
  const arrival = (t: Test, stream: EventStreamClient, messageId: string) =>
    stream.next(t, (event) => event.event === 'message.created' && event.data.message.id === messageId)
  const setActive = async (t: Test, tenantId: number, active: boolean) => {
    const response = await context.call(t, 'updateTenant', {
      method: 'PATCH',
      url: `/admin/tenants/${tenantId}`,
      headers: adminHeaders(context),
      payload: { active },
    })
    t.equal(response.statusCode, 200, `tenant ${tenantId} ${active ? 'reactivated' : 'deactivated'}`)
  }

  t.test('a stream without X-Tenant-ID carries every tenant of the token, each event naming its tenant, and resumes them all', async (t) => {
    const stream = await agentStream(t, everyTenant)
    const ready = await stream.next(t, (event) => event.event === 'stream.ready')
    t.same([...ready.data.tenant_ids].sort((a, b) => a - b), [first, second], 'stream.ready lists both tenants')
    const live = [await send(t, first, 'live in first'), await send(t, second, 'live in second')]
    for (const message of live) await arrival(t, stream, message.id)
    t.same(messagesByTenant(stream.events), { [first]: [live[0].id], [second]: [live[1].id] }, 'each message names the tenant it was sent in')
    stream.close()
    const lastId = stream.lastId!

    const missed = [await send(t, first, 'missed 1'), await send(t, second, 'missed 2'), await send(t, first, 'missed 3')]
    const resumed = await agentStream(t, { ...everyTenant, 'last-event-id': lastId })
    await resumed.collect(t, ['message.created'], missed.length)
    // Live after the replay: anything replayed twice, or a tenant replayed from the wrong place, shows before it.
    const after = await send(t, second, 'live after the resume')
    await arrival(t, resumed, after.id)
    t.same(
      messagesByTenant(resumed.events),
      { [first]: [missed[0].id, missed[2].id], [second]: [missed[1].id, after.id] },
      'the resumed stream got exactly the missed messages of both tenants, then live ones',
    )
  })

  /** Agent 1 and tenant users 2 to 4 writing in agent 1's session of each tenant, one message after another, until stopped. */
  function startWriters(t: Test) {
    let stopped = false
    let sent = 0
    const writer = async (write: (index: number) => Promise<unknown>) => {
      for (let index = 0; !stopped; index++) await write(index).then(() => sent++)
    }
    const writers = [first, second].flatMap((tenantId) => [
      () => writer((index) => send(t, tenantId, `agent #${index}`)),
      ...[2, 3, 4].map(
        (userId) => () => writer((index) => sendClientMessage(t, context, tenantId, sessions[tenantId], `user ${userId} #${index}`, userId)),
      ),
    ])
    const done = Promise.all(writers.map((run) => run()))
    return { count: writers.length, sent: () => sent, stop: () => ((stopped = true), done) }
  }

  const storedMessages = async (t: Test) =>
    Object.fromEntries(
      await Promise.all(
        [first, second].map(async (tenantId) => {
          const url = `/livechat/sessions/${sessions[tenantId]}/messages`
          const messages = await allPages<{ id: string }>(t, context, 'listMessages', { url, headers: agentHeaders(context, tenantId, 1) })
          return [tenantId, messages.map((message) => message.id)]
        }),
      ),
    )

  t.test('a stream over both tenants resumed again and again while both are written to gets every message once, in order', async (t) => {
    // Another stream keeps the second tenant followed on this instance: each resume subscribes to one feed that is
    // live and one that is new, and events of the live one arrive while the new one is being set up.
    const keepsSecondLive = await openStream(t, base, 'streamClientEvents', '/livechat/client/events', {
      headers: tenantUserHeaders(context, second, 5),
    })
    await keepsSecondLive.next(t, (event) => event.event === 'stream.ready')
    const earlier = await storedMessages(t)
    let stream = await agentStream(t, everyTenant)
    // The first connection starts from now: from its stream.ready on, every message must reach it.
    await stream.next(t, (event) => event.event === 'stream.ready')
    const writers = startWriters(t)
    const delivered: ReceivedEvent[] = []
    for (let connection = 1; connection <= 5; connection++) {
      await stream.collect(t, ['message.created'], 10)
      stream.close()
      delivered.push(...stream.events)
      // Each writer may finish one send it began before the close; beyond those, a backlog to replay.
      const sentAtClose = writers.sent()
      await until(() => writers.sent() >= sentAtClose + writers.count + 8, `messages were sent while disconnected (${connection})`)
      stream = await agentStream(t, { ...everyTenant, 'last-event-id': stream.lastId! })
    }
    const sentAtResume = writers.sent()
    await until(() => writers.sent() >= sentAtResume + writers.count + 8, 'messages were sent after the last resume')
    await writers.stop()
    for (const tenantId of [first, second]) await arrival(t, stream, (await send(t, tenantId, 'the last one')).id)

    const stored = await storedMessages(t)
    t.same(
      messagesByTenant([...delivered, ...stream.events]),
      { [first]: stored[first].slice(earlier[first].length), [second]: stored[second].slice(earlier[second].length) },
      "over all six connections, each tenant's messages arrived exactly once, in the order of the message list",
    )
  })

  t.test('a tenant deactivated while the stream is open stops contributing to it; the others still deliver', async (t) => {
    const stream = await agentStream(t, everyTenant)
    await stream.next(t, (event) => event.event === 'stream.ready')
    // A stream of the first tenant alone ends when it is deactivated: by then every stream has been told.
    const firstOnly = await agentStream(t, agentHeaders(context, first, 1, [first, second]))
    await firstOnly.next(t, (event) => event.event === 'stream.ready')
    await setActive(t, first, false)
    const reconnect = await firstOnly.next(t, (event) => event.event === 'stream.reconnect')
    t.equal(reconnect.data.reason, 'tenant_inactive', 'the single-tenant stream ends, saying why')
    await firstOnly.ended
    t.notOk(stream.isEnded, 'the stream over both tenants stays open')

    await setActive(t, first, true)
    const afterReactivation = await send(t, first, 'after reactivation')
    const stillDelivered = await send(t, second, 'second tenant still delivers')
    await arrival(t, stream, stillDelivered.id)
    t.notOk(
      stream.events.some((event) => event.data.message?.id === afterReactivation.id),
      'the deactivated tenant does not come back into the open stream',
    )
    // Its position stayed in the stream's ids: resuming replays what the tenant wrote once active again.
    stream.close()
    const resumed = await agentStream(t, { ...everyTenant, 'last-event-id': stream.lastId! })
    t.equal((await resumed.next(t, (event) => event.event === 'message.created')).data.message.id, afterReactivation.id, 'nothing is lost')
  })

  t.test('an agent stream with X-Tenant-ID carries that tenant only', async (t) => {
    const stream = await agentStream(t, agentHeaders(context, first, 1, [first, second]))
    const ready = await stream.next(t, (event) => event.event === 'stream.ready')
    t.same(ready.data.tenant_ids, [first], 'stream.ready lists the one tenant')
    const elsewhere = await send(t, second, 'not on this stream')
    const here = await send(t, first, 'on this stream')
    await arrival(t, stream, here.id)
    t.same(messagesByTenant(stream.events), { [first]: [here.id] }, `the message in tenant ${second} (${elsewhere.id}) did not arrive`)
  })

  t.test('a stream of a tenant the caller may not act for is 403 naming X-Tenant-ID', async (t) => {
    const dormant = await createTenant(t, context, 'Dormant', false)
    const unknown = 999_999
    const agentEvents = ['streamAgentEvents', '/livechat/events'] as const
    const refusals: [string, readonly [string, string], Record<string, string>][] = [
      ['an agent stream with an X-Tenant-ID the token does not list', agentEvents, agentHeaders(context, second, 1, [first])],
      [
        "a tenant user's stream with another tenant's X-Tenant-ID",
        ['streamClientEvents', '/livechat/client/events'],
        tenantUserHeaders(context, second, 2, [first]),
      ],
      [
        'an agent stream without X-Tenant-ID whose token lists only an inactive and an unknown tenant',
        agentEvents,
        { authorization: agentHeaders(context, dormant, 1, [dormant, unknown]).authorization },
      ],
      ['an agent stream with the X-Tenant-ID of an inactive tenant of the token', agentEvents, agentHeaders(context, dormant, 1, [first, dormant])],
    ]
    for (const [what, [operationId, path], headers] of refusals) {
      const refused = await EventStreamClient.open(t, base, operationId, path, { headers })
      t.equal(refused.status, 403, `${what} is 403`)
      const body = refused.stream ? undefined : refused.body
      t.same(body && Object.keys(body.errors), ['X-Tenant-ID'], `${what}: errors name X-Tenant-ID`)
    }
  })
})
