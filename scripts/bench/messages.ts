// Measures sending messages through the whole stack (auth, validation, the session's row lock, the message
// and its notification in one transaction): throughput and latency with concurrent senders, on one
// session (they all queue for its lock) and spread over many sessions. Every message is also an event for
// the streams; on PostgreSQL each scenario runs with the shared bus (NOTIFY after each commit, for other
// instances) and with the in-process one, alternately, so the cost of NOTIFY is measured in the same run.
//   npm run bench:messages -- [--messages 4000] [--concurrency 32] [--rounds 2] [--smoke]
// --smoke: 64 messages, 4 senders, one round (CI runs it so, to keep the benchmark working).
// Uses a fresh database on DATABASE_URL's server when set (dropped afterwards), else in-memory PGlite.
import { performance } from 'node:perf_hooks'
import { parseArgs } from 'node:util'
import { openBenchApp } from './bench-app.js'
import { createTokenSigner } from '../../src/platform/tokens.js'

const { values } = parseArgs({
  options: { messages: { type: 'string' }, concurrency: { type: 'string' }, rounds: { type: 'string' }, smoke: { type: 'boolean', default: false } },
})
const messageCount = Number(values.messages ?? (values.smoke ? 64 : 4000))
const concurrency = Number(values.concurrency ?? (values.smoke ? 4 : 32))
const rounds = Number(values.rounds ?? (values.smoke ? 1 : 2))

type BenchApp = Awaited<ReturnType<typeof openBenchApp>>
let app: BenchApp['app']
let sign: ReturnType<typeof createTokenSigner>
let admin: Record<string, string>

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

async function measure(label: string, sessionCount: number): Promise<number> {
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
  const rate = messageCount / seconds
  console.log(
    `${label.padEnd(40)} ${Math.round(rate).toString().padStart(5)} messages/s, median ${at(0.5)} ms, p95 ${at(0.95)} ms, p99 ${at(0.99)} ms`,
  )
  return rate
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)]
const buses = process.env.DATABASE_URL ? (['in-process', 'shared'] as const) : (['in-process'] as const)
const rates = new Map<string, number[]>()

for (let round = 1; round <= rounds; round++) {
  for (const bus of buses) {
    const bench = await openBenchApp({ eventBus: bus })
    app = bench.app
    sign = createTokenSigner(bench.config)
    admin = { authorization: `Bearer ${sign({ sub: 1, roles: ['PLATFORM_ADMIN'], tenants: [] })}` }
    try {
      if (round === 1 && bus === buses[0]) {
        console.log(`${app.database.driver}: ${messageCount} messages (each with its notification and events), ${concurrency} concurrent senders`)
      }
      const busLabel = bus === 'shared' ? 'NOTIFY' : 'no NOTIFY'
      for (const [scenario, sessionCount] of [['one session', 1], [`${concurrency} sessions`, concurrency]] as const) {
        const rate = await measure(`round ${round}, ${scenario}, ${busLabel}`, sessionCount)
        rates.set(`${scenario}|${bus}`, [...(rates.get(`${scenario}|${bus}`) ?? []), rate])
      }
    } finally {
      await bench.close()
    }
  }
}

if (buses.length === 2) {
  for (const scenario of ['one session', `${concurrency} sessions`]) {
    const without = median(rates.get(`${scenario}|in-process`)!)
    const withNotify = median(rates.get(`${scenario}|shared`)!)
    console.log(
      `${scenario}: median ${Math.round(without)} messages/s without NOTIFY, ${Math.round(withNotify)} with; cost ${(((without - withNotify) / without) * 100).toFixed(1)} %`,
    )
  }
}
