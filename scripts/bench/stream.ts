// Measures live delivery: N open streams on one server process, messages posted at a steady rate, and for
// every message the time from its creation in the database (`created_at`) to its arrival on each stream
// that should get it, plus the server's memory per open stream and events lost or duplicated.
//   npm run bench:stream -- [--streams 2000] [--rate 500] [--seconds 20] [--smoke]
// --smoke: 10 streams, 20 messages/s for 1 s and short pauses, failing on a failed post or a lost or duplicated
// event (CI runs it so, to keep the benchmark working). The server runs without rate limits: the load comes
// from one address, far above what RATE_LIMIT_IP_MAX allows one client.
// Half the streams are agents', half tenant users', one of each per tenant, each tenant with one OPEN
// session. Uses a fresh database on DATABASE_URL's server when set (dropped afterwards), else PGlite in a
// temporary directory. The load runs in this process, the server in its own (it shares the 2 cores).
import { randomBytes } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { Agent, request } from 'node:http'
import { parseArgs } from 'node:util'
import { createParser } from 'eventsource-parser'
import { loadConfig } from '../../src/config.js'
import { createTokenSigner } from '../../src/platform/tokens.js'
import { startServerProcess } from '../server-process.js'
import { freshBenchDatabase } from './bench-database.js'

const { values } = parseArgs({
  options: { streams: { type: 'string' }, rate: { type: 'string' }, seconds: { type: 'string' }, smoke: { type: 'boolean', default: false } },
})
const smoke = values.smoke
const streamCount = Number(values.streams ?? (smoke ? 10 : 2000))
const rate = Number(values.rate ?? (smoke ? 20 : 500))
const seconds = Number(values.seconds ?? (smoke ? 1 : 20))
/** A pause for the heap to settle before reading RSS, or for the last deliveries to arrive; short in a smoke run. */
const settle = (milliseconds: number) => new Promise((resolve) => setTimeout(resolve, smoke ? 500 : milliseconds))
const tenantCount = Math.ceil(streamCount / 2)

const secret = randomBytes(32).toString('hex')
const sign = createTokenSigner(loadConfig({ JWT_SECRET: secret }), '2h')
const keepAlive = new Agent({ keepAlive: true, maxSockets: 64 })

let baseUrl = ''

function call(method: string, path: string, headers: Record<string, string>, body?: object): Promise<any> {
  return new Promise((resolve, reject) => {
    const payload = body && JSON.stringify(body)
    const outgoing = request(
      new URL(path, baseUrl),
      { method, agent: keepAlive, headers: { ...headers, ...(payload && { 'content-type': 'application/json' }) } },
      async (response) => {
        let text = ''
        for await (const chunk of response) text += chunk
        if (response.statusCode! >= 300) return reject(new Error(`${method} ${path}: ${response.statusCode} ${text.slice(0, 200)}`))
        resolve(JSON.parse(text).data)
      },
    )
    outgoing.on('error', reject)
    outgoing.end(payload)
  })
}

async function inBatches<Item>(items: Item[], size: number, work: (item: Item) => Promise<void>) {
  for (let index = 0; index < items.length; index += size) await Promise.all(items.slice(index, index + size).map(work))
}

const rssKilobytes = async (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(await readFile(`/proc/${pid}/status`, 'utf8'))![1])

type Seat = { tenantId: number; sessionId: string; agent: Record<string, string>; user: Record<string, string> }
/** Message id → arrival times (ms since the epoch) per stream that got it. */
const arrivals = new Map<string, number[]>()
const createdAt = new Map<string, number>()
const openedStreams: { destroy: () => void }[] = []

function openEventStream(path: string, headers: Record<string, string>): Promise<void> {
  return new Promise((resolve, reject) => {
    const parser = createParser({
      onEvent(event) {
        if (event.event !== 'message.created') return
        const now = Date.now()
        const { message } = JSON.parse(event.data)
        const times = arrivals.get(message.id) ?? []
        times.push(now)
        arrivals.set(message.id, times)
        createdAt.set(message.id, Date.parse(message.created_at))
      },
    })
    const outgoing = request(new URL(path, baseUrl), { headers: { ...headers, accept: 'text/event-stream' } }, (response) => {
      if (response.statusCode !== 200) return reject(new Error(`${path}: ${response.statusCode}`))
      response.setEncoding('utf8')
      response.on('data', (chunk: string) => parser.feed(chunk))
      openedStreams.push(response)
      resolve()
    })
    outgoing.on('error', reject)
    outgoing.end()
  })
}

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]

const database = await freshBenchDatabase()
const server = await startServerProcess({
  ...database.environment,
  JWT_SECRET: secret,
  LOG_LEVEL: 'warn',
  STREAM_MAX_PER_USER: '10',
  RATE_LIMIT_IP_MAX: '0',
  RATE_LIMIT_USER_MAX: '0',
})
baseUrl = server.baseUrl
try {
  console.log(`${process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite'}: ${streamCount} streams over ${tenantCount} tenants, ${rate} messages/s for ${seconds} s`)
  const admin = { authorization: `Bearer ${sign({ sub: 1_000_000, roles: ['PLATFORM_ADMIN'], tenants: [] })}` }
  const seats: Seat[] = []
  await inBatches(
    Array.from({ length: tenantCount }, (_, index) => index),
    32,
    async (index) => {
      const tenant = await call('POST', '/admin/tenants', admin, { name: `Bench ${index}` })
      const tenantHeader = { 'x-tenant-id': String(tenant.id) }
      const agent = { authorization: `Bearer ${sign({ sub: index + 1, roles: ['SUPPORT_AGENT'], tenants: [tenant.id] })}`, ...tenantHeader }
      const user = { authorization: `Bearer ${sign({ sub: 500_000 + index, roles: ['TENANT_USER'], tenants: [tenant.id] })}`, ...tenantHeader }
      await call('PUT', '/livechat/agents/me/presence', agent, { status: 'ONLINE' })
      const session = await call('POST', '/livechat/sessions', agent, {})
      seats.push({ tenantId: tenant.id, sessionId: session.id, agent, user })
    },
  )
  await settle(2000)
  const idleRss = await rssKilobytes(server.pid)
  const streamsOpened = performance.now()
  await inBatches(seats, 100, async (seat) => {
    await openEventStream('/livechat/events', seat.agent)
    if (openedStreams.length < streamCount) await openEventStream('/livechat/client/events', seat.user)
  })
  console.log(`opened ${openedStreams.length} streams in ${((performance.now() - streamsOpened) / 1000).toFixed(1)} s`)
  await settle(3000)
  const streamingRss = await rssKilobytes(server.pid)

  const sent: string[] = []
  const failures: string[] = []
  const posts: Promise<unknown>[] = []
  const interval = 10
  const perTick = (rate * interval) / 1000
  let due = 0
  let posted = 0
  const total = rate * seconds
  const postingStarted = performance.now()
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      due += perTick
      while (posted < Math.min(Math.floor(due), total)) {
        const seat = seats[posted % seats.length]
        const fromAgent = posted % 2 === 0
        const path = fromAgent ? `/livechat/sessions/${seat.sessionId}/messages` : `/livechat/client/sessions/${seat.sessionId}/messages`
        posted++
        posts.push(
          call('POST', path, fromAgent ? seat.agent : seat.user, { message: `bench message ${posted}` }).then(
            (message) => sent.push(message.id),
            (error: Error) => failures.push(error.message),
          ),
        )
      }
      if (posted >= total) {
        clearInterval(timer)
        resolve()
      }
    }, interval)
  })
  // Every post answered before counting: a server slower than the rate has some still queued when the last is sent.
  await Promise.all(posts)
  const allAnswered = performance.now()
  await settle(3000)
  const loadedRss = await rssKilobytes(server.pid)

  // Each message goes to its session's agent stream and its tenant user's stream (when both are open).
  const expectedPerMessage = streamCount >= tenantCount * 2 ? 2 : 1
  let lost = 0
  let duplicated = 0
  const latencies: number[] = []
  for (const id of sent) {
    const times = arrivals.get(id) ?? []
    lost += Math.max(0, expectedPerMessage - times.length)
    duplicated += Math.max(0, times.length - expectedPerMessage)
    for (const time of times) latencies.push(time - createdAt.get(id)!)
  }
  latencies.sort((a, b) => a - b)
  const perStream = ((streamingRss - idleRss) / openedStreams.length).toFixed(1)
  console.log(
    `messages posted: ${sent.length} (${failures.length} failed${failures.length ? `: ${failures[0]}` : ''}), the last answered ${((allAnswered - postingStarted) / 1000).toFixed(1)} s after the first was sent`,
  )
  console.log(
    `delivery latency (created_at → received), ${latencies.length} deliveries: p50 ${quantile(latencies, 0.5)} ms, p95 ${quantile(latencies, 0.95)} ms, p99 ${quantile(latencies, 0.99)} ms, max ${latencies.at(-1)} ms`,
  )
  console.log(`events lost: ${lost}, duplicated: ${duplicated}`)
  console.log(
    `server RSS: idle ${(idleRss / 1024).toFixed(1)} MiB, with ${openedStreams.length} streams ${(streamingRss / 1024).toFixed(1)} MiB (${perStream} KB per stream), after the load ${(loadedRss / 1024).toFixed(1)} MiB`,
  )
  if (smoke && (failures.length > 0 || lost > 0 || duplicated > 0 || sent.length !== total)) {
    throw new Error(`smoke run not clean: ${sent.length} of ${total} posted, ${failures.length} failed, ${lost} lost, ${duplicated} duplicated`)
  }
} finally {
  openedStreams.forEach((stream) => stream.destroy())
  keepAlive.destroy()
  await server.stop()
  await database.drop()
}
