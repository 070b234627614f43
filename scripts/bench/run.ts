// The request path against its floor: each scenario driven by autocannon at fixed concurrency against the
// service as production runs it, next to the least SQL the scenario needs run by pgbench on the same database.
//   npm run bench -- [--seconds 10] [--connections 32] [--json bench-report.json] [--profile] [--only send] [--smoke]
// --smoke: 1 s per scenario after 1 s of warm-up, 4 connections, a deep session of 1,000 messages, the report in the
// temporary directory (CI runs it so, to keep the benchmark working; its figures mean nothing).
// --profile writes a CPU profile of the server over the whole run (node --cpu-prof) and prints its top functions;
// --only runs the scenarios whose name contains the text. Server, database and load-generator CPU and the
// machine's busy share are read from /proc, to show which of them bounds a figure.
// Needs PostgreSQL (DATABASE_URL's server, or the local one) and pgbench. `npm run bench` builds dist/ first; run
// directly, the script uses dist/ when it is there. Ratios are the figures to compare: the machine's neighbours move the absolute ones.
import { existsSync } from 'node:fs'
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import autocannon from 'autocannon'
import postgres from 'postgres'
import { loadConfig } from '../../src/config.js'
import { createTokenSigner } from '../../src/platform/tokens.js'
import { startHttpProcess, startServerProcess, type ServerProcess } from '../server-process.js'
import { freshBenchDatabase } from './bench-database.js'
import { busyTimeByOwner, hotspots } from './cpu-profile.js'
import { churnFloor, pageFloor, pgbenchTps, sendFloor } from './floor.js'

const { values } = parseArgs({
  options: {
    seconds: { type: 'string' },
    connections: { type: 'string' },
    json: { type: 'string' },
    profile: { type: 'boolean', default: false },
    only: { type: 'string', default: '' },
    smoke: { type: 'boolean', default: false },
  },
})
const smoke = values.smoke
const seconds = Number(values.seconds ?? (smoke ? 1 : 10))
const connections = Number(values.connections ?? (smoke ? 4 : 32))
const reportFile = values.json ?? (smoke ? join(tmpdir(), 'livechat-bench-smoke.json') : 'bench-report.json')
const warmUpSeconds = smoke ? 1 : 3
const serverUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
const deepSessionMessages = smoke ? 1_000 : 1_000_000
const shallowSessionMessages = 200

const secret = 'bench-secret-0123456789abcdef0123456789abcdef'
const sign = createTokenSigner(loadConfig({ JWT_SECRET: secret }), '2h')

type Scenario = {
  name: string
  /** The requests each connection makes in turn (autocannon's, which may carry state per connection). */
  requests: autocannon.Request[]
  floor: string
  /** HTTP requests per run of the floor's script (start + close is two for one script run). */
  requestsPerFloorRun?: number
}

type Figures = {
  scenario: string
  requestsPerSecond: number
  p50Ms: number
  p99Ms: number
  non2xx: number
  serverCpuMicrosPerRequest: number
  databaseCpuMicrosPerRequest: number
  loadGeneratorCpuMicrosPerRequest: number
  /** Share of the machine's CPU time (all cores, neighbours' steal included) that was not idle. */
  machineBusy: number
  floorTps: number
  ratio: number
}

// Linux counts process CPU time in clock ticks of 1/100 s (USER_HZ).
const ticksPerSecond = 100

/** User plus system CPU seconds of a process, from /proc. */
async function cpuSeconds(pid: number | string): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '')
  // The command name (field 2) may hold spaces; the fields counted from its closing parenthesis do not.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return fields.length > 13 ? (Number(fields[11]) + Number(fields[12])) / ticksPerSecond : 0
}

/** CPU seconds of every PostgreSQL process on this machine: the database's share of a run. */
async function databaseCpuSeconds(): Promise<number> {
  let total = 0
  for (const pid of await readdir('/proc')) {
    if (!/^[0-9]+$/.test(pid)) continue
    const name = await readFile(`/proc/${pid}/comm`, 'utf8').catch(() => '')
    if (name.trim() === 'postgres') total += await cpuSeconds(pid)
  }
  return total
}

/** Busy and total CPU ticks of the whole machine, from /proc/stat; steal counts as busy (it is not ours to use). */
async function machineTicks(): Promise<{ busy: number; total: number }> {
  const [cpu] = (await readFile('/proc/stat', 'utf8')).split('\n')
  const ticks = cpu.split(/\s+/).slice(1, 9).map(Number)
  const total = ticks.reduce((sum, value) => sum + value, 0)
  const idle = ticks[3] + ticks[4]
  return { busy: total - idle, total }
}

async function api(server: ServerProcess, method: string, path: string, headers: Record<string, string>, body?: object) {
  const response = await fetch(`${server.baseUrl}${path}`, {
    method,
    headers: { ...headers, ...(body && { 'content-type': 'application/json' }) },
    body: body && JSON.stringify(body),
  })
  const envelope = (await response.json()) as { data: any }
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(envelope)}`)
  return envelope.data
}

const drive = (server: ServerProcess, scenario: Scenario, duration: number): Promise<autocannon.Result> =>
  autocannon({ url: server.baseUrl, connections, duration, requests: scenario.requests })

async function measure(server: ServerProcess, databaseUrl: string, scenario: Scenario): Promise<Figures> {
  await drive(server, scenario, warmUpSeconds)
  const sample = async () => ({
    server: await cpuSeconds(server.pid),
    database: await databaseCpuSeconds(),
    loadGenerator: process.cpuUsage(),
    machine: await machineTicks(),
  })
  const before = await sample()
  const result = await drive(server, scenario, seconds)
  const after = await sample()
  const requests = result.requests.total
  if (result.non2xx > 0) console.error(`${scenario.name}: statuses ${JSON.stringify(result.statusCodeStats)}`)
  // A smoke run's figures mean nothing; a scenario that got no answer right, or an error, means the benchmark is broken.
  if (smoke && (result['2xx'] === 0 || result['5xx'] > 0 || result.errors > 0)) {
    throw new Error(`${scenario.name}: ${result['2xx']} 2xx, ${result['5xx']} 5xx, ${result.errors} connection errors`)
  }
  const floorTps = await pgbenchTps(databaseUrl, scenario.floor, connections, seconds)
  const requestsPerSecond = requests / seconds
  const microsPerRequest = (seconds: number) => (seconds * 1e6) / requests
  const loadGenerator = process.cpuUsage(before.loadGenerator)
  return {
    scenario: scenario.name,
    requestsPerSecond,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    non2xx: result.non2xx,
    serverCpuMicrosPerRequest: microsPerRequest(after.server - before.server),
    databaseCpuMicrosPerRequest: microsPerRequest(after.database - before.database),
    loadGeneratorCpuMicrosPerRequest: (loadGenerator.user + loadGenerator.system) / requests,
    machineBusy: (after.machine.busy - before.machine.busy) / (after.machine.total - before.machine.total),
    floorTps,
    ratio: requestsPerSecond / (scenario.requestsPerFloorRun ?? 1) / floorTps,
  }
}

type HttpFloor = { bodyBytes: number; requestsPerSecond: number; serverCpuMicrosPerRequest: number; machineBusy: number }

/**
 * What Node and Fastify alone do with a page: a bare server answering every GET with the same bytes, driven
 * like the page scenarios. The service's page cannot be faster than this on this machine.
 */
async function measureHttpFloor(pageBody: string): Promise<HttpFloor> {
  const directory = await mkdtemp(join(tmpdir(), 'livechat-http-floor-'))
  const bodyFile = join(directory, 'page.json')
  await writeFile(bodyFile, pageBody)
  const bare = await startHttpProcess(['--import', 'tsx', new URL('./bare-http.ts', import.meta.url).pathname], { BODY_FILE: bodyFile })
  try {
    const scenario: Scenario = { name: 'bare', requests: eachTurn(() => ({ method: 'GET', path: '/page', headers: {} })), floor: '' }
    await drive(bare, scenario, warmUpSeconds)
    const [cpuBefore, machineBefore] = [await cpuSeconds(bare.pid), await machineTicks()]
    const result = await drive(bare, scenario, seconds)
    const [cpuAfter, machineAfter] = [await cpuSeconds(bare.pid), await machineTicks()]
    return {
      bodyBytes: Buffer.byteLength(pageBody),
      requestsPerSecond: result.requests.total / seconds,
      serverCpuMicrosPerRequest: ((cpuAfter - cpuBefore) * 1e6) / result.requests.total,
      machineBusy: (machineAfter.busy - machineBefore.busy) / (machineAfter.total - machineBefore.total),
    }
  } finally {
    await bare.stop()
    await rm(directory, { recursive: true, force: true })
  }
}

const roundRobin = <Item>(items: Item[]) => {
  let next = 0
  return () => items[next++ % items.length]
}

type Call = { method: 'GET' | 'POST'; path: string; headers: Record<string, string>; body?: string }

/** One request per turn, each made by `next`. */
const eachTurn = (next: () => Call): autocannon.Request[] => [{ setupRequest: (request) => withBody(request, next()) }]

const withBody = (request: autocannon.Request, call: Call): autocannon.Request => ({
  ...request,
  ...call,
  headers: { ...call.headers, ...(call.body !== undefined && { 'content-type': 'application/json' }) },
})

/** A tenant with `count` agents, each ONLINE with one OPEN session, and the `alsoOnline` agents without one. */
async function seedSessions(server: ServerProcess, count: number, alsoOnline: number[]) {
  const admin = { authorization: `Bearer ${sign({ sub: 9000, roles: ['PLATFORM_ADMIN'], tenants: [] })}` }
  const tenant = await api(server, 'POST', '/admin/tenants', admin, { name: 'Bench' })
  const agentHeaders = (agentId: number) => ({
    authorization: `Bearer ${sign({ sub: agentId, roles: ['SUPPORT_AGENT'], tenants: [tenant.id] })}`,
    'x-tenant-id': String(tenant.id),
  })
  const sessionIds: string[] = []
  for (let agentId = 1; agentId <= count; agentId++) {
    await api(server, 'PUT', '/livechat/agents/me/presence', agentHeaders(agentId), { status: 'ONLINE' })
    sessionIds.push((await api(server, 'POST', '/livechat/sessions', agentHeaders(agentId), {})).id)
  }
  for (const agentId of alsoOnline) await api(server, 'PUT', '/livechat/agents/me/presence', agentHeaders(agentId), { status: 'ONLINE' })
  const userHeaders = (userId: number) => ({
    authorization: `Bearer ${sign({ sub: userId, roles: ['TENANT_USER'], tenants: [tenant.id] })}`,
    'x-tenant-id': String(tenant.id),
  })
  return { tenantId: tenant.id as number, agentHeaders, userHeaders, sessionIds }
}

/** `count` messages in a session, written in SQL (as many as a busy session gathers in years); their ids by position. */
async function seedMessages(sql: postgres.Sql, tenantId: number, sessionId: string, count: number): Promise<string[]> {
  await sql`insert into chat_messages (tenant_id, id, session_id, seq, sender_id, message, created_at)
    select ${tenantId}, gen_random_uuid(), ${sessionId}, seq, 1, 'message ' || seq, now() + seq * interval '1 microsecond'
    from generate_series(1, ${count}) as seq`
  await sql`update chat_sessions set last_message_seq = ${count} where tenant_id = ${tenantId} and id = ${sessionId}`
  // Vacuumed now, so autovacuum does not wake up for these rows in the middle of a measurement.
  await sql`vacuum analyze chat_messages`
  // Cursors spread over the whole session, so pages come from everywhere in it.
  const rows = await sql<{ id: string }[]>`select id from chat_messages
    where tenant_id = ${tenantId} and session_id = ${sessionId} and seq % ${Math.max(1, Math.floor(count / 100))} = 0 and seq <= ${count - 50}`
  return rows.map((row) => row.id)
}

const database = await freshBenchDatabase(serverUrl)
const databaseUrl = database.environment.DATABASE_URL
const entry = existsSync(new URL('../../dist/server.js', import.meta.url)) ? 'compiled' : 'source'
const profileDirectory = values.profile ? await mkdtemp(join(tmpdir(), 'livechat-profile-')) : undefined
const server = await startServerProcess(
  // Agents stay ONLINE for the whole run: session churn starts sessions with them.
  { ...database.environment, JWT_SECRET: secret, RATE_LIMIT_USER_MAX: '0', RATE_LIMIT_IP_MAX: '0', PRESENCE_TTL_SECONDS: '86400' },
  { entry, nodeArguments: profileDirectory ? ['--cpu-prof', `--cpu-prof-dir=${profileDirectory}`] : [] },
)
const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} })
try {
  const churnAgents = Array.from({ length: connections }, (_, index) => 1001 + index)
  const { tenantId, agentHeaders, userHeaders, sessionIds } = await seedSessions(server, 34, churnAgents)
  const tenantUserHeaders = userHeaders(5000)
  const [shallowSession, deepSession, ...sendSessions] = sessionIds
  const shallowCursors = await seedMessages(sql, tenantId, shallowSession, shallowSessionMessages)
  const deepCursors = await seedMessages(sql, tenantId, deepSession, deepSessionMessages)
  const message = JSON.stringify({ message: 'Halo, ada yang bisa dibantu?' })
  // Every agent may write into every session of the tenant; agent 1 speaks for the load, user 5000 for the tenant.
  const agent = agentHeaders(1)
  const pageOf = (headers: Record<string, string>, prefix: string, sessionId: string, cursors: string[]) => {
    const cursor = roundRobin(cursors)
    return eachTurn(() => ({ method: 'GET', path: `${prefix}/${sessionId}/messages?limit=50&cursor=${cursor()}`, headers }))
  }
  const sendTo = (headers: Record<string, string>, prefix: string, sessions: string[]) => {
    const session = roundRobin(sessions)
    return eachTurn(() => ({ method: 'POST', path: `${prefix}/${session()}/messages`, headers, body: message }))
  }
  const agentSessions = '/livechat/sessions'
  const clientSessions = '/livechat/client/sessions'
  type ChurnState = { memberId?: number; sessionId?: string }
  /** Each connection is one agent, or one tenant user, who starts a session and closes it, again and again. */
  const churnOf = (members: number[], headersOf: (memberId: number) => Record<string, string>, prefix: string): autocannon.Request[] => {
    const nextMember = roundRobin(members)
    return [
      {
        setupRequest: (request, context: ChurnState) => withBody(request, { method: 'POST', path: prefix, headers: headersOf((context.memberId ??= nextMember())), body: '{}' }),
        // A session left open by the warm-up's end is the one to close (400 names it).
        onResponse: (_status, body, context: ChurnState) => {
          const envelope = JSON.parse(body)
          context.sessionId = envelope.data?.id ?? envelope.errors?.existing_session_id?.[0]
        },
      },
      {
        setupRequest: (request, context: ChurnState) =>
          withBody(request, { method: 'POST', path: `${prefix}/${context.sessionId}/close`, headers: headersOf(context.memberId!) }),
      },
    ]
  }
  // Tenant users' chats go to the ONLINE agents with the fewest sessions: the churning agents, and the 34 others.
  const churnUsers = Array.from({ length: connections }, (_, index) => 6001 + index)
  const allScenarios: Scenario[] = [
    { name: `send, over ${sendSessions.length} sessions`, requests: sendTo(agent, agentSessions, sendSessions), floor: sendFloor(tenantId, sendSessions) },
    { name: 'send, into one session', requests: sendTo(agent, agentSessions, sendSessions.slice(0, 1)), floor: sendFloor(tenantId, sendSessions.slice(0, 1)) },
    {
      name: `page of 50, session of ${shallowSessionMessages}`,
      requests: pageOf(agent, agentSessions, shallowSession, shallowCursors),
      floor: pageFloor(tenantId, shallowSession, shallowSessionMessages),
    },
    {
      name: `page of 50, session of ${deepSessionMessages.toLocaleString('en')}`,
      requests: pageOf(agent, agentSessions, deepSession, deepCursors),
      floor: pageFloor(tenantId, deepSession, deepSessionMessages),
    },
    {
      name: `tenant user: send, over ${sendSessions.length} sessions`,
      requests: sendTo(tenantUserHeaders, clientSessions, sendSessions),
      floor: sendFloor(tenantId, sendSessions),
    },
    {
      name: `tenant user: page of 50, session of ${shallowSessionMessages}`,
      requests: pageOf(tenantUserHeaders, clientSessions, shallowSession, shallowCursors),
      floor: pageFloor(tenantId, shallowSession, shallowSessionMessages),
    },
    { name: 'agent: session start + close', requests: churnOf(churnAgents, agentHeaders, agentSessions), floor: churnFloor(tenantId), requestsPerFloorRun: 2 },
    { name: 'customer: chat start + close', requests: churnOf(churnUsers, userHeaders, clientSessions), floor: churnFloor(tenantId), requestsPerFloorRun: 2 },
  ]
  const scenarios = allScenarios.filter((scenario) => scenario.name.includes(values.only))
  const figures: Figures[] = []
  for (const scenario of scenarios) {
    figures.push(await measure(server, databaseUrl, scenario))
    console.error(`measured: ${scenario.name}`)
  }
  const pageFigures = figures.find((f) => f.scenario.startsWith('page of 50'))
  const samplePage = await fetch(`${server.baseUrl}${agentSessions}/${shallowSession}/messages?limit=50&cursor=${shallowCursors[0]}`, { headers: agent })
  const httpFloor = pageFigures ? await measureHttpFloor(await samplePage.text()) : undefined
  console.log(`\n${entry} server, ${connections} connections, ${seconds} s per scenario after ${warmUpSeconds} s of warm-up\n`)
  console.log('| scenario | req/s | p50 / p99 ms | non-2xx | CPU µs/req: server / database / load | machine busy | floor tps | service / floor |')
  console.log('|---|---|---|---|---|---|---|---|')
  for (const f of figures) {
    const cpu = [f.serverCpuMicrosPerRequest, f.databaseCpuMicrosPerRequest, f.loadGeneratorCpuMicrosPerRequest].map((micros) => micros.toFixed(0)).join(' / ')
    console.log(
      `| ${f.scenario} | ${f.requestsPerSecond.toFixed(0)} | ${f.p50Ms} / ${f.p99Ms} | ${f.non2xx} | ${cpu} | ${(f.machineBusy * 100).toFixed(0)} % | ${f.floorTps.toFixed(0)} | ${f.ratio.toFixed(2)} |`,
    )
  }
  if (httpFloor && pageFigures) {
    console.log(
      `\nHTTP floor: bare Fastify answering every GET with the same ${httpFloor.bodyBytes}-byte page: ${httpFloor.requestsPerSecond.toFixed(0)} req/s ` +
        `at ${httpFloor.serverCpuMicrosPerRequest.toFixed(0)} µs of server CPU per request, machine ${(httpFloor.machineBusy * 100).toFixed(0)} % busy; ` +
        `"${pageFigures.scenario}" reaches ${(pageFigures.requestsPerSecond / httpFloor.requestsPerSecond).toFixed(2)} of it.`,
    )
  }
  await writeFile(reportFile, JSON.stringify({ entry, connections, seconds, figures, httpFloor }, null, 2) + '\n')
  console.log(`\nJSON report: ${reportFile}`)
} finally {
  await sql.end()
  // The profile is written as the server exits.
  await server.stop()
  await database.drop()
}
if (profileDirectory) {
  const [file] = (await readdir(profileDirectory)).filter((name) => name.endsWith('.cpuprofile'))
  console.log(`\nCPU profile of the server: ${join(profileDirectory, file)}\n`)
  console.log('| self time | function | where |')
  console.log('|---|---|---|')
  for (const spot of await hotspots(join(profileDirectory, file))) {
    console.log(`| ${(spot.selfShare * 100).toFixed(1)} % | ${spot.function} | ${spot.location} |`)
  }
  console.log('\n| share of busy time | spent by |')
  console.log('|---|---|')
  for (const share of await busyTimeByOwner(join(profileDirectory, file))) console.log(`| ${(share.busyShare * 100).toFixed(1)} % | ${share.owner} |`)
}
