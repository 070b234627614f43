// Measures what a user's notification calls cost as a tenant's history grows: the unread count and the
// unread list follow what is unread (after the user's read-all mark), not the history.
//   npm run bench:notifications -- [--history 200000] [--requests 200] [--smoke]
// --smoke: 500 notifications, 10 requests per figure (CI runs it so, to keep the benchmark working).
// Uses a fresh database on DATABASE_URL's server when set (dropped afterwards), else in-memory PGlite.
import { parseArgs } from 'node:util'
import { sql } from 'drizzle-orm'
import { createTokenSigner } from '../../src/platform/tokens.js'
import { openBenchApp, timeRuns } from './bench-app.js'

const { values } = parseArgs({ options: { history: { type: 'string' }, requests: { type: 'string' }, smoke: { type: 'boolean', default: false } } })
const history = Number(values.history ?? (values.smoke ? 500 : 200_000))
const requestCount = Number(values.requests ?? (values.smoke ? 10 : 200))

const { app, config, close } = await openBenchApp()
try {
  const { pool, driver } = app.database
  const tenant = await app.services.tenants.create({ name: 'Bench' })
  const started = performance.now()
  // Broadcast chat notifications by agent 1, one a second into the past, as a busy tenant accumulates them.
  await pool.execute(sql`insert into notifications (tenant_id, id, type, recipient_id, author_id, text, created_at)
    select ${tenant.id}, gen_random_uuid(), 'CHAT_MESSAGE', null, 1, 'Agent 1: message ' || n, now() - n * interval '1 second'
    from generate_series(1, ${history}) as n`)
  await pool.execute(sql`analyze notifications`)
  console.log(`${driver}: ${history.toLocaleString('en')} notifications in one tenant, inserted in ${((performance.now() - started) / 1000).toFixed(1)} s`)

  const token = createTokenSigner(config)({ sub: 2, roles: ['TENANT_USER'], tenants: [tenant.id] })
  const headers = { authorization: `Bearer ${token}`, 'x-tenant-id': String(tenant.id) }
  const call = async (method: 'GET' | 'POST', url: string) => {
    const response = await app.inject({ method, url, headers })
    if (response.statusCode !== 200) throw new Error(`${url}: ${response.statusCode} ${response.body.slice(0, 200)}`)
    return response.json().data
  }
  const report = async (label: string) => {
    const count = await timeRuns(requestCount, () => call('GET', '/notifications/unread-count').then(() => undefined))
    const list = await timeRuns(requestCount, () => call('GET', '/notifications?unread_only=true&limit=20').then(() => undefined))
    console.log(`${label}\n  unread-count: ${count}\n  unread_only page of 20: ${list}`)
  }

  await report(`never read (${(await call('GET', '/notifications/unread-count')).unread} unread)`)
  const readAll = performance.now()
  const { marked_read: marked } = await call('POST', '/notifications/read-all')
  console.log(`read-all marked ${marked.toLocaleString('en')} in ${(performance.now() - readAll).toFixed(0)} ms`)
  await pool.execute(sql`insert into notifications (tenant_id, id, type, recipient_id, author_id, text)
    select ${tenant.id}, gen_random_uuid(), 'CHAT_MESSAGE', null, 1, 'Agent 1: new ' || n from generate_series(1, 20) as n`)
  await report(`after read-all and 20 new (${(await call('GET', '/notifications/unread-count')).unread} unread)`)
} finally {
  await close()
}
