import { sql } from 'drizzle-orm'
import t from 'tap'
import { eventRepository } from '../../../src/modules/event-log/event-repository.js'
import { EventStreamClient, listening, openStream } from '../../helpers/event-stream.js'
import { createTenant, openSession, sendMessage, tenantUserHeaders } from '../../helpers/fixtures.js'
import { onEachDatabase } from '../../helpers/test-app.js'

// Stored events are kept STREAM_RETENTION_HOURS (168 by default) for resuming; a resume from further back
// cannot be served without a gap, so it is refused (410) rather than silently skipping what was deleted.
onEachDatabase(t, async (t, context) => {
  const base = await listening(context)
  const tenantId = await createTenant(t, context, 'Retention')
  const sessionId = await openSession(t, context, tenantId, 1)
  const headers = tenantUserHeaders(context, tenantId)
  const stream = await openStream(t, base, 'streamClientEvents', '/livechat/client/events', { headers })
  const ready = await stream.next(t, (event) => event.event === 'stream.ready')
  const sent: { id: string }[] = []
  for (let index = 0; index < 3; index++) sent.push(await sendMessage(t, context, tenantId, sessionId, `message ${index}`))
  await stream.collect(t, ['message.created', 'notification.created'], 6)
  // The first message's two events (the message and its notification) are made 200 hours old, then pruned.
  const lastExpired = stream.events.find((event) => event.event === 'notification.created' && event.data.notification.message_id === sent[0].id)!
  const { pool } = context.app.database
  await pool.execute(sql`update stream_events set created_at = now() - interval '200 hours'
    where tenant_id = ${tenantId} and data like ${`%${sent[0].id}%`}`)
  t.equal(await context.app.services.transactions.run((tx) => eventRepository.prune(tx, 168)), 2, 'the expired message and its notification are deleted, nothing newer')

  t.test('a resume from before the deleted events is 410, naming Last-Event-ID', async (t) => {
    const refused = await EventStreamClient.open(t, base, 'streamClientEvents', '/livechat/client/events', {
      headers: { ...headers, 'last-event-id': ready.id! },
    })
    t.equal(refused.status, 410)
    t.ok(!refused.stream && refused.body.errors['Last-Event-ID'], 'errors name Last-Event-ID')
  })

  t.test('a resume from the last deleted event on replays what is kept, in order', async (t) => {
    const resumed = await openStream(t, base, 'streamClientEvents', '/livechat/client/events', {
      headers: { ...headers, 'last-event-id': lastExpired.id! },
    })
    const replayed = await resumed.collect(t, ['message.created'], 2)
    t.same(
      replayed.map((event) => event.data.message.id),
      [sent[1].id, sent[2].id],
    )
  })
})
