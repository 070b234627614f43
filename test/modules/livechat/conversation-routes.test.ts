import { randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import t, { type Test } from 'tap'
import {
  agentHeaders,
  allPages,
  closeSession,
  createTenant,
  openSession,
  sendClientMessage,
  sendMessage,
  tenantUserHeaders,
} from '../../helpers/fixtures.js'
import { openStream, listening, type EventStreamClient, type ReceivedEvent } from '../../helpers/event-stream.js'
import { untypedBody } from '../../helpers/operation-types.js'
import { onEachDatabase } from '../../helpers/test-app.js'
import type { components } from '../../../generated/openapi.js'

type ChatSession = components['schemas']['ChatSession']
type SessionReadState = components['schemas']['SessionReadState']

const rfc3339Utc = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/

// Issue: "Typing: POST …/typing → 202; an ephemeral `typing` event (no id, not stored) to the other participants;
// at most one per user per session per second is forwarded (excess: 202, dropped). Read receipts: POST …/read with
// { message_id } store the caller's last-read position (it only moves forward), emit a `read` event to the other
// side, and every session in the session lists and GET of one session reports `unread_count` for the caller."
onEachDatabase(t, async (t, context) => {
  const base = await listening(context)
  const tenantId = await createTenant(t, context, 'Signals')

  type Side = 'agent' | 'tenant'
  /** Who calls: an agent on the agents' calls, a tenant user on the client calls. */
  type Caller = { side: Side; userId: number; tenant?: number }
  const agent = (userId: number, tenant = tenantId): Caller => ({ side: 'agent', userId, tenant })
  const user = (userId: number, tenant = tenantId): Caller => ({ side: 'tenant', userId, tenant })
  const headersOf = ({ side, userId, tenant = tenantId }: Caller) =>
    side === 'agent' ? agentHeaders(context, tenant, userId) : tenantUserHeaders(context, tenant, userId)
  const prefixOf = (side: Side) => (side === 'agent' ? '/livechat/sessions' : '/livechat/client/sessions')

  /** A stream that has said stream.ready: from then on it receives what happens. */
  async function streamOf(t: Test, caller: Caller, lastEventId?: string): Promise<EventStreamClient> {
    const [operationId, path] = caller.side === 'agent' ? ['streamAgentEvents', '/livechat/events'] : ['streamClientEvents', '/livechat/client/events']
    const headers = { ...headersOf(caller), ...(lastEventId && { 'last-event-id': lastEventId }) }
    const stream = await openStream(t, base, operationId, path, { headers })
    await stream.next(t, (event) => event.event === 'stream.ready')
    return stream
  }

  const typing = (t: Test, sessionId: string, caller: Caller) =>
    context.call(t, caller.side === 'agent' ? 'sendTyping' : 'sendClientTyping', {
      method: 'POST',
      url: `${prefixOf(caller.side)}/${sessionId}/typing`,
      headers: headersOf(caller),
    })

  /** A typing call that must be accepted; `forwarded` is what data.forwarded must say. */
  async function typed(t: Test, sessionId: string, caller: Caller, forwarded: boolean) {
    const response = await typing(t, sessionId, caller)
    t.equal(response.statusCode, 202, `${caller.side} ${caller.userId} typing is 202`)
    t.match(response.json(), { success: true, data: { forwarded }, errors: null }, `forwarded is ${forwarded}`)
  }

  const markRead = (t: Test, sessionId: string, caller: Caller, payload: unknown) =>
    context.call(t, caller.side === 'agent' ? 'markSessionRead' : 'markClientSessionRead', {
      method: 'POST',
      url: `${prefixOf(caller.side)}/${sessionId}/read`,
      headers: headersOf(caller),
      payload: untypedBody(payload),
    })

  /** A read call that must succeed. */
  async function read(t: Test, sessionId: string, caller: Caller, messageId: string): Promise<SessionReadState> {
    const response = await markRead(t, sessionId, caller, { message_id: messageId })
    t.equal(response.statusCode, 200, `${caller.side} ${caller.userId} read up to ${messageId}: 200`)
    return response.json().data
  }

  /** `unread_count` of the session for the caller, from GET of the session and from the session list, which must agree. */
  async function unreadOf(t: Test, sessionId: string, caller: Caller): Promise<number> {
    const got = await context.call(t, caller.side === 'agent' ? 'getSession' : 'getClientSession', {
      method: 'GET',
      url: `${prefixOf(caller.side)}/${sessionId}`,
      headers: headersOf(caller),
    })
    t.equal(got.statusCode, 200, 'GET of the session is 200')
    const listed = await allPages<ChatSession>(t, context, caller.side === 'agent' ? 'listSessions' : 'listClientSessions', {
      url: prefixOf(caller.side),
      headers: headersOf(caller),
    })
    const inList = listed.find((session) => session.id === sessionId)
    t.ok(inList, 'the session is in the list')
    t.equal(inList?.unread_count, got.json().data.unread_count, `${caller.side} ${caller.userId}: the list and GET agree on unread_count`)
    return got.json().data.unread_count
  }

  /**
   * The events a stream got before the `message.created` of `markerId`, waiting for that marker: a stored
   * event sent after the call under test, which one instance delivers in the order things happened.
   */
  async function eventsBefore(t: Test, stream: EventStreamClient, markerId: string): Promise<ReceivedEvent[]> {
    const isMarker = (event: ReceivedEvent) => event.event === 'message.created' && event.data.message.id === markerId
    await stream.next(t, isMarker)
    return stream.events.slice(0, stream.events.findIndex(isMarker))
  }

  const typingIn = (sessionId: string) => (event: ReceivedEvent) => event.event === 'typing' && event.data.session_id === sessionId
  const readIn = (sessionId: string) => (event: ReceivedEvent) => event.event === 'read' && event.data.session_id === sessionId
  /** The `read` event that a move of `userId`'s position to `messageId` sends. */
  const readEvent = (sessionId: string, userId: number, side: 'agent' | 'tenant', messageId: string, readAt: string) => ({
    type: 'read',
    tenant_id: tenantId,
    session_id: sessionId,
    user_id: userId,
    side,
    last_read_message_id: messageId,
    read_at: readAt,
  })

  t.test("a tenant user's typing reaches the session's agent and the other tenant users without an id, never the typist", async (t) => {
    const sessionId = await openSession(t, context, tenantId, 11)
    const otherSession = await openSession(t, context, tenantId, 12)
    const [sessionAgent, otherAgent, typist, otherUser] = [
      await streamOf(t, agent(11)),
      await streamOf(t, agent(12)),
      await streamOf(t, user(2)),
      await streamOf(t, user(3)),
    ]
    await typed(t, sessionId, user(2), true)
    const expected = { type: 'typing', tenant_id: tenantId, session_id: sessionId, user_id: 2, side: 'tenant' }
    for (const [name, stream] of [['the session agent', sessionAgent], ['another tenant user', otherUser]] as const) {
      const event = await stream.next(t, typingIn(sessionId))
      t.same(event.data, expected, `${name} learns that user 2 is typing`)
      t.equal(event.id, undefined, `${name}: a typing event has no id`)
    }
    const marker = await sendMessage(t, context, tenantId, sessionId, 'after the typing', 11)
    t.notOk((await eventsBefore(t, typist, marker.id)).some(typingIn(sessionId)), "the typist's own stream does not get it")
    const otherMarker = await sendMessage(t, context, tenantId, otherSession, 'in the other session', 12)
    t.notOk((await eventsBefore(t, otherAgent, otherMarker.id)).some((event) => event.event === 'typing'), 'the agent of another session does not')
    await closeSession(t, context, tenantId, sessionId, 11)
    await closeSession(t, context, tenantId, otherSession, 12)
  })

  t.test("an agent's typing reaches the tenant users' streams with side agent, not the agent's own stream", async (t) => {
    const sessionId = await openSession(t, context, tenantId, 13)
    const [typist, first, second] = [await streamOf(t, agent(13)), await streamOf(t, user(2)), await streamOf(t, user(3))]
    await typed(t, sessionId, agent(13), true)
    for (const stream of [first, second]) {
      const event = await stream.next(t, typingIn(sessionId))
      t.same(event.data, { type: 'typing', tenant_id: tenantId, session_id: sessionId, user_id: 13, side: 'agent' })
      t.equal(event.id, undefined, 'a typing event has no id')
    }
    const marker = await sendClientMessage(t, context, tenantId, sessionId, 'after the typing', 2)
    t.notOk((await eventsBefore(t, typist, marker.id)).some(typingIn(sessionId)), "the agent's own stream does not get it")
    await closeSession(t, context, tenantId, sessionId, 13)
  })

  t.test('a second typing by the same user in the same session within a second is 202, forwarded false, and not delivered', async (t) => {
    const sessionId = await openSession(t, context, tenantId, 14)
    const sessionAgent = await streamOf(t, agent(14))
    await typed(t, sessionId, user(2), true)
    await typed(t, sessionId, user(2), false)
    const marker = await sendClientMessage(t, context, tenantId, sessionId, 'after two typings', 3)
    t.equal((await eventsBefore(t, sessionAgent, marker.id)).filter(typingIn(sessionId)).length, 1, 'only the first typing was delivered')
    await sleep(1100)
    await typed(t, sessionId, user(2), true)
    const later = await sessionAgent.next(t, typingIn(sessionId))
    t.equal(later.data.user_id, 2, 'a second later, typing is forwarded again')
    await closeSession(t, context, tenantId, sessionId, 14)
  })

  t.test("the once-a-second limit is one user's in one session: another user, or another session, is forwarded", async (t) => {
    const sessionId = await openSession(t, context, tenantId, 15)
    const otherSession = await openSession(t, context, tenantId, 16)
    const [agentOfSession, agentOfOther] = [await streamOf(t, agent(15)), await streamOf(t, agent(16))]
    await typed(t, sessionId, user(2), true)
    await typed(t, sessionId, user(3), true)
    await typed(t, sessionId, agent(15), true)
    await typed(t, otherSession, user(2), true)
    const marker = await sendClientMessage(t, context, tenantId, sessionId, 'after the typings', 4)
    const seen = (await eventsBefore(t, agentOfSession, marker.id)).filter(typingIn(sessionId))
    t.same(
      seen.map((event) => event.data.user_id),
      [2, 3],
      'the agent hears both tenant users (and not their own typing)',
    )
    const inOther = await agentOfOther.next(t, typingIn(otherSession))
    t.equal(inOther.data.user_id, 2, 'user 2 typing in the other session reaches its agent')
    await closeSession(t, context, tenantId, sessionId, 15)
    await closeSession(t, context, tenantId, otherSession, 16)
  })

  t.test('typing in a CLOSED session is 400 and reaches no one', async (t) => {
    const sessionId = await openSession(t, context, tenantId, 17)
    const openOne = await openSession(t, context, tenantId, 18)
    await closeSession(t, context, tenantId, sessionId, 17)
    const watcher = await streamOf(t, user(3))
    for (const caller of [agent(17), user(2)]) {
      const response = await typing(t, sessionId, caller)
      t.equal(response.statusCode, 400, `${caller.side} typing in a closed session is 400`)
      t.match(response.json(), { success: false, message: 'Session is closed', data: null, errors: { id: [String] } })
    }
    const marker = await sendMessage(t, context, tenantId, openOne, 'a later event', 18)
    t.notOk((await eventsBefore(t, watcher, marker.id)).some(typingIn(sessionId)), 'no typing event was sent')
    await closeSession(t, context, tenantId, openOne, 18)
  })

  t.test("typing in an unknown session or another tenant's session is 404", async (t) => {
    const otherTenant = await createTenant(t, context, 'Signals elsewhere')
    const foreign = await openSession(t, context, otherTenant, 19)
    for (const caller of [agent(19), user(2)]) {
      for (const [what, sessionId] of [['an unknown session', randomUUID()], ["another tenant's session", foreign]]) {
        const response = await typing(t, sessionId, caller)
        t.equal(response.statusCode, 404, `${caller.side} typing in ${what} is 404`)
        t.match(response.json(), { success: false, message: 'Session not found', data: null, errors: { id: [String] } })
      }
    }
    await closeSession(t, context, otherTenant, foreign, 19)
  })

  t.test('typing is never replayed: a stream resumed from before it gets the stored events only', async (t) => {
    const sessionId = await openSession(t, context, tenantId, 20)
    const first = await streamOf(t, user(2))
    const resumeFrom = first.lastId!
    await typed(t, sessionId, agent(20), true)
    t.equal((await first.next(t, typingIn(sessionId))).id, undefined, 'the live stream got the typing, without an id')
    const marker = await sendMessage(t, context, tenantId, sessionId, 'stored after the typing', 20)
    await first.next(t, (event) => event.event === 'message.created' && event.data.message.id === marker.id)
    first.close()

    const resumed = await streamOf(t, user(2), resumeFrom)
    const replayed = await resumed.next(t, (event) => event.event === 'message.created' && event.data.message.id === marker.id)
    t.ok(replayed.id, 'the stored message is replayed with its id')
    t.notOk(resumed.events.some((event) => event.event === 'typing'), 'the typing is not replayed')
    await closeSession(t, context, tenantId, sessionId, 20)
  })

  t.test('unread_count counts, for each reader, the messages others wrote after their position, on GET and in the lists', async (t) => {
    const sessionId = await openSession(t, context, tenantId, 41)
    t.equal(await unreadOf(t, sessionId, agent(41)), 0, 'a new session has nothing unread')
    await sendMessage(t, context, tenantId, sessionId, 'a1', 41)
    await sendClientMessage(t, context, tenantId, sessionId, 'u1', 2)
    await sendMessage(t, context, tenantId, sessionId, 'a2', 41)
    t.equal(await unreadOf(t, sessionId, agent(41)), 1, "the session's agent: user 2's message, not their own two")
    t.equal(await unreadOf(t, sessionId, user(2)), 2, "user 2: the agent's two messages, not their own")
    t.equal(await unreadOf(t, sessionId, user(3)), 3, 'user 3, who wrote nothing: all three')
    t.equal(await unreadOf(t, sessionId, agent(42)), 3, 'another agent, who wrote nothing: all three')
    await closeSession(t, context, tenantId, sessionId, 41)
    t.equal(await unreadOf(t, sessionId, user(2)), 2, 'a closed session still counts')
  })

  t.test('POST read moves the position and answers 200 with the SessionReadState and the new unread_count', async (t) => {
    const sessionId = await openSession(t, context, tenantId, 43)
    const a1 = await sendMessage(t, context, tenantId, sessionId, 'a1', 43)
    await sendMessage(t, context, tenantId, sessionId, 'a2', 43)
    const u1 = await sendClientMessage(t, context, tenantId, sessionId, 'u1', 2)
    const a3 = await sendMessage(t, context, tenantId, sessionId, 'a3', 43)

    const before = Date.now()
    const state = await read(t, sessionId, user(2), a1.id)
    t.match(state, { session_id: sessionId, user_id: 2, last_read_message_id: a1.id, unread_count: 2 }, 'a2 and a3 are unread; u1 is their own')
    t.match(state.read_at, rfc3339Utc, 'read_at is RFC 3339 in UTC')
    t.ok(Math.abs(Date.parse(state.read_at) - before) < 5000, `read_at ${state.read_at} is the time of the call`)
    t.equal(await unreadOf(t, sessionId, user(2)), 2, 'GET and the list say the same')

    t.match(await read(t, sessionId, user(2), a3.id), { last_read_message_id: a3.id, unread_count: 0 })
    t.equal(await unreadOf(t, sessionId, user(2)), 0)
    await sendMessage(t, context, tenantId, sessionId, 'a4', 43)
    t.equal(await unreadOf(t, sessionId, user(2)), 1, 'a message after the position is unread')

    t.equal(await unreadOf(t, sessionId, agent(43)), 1, 'the agent has u1 unread')
    t.match(await read(t, sessionId, agent(43), u1.id), { session_id: sessionId, user_id: 43, last_read_message_id: u1.id, unread_count: 0 })
    t.equal(await unreadOf(t, sessionId, agent(43)), 0, "the agent's own later messages do not count")
    await sendClientMessage(t, context, tenantId, sessionId, 'u2', 3)
    t.equal(await unreadOf(t, sessionId, agent(43)), 1)
    await closeSession(t, context, tenantId, sessionId, 43)
  })

  t.test("a read reaches the other side's streams as a stored event with an id, never the reader's own side", async (t) => {
    const sessionId = await openSession(t, context, tenantId, 44)
    const [sessionAgent, reader, otherUser] = [await streamOf(t, agent(44)), await streamOf(t, user(2)), await streamOf(t, user(3))]
    const a1 = await sendMessage(t, context, tenantId, sessionId, 'a1', 44)
    const u1 = await sendClientMessage(t, context, tenantId, sessionId, 'u1', 2)

    const byUser = await read(t, sessionId, user(2), a1.id)
    const toAgent = await sessionAgent.next(t, readIn(sessionId))
    t.ok(toAgent.id, 'a read event carries an id')
    t.same(toAgent.data, readEvent(sessionId, 2, 'tenant', a1.id, byUser.read_at))
    const afterUserRead = await sendMessage(t, context, tenantId, sessionId, 'a2', 44)
    for (const stream of [reader, otherUser]) {
      t.notOk((await eventsBefore(t, stream, afterUserRead.id)).some(readIn(sessionId)), "a tenant user's read stays off the tenant side")
    }

    const byAgent = await read(t, sessionId, agent(44), u1.id)
    for (const stream of [reader, otherUser]) {
      const event = await stream.next(t, readIn(sessionId))
      t.ok(event.id, 'a read event carries an id')
      t.same(event.data, readEvent(sessionId, 44, 'agent', u1.id, byAgent.read_at))
    }
    const afterAgentRead = await sendClientMessage(t, context, tenantId, sessionId, 'u2', 3)
    t.same(
      (await eventsBefore(t, sessionAgent, afterAgentRead.id)).filter(readIn(sessionId)).map((event) => event.data.side),
      ['tenant'],
      "the agent's stream got the tenant user's read only, not their own",
    )
    await closeSession(t, context, tenantId, sessionId, 44)
  })

  t.test('a read event is replayed to the other side on resume, and not to the reader', async (t) => {
    const sessionId = await openSession(t, context, tenantId, 45)
    const a1 = await sendMessage(t, context, tenantId, sessionId, 'a1', 45)
    const [agentBefore, readerBefore] = [await streamOf(t, agent(45)), await streamOf(t, user(2))]
    const [agentFrom, readerFrom] = [agentBefore.lastId!, readerBefore.lastId!]
    agentBefore.close()
    readerBefore.close()

    const state = await read(t, sessionId, user(2), a1.id)
    const marker = await sendClientMessage(t, context, tenantId, sessionId, 'after the read', 3)

    const agentAgain = await streamOf(t, agent(45), agentFrom)
    const replayed = await agentAgain.next(t, readIn(sessionId))
    t.ok(replayed.id, 'the replayed read carries its id')
    t.same(replayed.data, readEvent(sessionId, 2, 'tenant', a1.id, state.read_at))
    const readerAgain = await streamOf(t, user(2), readerFrom)
    t.notOk((await eventsBefore(t, readerAgain, marker.id)).some(readIn(sessionId)), "the reader's side gets no replay of it")
    await closeSession(t, context, tenantId, sessionId, 45)
  })

  t.test('reading an older message, or the same one again, changes nothing: the position stays and no event is sent', async (t) => {
    const sessionId = await openSession(t, context, tenantId, 46)
    const sessionAgent = await streamOf(t, agent(46))
    const a1 = await sendMessage(t, context, tenantId, sessionId, 'a1', 46)
    const a2 = await sendMessage(t, context, tenantId, sessionId, 'a2', 46)
    await sendMessage(t, context, tenantId, sessionId, 'a3', 46)
    const state = await read(t, sessionId, user(2), a2.id)
    t.equal(state.unread_count, 1)
    await sleep(20)
    t.same(await read(t, sessionId, user(2), a1.id), state, 'an older message: the same position, read_at and unread_count')
    t.same(await read(t, sessionId, user(2), a2.id), state, 'the same message again: unchanged')
    t.equal(await unreadOf(t, sessionId, user(2)), 1)
    const marker = await sendClientMessage(t, context, tenantId, sessionId, 'after the reads', 2)
    t.equal((await eventsBefore(t, sessionAgent, marker.id)).filter(readIn(sessionId)).length, 1, 'only the read that moved was sent')
    await closeSession(t, context, tenantId, sessionId, 46)
  })

  t.test('a message id that is not of the session is 400 naming message_id, and the position stays', async (t) => {
    const sessionId = await openSession(t, context, tenantId, 47)
    const otherSession = await openSession(t, context, tenantId, 48)
    const own = await sendMessage(t, context, tenantId, sessionId, 'in this session', 47)
    await sendClientMessage(t, context, tenantId, sessionId, 'u1', 2)
    const elsewhere = await sendMessage(t, context, tenantId, otherSession, 'in the other session', 48)
    for (const caller of [agent(47), user(2)]) {
      for (const [what, messageId] of [['a message of another session', elsewhere.id], ['no message at all', randomUUID()]]) {
        const response = await markRead(t, sessionId, caller, { message_id: messageId })
        t.equal(response.statusCode, 400, `${caller.side}, ${what}: 400`)
        t.match(response.json(), { success: false, data: null, errors: { message_id: [String] } }, 'errors names message_id')
      }
    }
    t.equal(await unreadOf(t, sessionId, agent(47)), 1, "the agent's position did not move")
    t.equal(await unreadOf(t, sessionId, user(2)), 1, "user 2's position did not move")
    t.match(await read(t, sessionId, user(2), own.id), { last_read_message_id: own.id, unread_count: 0 })
    await closeSession(t, context, tenantId, sessionId, 47)
    await closeSession(t, context, tenantId, otherSession, 48)
  })

  t.test("reading an unknown session or another tenant's session is 404", async (t) => {
    const otherTenant = await createTenant(t, context, 'Reads elsewhere')
    const foreign = await openSession(t, context, otherTenant, 49)
    const foreignMessage = await sendMessage(t, context, otherTenant, foreign, 'elsewhere', 49)
    for (const caller of [agent(49), user(2)]) {
      for (const [what, sessionId, messageId] of [
        ['an unknown session', randomUUID(), randomUUID()],
        ["another tenant's session, with its message", foreign, foreignMessage.id],
      ]) {
        const response = await markRead(t, sessionId, caller, { message_id: messageId })
        t.equal(response.statusCode, 404, `${caller.side}, ${what}: 404`)
        t.match(response.json(), { success: false, message: 'Session not found', data: null, errors: { id: [String] } })
      }
    }
    await closeSession(t, context, otherTenant, foreign, 49)
  })

  t.test('a body without message_id, or with one that is not a uuid, is 400 naming message_id', async (t) => {
    const sessionId = await openSession(t, context, tenantId, 50)
    const bodies: [string, unknown][] = [
      ['no message_id', {}],
      ['a malformed uuid', { message_id: 'not-a-uuid' }],
      ['a uuid with a character too few', { message_id: randomUUID().slice(1) }],
      ['a number', { message_id: 42 }],
      ['null', { message_id: null }],
    ]
    for (const caller of [agent(50), user(2)]) {
      for (const [what, body] of bodies) {
        const response = await markRead(t, sessionId, caller, body)
        t.equal(response.statusCode, 400, `${caller.side}, ${what}: 400`)
        t.match(response.json(), { success: false, data: null, errors: { message_id: [String] } }, 'errors names message_id')
      }
    }
    await closeSession(t, context, tenantId, sessionId, 50)
  })

  t.test("one user's read position does not change another user's unread_count", async (t) => {
    const sessionId = await openSession(t, context, tenantId, 51)
    await sendMessage(t, context, tenantId, sessionId, 'a1', 51)
    await sendMessage(t, context, tenantId, sessionId, 'a2', 51)
    const fromUser3 = await sendClientMessage(t, context, tenantId, sessionId, 'u3', 3)
    t.equal((await read(t, sessionId, user(2), fromUser3.id)).unread_count, 0, 'user 2 has read everything')
    t.equal(await unreadOf(t, sessionId, user(3)), 2, "user 3 still has the agent's two unread")
    t.equal(await unreadOf(t, sessionId, agent(51)), 1, "the agent still has user 3's message unread")
    t.equal((await read(t, sessionId, agent(51), fromUser3.id)).unread_count, 0, 'the agent has read everything')
    t.equal(await unreadOf(t, sessionId, user(3)), 2, "user 3's count is still their own")
    t.equal(await unreadOf(t, sessionId, user(2)), 0, "user 2's position is unchanged")
    t.equal(await unreadOf(t, sessionId, agent(52)), 3, 'an agent who read nothing still has all three unread')
    await closeSession(t, context, tenantId, sessionId, 51)
  })
})
