// Measures sending messages through the whole stack (auth, validation, the session's row lock, the message
// and its notification in one transaction): throughput and latency with concurrent senders, on one
// session (they all queue for its lock) and spread over many sessions.
//   npm run bench:messages -- [--messages 4000] [--concurrency 32]
// Uses a fresh database on DATABASE_URL's server when set (dropped afterwards), else in-memory PGlite.
import { performance } from 'node:perf_hooks'
import { parseArgs } from 'node:util'
import { openBenchApp } from './bench-app.js'
import { createTokenSigner } from '../../src/platform/tokens.js'

const { values } = parseArgs({ options: { messages: { type: 'string', default: '4000' }, concurrency: { type: 'string', default: '32' } } })
const messageCount = Number(values.messages)
const concurrency = Number(values.concurrency)

const { app, config, close } = await openBenchApp()
const sign = createTokenSigner(config)
const admin = { authorization: `Bearer ${sign({ sub: 1, roles: ['PLATFORM_ADMIN'], tenants: [] })}` }

async function call(method: 'GET' | 'POST' | 'PUT', url: string, headers: Record<string, string>, payload?: object) {
  const response = await app.inject({ method, url, headers, ...(payload && { payload }) })
  if (response.statusCode >= 300) throw new Error(`${method} ${url}: ${response.statusCode} ${response.body.slice(0, 200)}`)
  return response.json().data
}

/** `sessionCount` OPEN sessions of one tenant, each with its own ONLINE agent. */
async function openSessions(sessionCount: number) {
  const tenant = await call('POST', '/admin/tenants', admin, { name: 'Bench' })
  const sessions: { url: string; headers: Record<string, string> }[] = []
  for (let agentId = 1; agentId <= sessionCount; agentId++) {
    const headers = { authorization: `Bearer ${sign({ sub: agentId, roles: ['SUPPORT_AGENT'], tenants: [tenant.id] })}`, 'x-tenant-id': String(tenant.id) }
    await call('PUT', '/livechat/agents/me/presence', headers, { status: 'ONLINE' })
    const session = await call('POST', '/livechat/sessions', headers, {})
    sessions.push({ url: `/livechat/sessions/${session.id}/messages`, headers })
  }
  return sessions
}

async function measure(label: string, sessionCount: number) {
  const sessions = await openSessions(sessionCount)
  const latencies: number[] = []
  let next = 0
  const started = performance.now()
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let index = next++; index < messageCount; index = next++) {
        const session = sessions[index % sessions.length]
        const before = performance.now()
        await call('POST', session.url, session.headers, { message: `message ${index}` })
        latencies.push(performance.now() - before)
      }
    }),
  )
  const seconds = (performance.now() - started) / 1000
  const stored = await Promise.all(sessions.map((session) => call('GET', `${session.url}?limit=1&direction=prev`, session.headers)))
  if (stored.some((page) => page.length !== 1)) throw new Error('a session has no messages')
  latencies.sort((a, b) => a - b)
  const at = (quantile: number) => latencies[Math.floor(quantile * (latencies.length - 1))].toFixed(1)
  console.log(
    `${label.padEnd(28)} ${Math.round(messageCount / seconds).toString().padStart(5)} messages/s, median ${at(0.5)} ms, p95 ${at(0.95)} ms, p99 ${at(0.99)} ms`,
  )
}

try {
  console.log(`${app.database.driver}: ${messageCount} messages (each with its notification), ${concurrency} concurrent senders`)
  await measure('one session', 1)
  await measure(`${concurrency} sessions`, concurrency)
} finally {
  await close()
}
