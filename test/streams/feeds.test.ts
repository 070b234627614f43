import postgres from 'postgres'
import t from 'tap'
import { createTenant, openSession, sendMessage, tenantUserHeaders } from '../helpers/fixtures.js'
import { listening, openStream } from '../helpers/event-stream.js'
import { buildTestApp } from '../helpers/test-app.js'

// The hub follows each tenant once for all of an instance's streams and re-reads the tenants' heads every
// second. A stream whose tenant it starts following while such a poll is under way must be served like any:
// the poll's answer does not name that tenant, which is no reason to think it inactive.
t.test('a stream opened while the hub polls keeps its tenant', { skip: !process.env.DATABASE_URL && 'needs DATABASE_URL (a PostgreSQL server)' }, async (t) => {
  const context = await buildTestApp(t, 'postgres')
  const base = await listening(context)
  const first = await createTenant(t, context, 'Followed first')
  const second = await createTenant(t, context, 'Followed during a poll')
  const sessionId = await openSession(t, context, second, 1)
  const firstStream = await openStream(t, base, 'streamClientEvents', '/livechat/client/events', { headers: tenantUserHeaders(context, first, 101) })
  await firstStream.next(t, (event) => event.event === 'stream.ready')

  // Another connection holds the heads table, so the next poll (within a second) waits on it; the second
  // tenant's stream starts meanwhile, and its own read of the head queues behind the poll's.
  const blocker = postgres(context.config.DATABASE_URL!, { max: 1, onnotice: () => {} })
  t.teardown(() => blocker.end())
  const released = blocker.begin(async (sql) => {
    await sql`lock table tenant_event_heads in access exclusive mode`
    await new Promise((resolve) => setTimeout(resolve, 1500))
  })
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
