// Measures what a page of messages costs at different depths of one session, through the whole stack
// (app.inject: auth, validation, service, SQL, serialisation). Keyset paging should cost the same at
// message 10 and message 1,000,000.
//   npm run bench:pagination -- [--messages 1000000] [--requests 300] [--smoke]
// --smoke: 200 messages, 20 requests per depth (CI runs it so, to keep the benchmark working).
// Uses a fresh database on DATABASE_URL's server when set (dropped afterwards), else in-memory PGlite.
import { performance } from 'node:perf_hooks'
import { parseArgs } from 'node:util'
import { and, eq, sql } from 'drizzle-orm'
import { chatMessages } from '../../src/modules/livechat/livechat-tables.js'
import { openBenchApp, timeRuns } from './bench-app.js'
import { createTokenSigner } from '../../src/platform/tokens.js'

const { values } = parseArgs({ options: { messages: { type: 'string' }, requests: { type: 'string' }, smoke: { type: 'boolean', default: false } } })
const messageCount = Number(values.messages ?? (values.smoke ? 200 : 1_000_000))
const requestCount = Number(values.requests ?? (values.smoke ? 20 : 300))

const { app, config, close } = await openBenchApp()
try {
  const { pool, driver } = app.database
  const tenant = await app.services.tenants.create({ name: 'Bench' })
  const sessionId = '01a1fcaa-0000-7000-8000-000000000001'
  const started = performance.now()
  await pool.execute(sql`insert into chat_sessions (tenant_id, id, agent_id, status, last_message_seq)
    values (${tenant.id}, ${sessionId}, 1, 'OPEN', ${messageCount})`)
  await pool.execute(sql`insert into chat_messages (tenant_id, id, session_id, seq, sender_id, message, created_at)
    select ${tenant.id}, gen_random_uuid(), ${sessionId}, seq, 1, 'message ' || seq, now() + seq * interval '1 microsecond'
    from generate_series(1, ${messageCount}) as seq`)
  await pool.execute(sql`analyze chat_messages`)
  console.log(`${driver}: ${messageCount.toLocaleString('en')} messages inserted in ${((performance.now() - started) / 1000).toFixed(1)} s`)

  const token = createTokenSigner(config)({ sub: 1, roles: ['SUPPORT_AGENT'], tenants: [tenant.id] })
  const headers = { authorization: `Bearer ${token}`, 'x-tenant-id': String(tenant.id) }
  const depths = [10, Math.floor(messageCount / 2), messageCount - 60].filter((depth) => depth > 0)
  for (const depth of depths) {
    const [cursor] = await pool
      .select({ id: chatMessages.id })
      .from(chatMessages)
      .where(and(eq(chatMessages.sessionId, sessionId), eq(chatMessages.seq, depth)))
    const url = `/livechat/sessions/${sessionId}/messages?limit=50&cursor=${cursor.id}`
    const timing = await timeRuns(requestCount, async () => {
      const response = await app.inject({ method: 'GET', url, headers })
      if (response.statusCode !== 200 || response.json().data.length !== 50) throw new Error(`unexpected page: ${response.body.slice(0, 200)}`)
    })
    console.log(`page of 50 after message ${depth.toLocaleString('en').padStart(9)}: ${timing} (${requestCount} requests)`)
  }
} finally {
  await close()
}
