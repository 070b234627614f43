import { sql } from 'drizzle-orm'
import { request } from 'node:http'
import postgres from 'postgres'
import t from 'tap'
import { eventRepository } from '../../../src/modules/event-log/event-repository.js'
import { agentHeaders, createTenant, openSession, sendMessage, tenantUserHeaders } from '../../helpers/fixtures.js'
import { EventStreamClient, listening, openStream } from '../../helpers/event-stream.js'
import { buildTestApp, onEachDatabase, testOn, type TestApp } from '../../helpers/test-app.js'


/** Holds the event heads table from another connection for `milliseconds`, so reads of it wait. */
function holdHeads(t: Parameters<Parameters<typeof onEachDatabase>[1]>[0], context: TestApp, milliseconds: number) {
  const blocker = postgres(context.config.DATABASE_URL!, { max: 1, onnotice: () => {} })
  t.teardown(() => blocker.end())
  return blocker.begin(async (sql) => {
    await sql`lock table tenant_event_heads in access exclusive mode`
    await new Promise((resolve) => setTimeout(resolve, milliseconds))
  })
}

// The hub follows each tenant once for all of an instance's streams and re-reads the tenants' heads every
// second. A stream whose tenant it starts following while such a poll is under way must be served like any:
// the poll's answer does not name that tenant, which is no reason to think it inactive.
testOn(t, 'postgres', 'a stream opened while the hub polls keeps its tenant', async (t) => {
  const context = await buildTestApp(t, 'postgres')
  const base = await listening(context)
  const first = await createTenant(t, context, 'Followed first')
  const second = await createTenant(t, context, 'Followed during a poll')
  const sessionId = await openSession(t, context, second, 1)
  const firstStream = await openStream(t, base, 'streamClientEvents', '/livechat/client/events', { headers: tenantUserHeaders(context, first, 101) })
  await firstStream.next(t, (event) => event.event === 'stream.ready')

  // The next poll (within a second) waits on the held table; the second tenant's stream starts meanwhile.
  const released = holdHeads(t, context, 1500)
  await new Promise((resolve) => setTimeout(resolve, 1200))
  const opening = openStream(t, base, 'streamClientEvents', '/livechat/client/events', { headers: tenantUserHeaders(context, second, 102) })
  await released
  const stream = await opening
  await stream.next(t, (event) => event.event === 'stream.ready')
  const message = await sendMessage(t, context, second, sessionId, 'after the poll')
  const received = await stream.next(t, (event) => event.event === 'message.created' || event.event === 'stream.reconnect')
  t.equal(received.event, 'message.created', 'the stream was not ended as if its tenant were inactive')
  t.equal(received.data.message?.id, message.id)
})

// Issue: "A stream ends when … the client goes away; resources are freed at once."
testOn(t, 'postgres', 'a client that leaves while its stream is being prepared does not keep its slot', async (t) => {
  const context = await buildTestApp(t, 'postgres', { STREAM_MAX_PER_USER: '1' })
  const base = await listening(context)
  const tenantId = await createTenant(t, context, 'Impatient')
  const headers = tenantUserHeaders(context, tenantId, 7)
  const ready = await openStream(t, base, 'streamClientEvents', '/livechat/client/events', { headers })
  const resumeFrom = (await ready.next(t, (event) => event.event === 'stream.ready')).id!
  ready.close()
  await ready.ended

  // Resuming reads the heads, which another connection holds: the client gives up before the answer.
  const released = holdHeads(t, context, 800)
  await new Promise((resolve) => setTimeout(resolve, 100))
  const abandoned = request(new URL('/livechat/client/events', base), { headers: { ...headers, 'last-event-id': resumeFrom } })
  abandoned.on('error', () => {})
  abandoned.end()
  await new Promise((resolve) => setTimeout(resolve, 200))
  abandoned.destroy()
  await released
  await new Promise((resolve) => setTimeout(resolve, 300))
  const next = await EventStreamClient.open(t, base, 'streamClientEvents', '/livechat/client/events', { headers })
  t.equal(next.status, 200, 'the one slot is free again')
})

onEachDatabase(
  t,
  async (t, context) => {
    const base = await listening(context)

    // A stream's position also passes events that were not for it, and heartbeats carry it as an id-only
    // field (EventSource keeps it as its last event id): a quiet stream's resume neither rescans the
    // tenant's log since it opened nor looks older than it is once that log is pruned.
    t.test('a heartbeat moves the resume position past events that were not for the stream', async (t) => {
      const tenantId = await createTenant(t, context, 'Quiet')
      const busySession = await openSession(t, context, tenantId, 7)
      const quietSession = await openSession(t, context, tenantId, 1)
      const stream = await openStream(t, base, 'streamAgentEvents', '/livechat/events', { headers: agentHeaders(context, tenantId, 1) })
      const ready = await stream.next(t, (event) => event.event === 'stream.ready')
      for (let index = 0; index < 3; index++) await sendMessage(t, context, tenantId, busySession, `not for agent 1: ${index}`, 7)
      const deadline = Date.now() + 5000
      while (stream.lastId === ready.id && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50))
      t.not(stream.lastId, ready.id, 'a heartbeat carried a newer position')
      t.notOk(stream.events.some((event) => event.event === 'message.created'), 'and no event of agent 7 was sent')

      await context.app.database.pool.execute(sqlMakeOld(tenantId))
      t.ok((await context.app.services.transactions.run((tx) => eventRepository.prune(tx, 1))) > 0, "agent 7's events are pruned")
      stream.close()
      const resumed = await openStream(t, base, 'streamAgentEvents', '/livechat/events', {
        headers: { ...agentHeaders(context, tenantId, 1), 'last-event-id': stream.lastId! },
      })
      await resumed.next(t, (event) => event.event === 'stream.ready')
      const own = await sendMessage(t, context, tenantId, quietSession, 'for agent 1')
      t.equal((await resumed.next(t, (event) => event.event === 'message.created')).data.message.id, own.id)
    })
  },
  { STREAM_HEARTBEAT_SECONDS: '1' },
)

/** Every event of the tenant so far, made two hours old. */
function sqlMakeOld(tenantId: number) {
  return sql`update stream_events set created_at = now() - interval '2 hours' where tenant_id = ${tenantId}`
}
