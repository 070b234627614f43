import t, { type Test } from 'tap'
import { agentHeaders, allPages, closeSession, createTenant, openSession, sendClientMessage, sendMessage, tenantUserHeaders } from '../../helpers/fixtures.js'
import { EventStreamClient, listening, openStream, type ReceivedEvent } from '../../helpers/event-stream.js'
import { onEachDatabase, type TestApp } from '../../helpers/test-app.js'

type Session = { sessionId: string; agentId: number }
type OpenOptions = { headers?: Record<string, string>; query?: Record<string, string> }

/** Resolves once `condition` holds; throws after `timeoutMs`. */
async function until(condition: () => boolean, what: string, timeoutMs = 20000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

/** One OPEN session per agent: an agent has at most one open session per tenant. */
async function openSessions(t: Test, context: TestApp, tenantId: number, agentIds: number[]): Promise<Session[]> {
  return Promise.all(agentIds.map(async (agentId) => ({ sessionId: await openSession(t, context, tenantId, agentId), agentId })))
}

/**
 * Two writers per session, its agent and the tenant user, each sending one message after another until
 * stopped: the tenant's events are numbered by many transactions at once.
 */
function startWriters(t: Test, context: TestApp, tenantId: number, sessions: Session[]) {
  let stopped = false
  let sent = 0
  const writer = (send: (index: number) => Promise<unknown>) => async () => {
    for (let index = 0; !stopped; index++) {
      await send(index)
      sent++
    }
  }
  const writers = sessions.flatMap(({ sessionId, agentId }) => [
    writer((index) => sendMessage(t, context, tenantId, sessionId, `agent ${agentId} #${index}`, agentId)),
    writer((index) => sendClientMessage(t, context, tenantId, sessionId, `user to ${agentId} #${index}`)),
  ])
  const done = Promise.all(writers.map((run) => run()))
  return {
    count: writers.length,
    sent: () => sent,
    async stop() {
      stopped = true
      await done
    },
  }
}

/** Each session's message ids as the message list returns them, oldest first. */
async function storedMessages(t: Test, context: TestApp, tenantId: number, sessions: Session[]): Promise<Record<string, string[]>> {
  const lists = await Promise.all(
    sessions.map(({ sessionId }) =>
      allPages<{ id: string }>(t, context, 'listClientMessages', {
        url: `/livechat/client/sessions/${sessionId}/messages`,
        headers: tenantUserHeaders(context, tenantId),
      }),
    ),
  )
  return Object.fromEntries(sessions.map(({ sessionId }, index) => [sessionId, lists[index].map((message) => message.id)]))
}

/** Each session's message.created ids in the order they arrived. */
function deliveredMessages(t: Test, events: ReceivedEvent[]): Record<string, string[]> {
  const created = events.filter((event) => event.event === 'message.created')
  t.ok(created.every((event) => event.id !== undefined), 'every message.created carries an SSE id')
  const bySession: Record<string, string[]> = {}
  for (const event of created) (bySession[event.data.session_id] ??= []).push(event.data.message.id)
  return bySession
}

// Issue: "A client reconnecting with Last-Event-ID first receives every event it missed, from the database, in order,
// then live events: no gap and no duplicate, even while other requests write during the reconnect. ... a reader that
// has seen id 11 must never miss id 10 committed a moment later."
onEachDatabase(t, async (t, context) => {
  const base = await listening(context)
  const clientStream = (t: Test, tenantId: number, options: OpenOptions = {}) =>
    openStream(t, base, 'streamClientEvents', '/livechat/client/events', {
      query: options.query,
      headers: { ...tenantUserHeaders(context, tenantId), ...options.headers },
    })

  /** Waits for `message` on `stream`: every event of the tenant numbered before it has arrived by then. */
  const arrival = (t: Test, stream: EventStreamClient, messageId: string) =>
    stream.next(t, (event) => event.event === 'message.created' && event.data.message.id === messageId, 30000)

  async function resumeMidBurst(t: Test, name: string, resumeWith: (lastId: string) => OpenOptions) {
    const tenantId = await createTenant(t, context, name)
    const sessions = await openSessions(t, context, tenantId, [11, 12, 13, 14, 15, 16, 17, 18])
    const first = await clientStream(t, tenantId)
    await first.next(t, (event) => event.event === 'stream.ready')
    const writers = startWriters(t, context, tenantId, sessions)
    await first.collect(t, ['message.created'], 20, 30000)
    first.close()
    const seenBeforeClose = [...first.events]
    const lastId = first.lastId!
    // Each writer may finish one send it began before the close; beyond those, a backlog to replay.
    const sentAtClose = writers.sent()
    await until(() => writers.sent() >= sentAtClose + writers.count + 8, 'messages were sent while disconnected')

    const resumed = await clientStream(t, tenantId, resumeWith(lastId))
    const sentAtResume = writers.sent()
    await until(() => writers.sent() >= sentAtResume + writers.count + 8, 'messages were sent after the resume')
    await writers.stop()
    const last = await sendMessage(t, context, tenantId, sessions[0].sessionId, 'the last one', sessions[0].agentId)
    await arrival(t, resumed, last.id)

    t.equal(resumed.events[0].event, 'stream.ready', 'the resumed stream starts with stream.ready')
    t.same(
      deliveredMessages(t, [...seenBeforeClose, ...resumed.events]),
      await storedMessages(t, context, tenantId, sessions),
      'over both connections, every stored message arrived exactly once, in the order of its session',
    )
  }

  t.test('a stream resumed with Last-Event-ID mid-burst misses nothing and repeats nothing', (t) =>
    resumeMidBurst(t, 'Resume by header', (lastId) => ({ headers: { 'last-event-id': lastId } })),
  )

  t.test('a stream resumed with the last_event_id query parameter mid-burst misses nothing and repeats nothing', (t) =>
    resumeMidBurst(t, 'Resume by query', (lastId) => ({ query: { last_event_id: lastId } })),
  )

  t.test('a live reader receives every message of 32 concurrent writers exactly once, in each session in list order', async (t) => {
    const tenantId = await createTenant(t, context, 'Commit order')
    const agentIds = Array.from({ length: 16 }, (_, index) => 21 + index)
    const sessions = await openSessions(t, context, tenantId, agentIds)
    const tenantSide = await clientStream(t, tenantId)
    const agentSide = await Promise.all(
      agentIds.map((agentId) => openStream(t, base, 'streamAgentEvents', '/livechat/events', { headers: agentHeaders(context, tenantId, agentId) })),
    )
    // From their stream.ready on, every message must reach them.
    for (const stream of [tenantSide, ...agentSide]) await stream.next(t, (event) => event.event === 'stream.ready')
    const writers = startWriters(t, context, tenantId, sessions)
    await until(() => writers.sent() >= 320, '320 messages were sent', 60000)
    await writers.stop()
    // One after another, so that they reach the tenant user's stream in this order.
    for (const [index, { sessionId, agentId }] of sessions.entries()) {
      const last = await sendMessage(t, context, tenantId, sessionId, 'the last one', agentId)
      await arrival(t, tenantSide, last.id)
      await arrival(t, agentSide[index], last.id)
    }

    const stored = await storedMessages(t, context, tenantId, sessions)
    t.same(deliveredMessages(t, tenantSide.events), stored, "the tenant user's stream carried every message of every session once, in order")
    for (const [index, { sessionId, agentId }] of sessions.entries()) {
      const own = { [sessionId]: stored[sessionId] }
      t.same(deliveredMessages(t, agentSide[index].events), own, `agent ${agentId}'s stream carried their session's messages once, in order`)
    }
  })

  t.test('a stream resumed from the stream.ready id of an idle stream gets exactly what happened since', async (t) => {
    const tenantId = await createTenant(t, context, 'Idle')
    const agentStream = (options: OpenOptions = {}) =>
      openStream(t, base, 'streamAgentEvents', '/livechat/events', { headers: { ...agentHeaders(context, tenantId, 1), ...options.headers } })
    const idle = await agentStream()
    const ready = await idle.next(t, (event) => event.event === 'stream.ready')
    idle.close()

    const sessionId = await openSession(t, context, tenantId, 1)
    const missed = [
      await sendMessage(t, context, tenantId, sessionId, 'first'),
      await sendClientMessage(t, context, tenantId, sessionId, 'second'),
      await sendMessage(t, context, tenantId, sessionId, 'third'),
    ]
    await closeSession(t, context, tenantId, sessionId)

    const resumed = await agentStream({ headers: { 'last-event-id': ready.id! } })
    await resumed.next(t, (event) => event.event === 'session.closed')
    // A live event after the replay: anything replayed twice would arrive before it.
    const nextSession = await openSession(t, context, tenantId, 1)
    const live = await sendMessage(t, context, tenantId, nextSession, 'live')
    await arrival(t, resumed, live.id)

    t.same(
      resumed.events.map((event) => [event.event, event.data.message?.id ?? event.data.session?.id ?? null]),
      [
        ['stream.ready', null],
        ['session.opened', sessionId],
        ...missed.map((message) => ['message.created', message.id]),
        ['session.closed', sessionId],
        ['session.opened', nextSession],
        ['message.created', live.id],
      ],
      'the missed events once, in order, then live ones',
    )
    t.ok(resumed.events.every((event) => event.id !== undefined), 'every stored event carries an id')
    await closeSession(t, context, tenantId, nextSession)
  })

  t.test('an id this caller could not have received is 400 naming Last-Event-ID, before the stream starts', async (t) => {
    const tenantId = await createTenant(t, context, 'Refusals')
    const otherTenant = await createTenant(t, context, 'Refusals elsewhere')
    const agentEvents = ['streamAgentEvents', '/livechat/events'] as const
    const clientEvents = ['streamClientEvents', '/livechat/client/events'] as const
    const idOf = async ([operationId, path]: readonly [string, string], headers: Record<string, string>) => {
      const stream = await openStream(t, base, operationId, path, { headers })
      const ready = await stream.next(t, (event) => event.event === 'stream.ready')
      stream.close()
      return ready.id!
    }
    const agentOne = agentHeaders(context, tenantId, 1, [tenantId, otherTenant])
    const agentOneId = await idOf(agentEvents, agentOne)
    const bothRoles = {
      authorization: `Bearer ${context.token({ sub: 5, roles: ['SUPPORT_AGENT', 'TENANT_USER'], tenants: [tenantId] })}`,
      'x-tenant-id': String(tenantId),
    }
    const agentSideIdOfUserFive = await idOf(agentEvents, bothRoles)
    const withId = (headers: Record<string, string>, id: string) => ({ headers: { ...headers, 'last-event-id': id } })

    const refusals: [string, readonly [string, string], OpenOptions][] = [
      ['malformed text', agentEvents, withId(agentOne, 'not-an-event-id')],
      ['malformed text as last_event_id', agentEvents, { headers: agentOne, query: { last_event_id: 'a1:x-1' } }],
      ["an id of another user's stream", agentEvents, withId(agentHeaders(context, tenantId, 2), agentOneId)],
      ["an id of another tenant's stream, same user", agentEvents, withId(agentHeaders(context, otherTenant, 1, [tenantId, otherTenant]), agentOneId)],
      ['an id naming a tenant the token does not list', agentEvents, withId(agentHeaders(context, otherTenant, 1, [otherTenant]), agentOneId)],
      ["an id of the same user's agent stream, on the client stream", clientEvents, withId(bothRoles, agentSideIdOfUserFive)],
      ['an id beyond any event sent', agentEvents, withId(agentOne, agentOneId.replace(/-\d+$/, '-999999999'))],
    ]
    for (const [what, [operationId, path], options] of refusals) {
      const refused = await EventStreamClient.open(t, base, operationId, path, options)
      t.equal(refused.status, 400, `${what} is 400`)
      const body = refused.stream ? undefined : refused.body
      t.same(body && Object.keys(body.errors), ['Last-Event-ID'], `${what}: errors name Last-Event-ID`)
    }
  })
})
