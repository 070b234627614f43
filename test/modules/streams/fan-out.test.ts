import t, { type Test } from 'tap'
import { startServerProcess } from '../../../scripts/server-process.js'
import { loadConfig } from '../../../src/config.js'
import { createTokenSigner } from '../../../src/platform/tokens.js'
import { openStream } from '../../helpers/event-stream.js'
import { freshPostgresDatabase } from '../../helpers/fresh-database.js'
import { specErrors } from '../../helpers/spec-validator.js'
import { testSecret } from '../../helpers/test-app.js'

/** A server process on the database, stopped when `t` ends. */
async function startInstance(t: Test, databaseUrl: string): Promise<string> {
  const server = await startServerProcess({ DATABASE_URL: databaseUrl, JWT_SECRET: testSecret })
  t.teardown(server.stop)
  return server.baseUrl
}

const sign = createTokenSigner(loadConfig({ JWT_SECRET: testSecret }))

// Issue: "A test starts two server processes on one PostgreSQL: a stream on instance B receives, in order,
// messages posted to instance A, and resumes correctly from B after A wrote more."
t.test('two instances on one PostgreSQL share live events', { skip: !process.env.DATABASE_URL && 'needs DATABASE_URL (a PostgreSQL server)' }, async (t) => {
  const databaseUrl = await freshPostgresDatabase(t)
  const [a, b] = await Promise.all([startInstance(t, databaseUrl), startInstance(t, databaseUrl)])

  async function call(t: Test, base: string, operationId: string, method: string, path: string, token: string, body?: object) {
    const response = await fetch(new URL(path, base), {
      method,
      headers: { authorization: `Bearer ${token}`, 'x-tenant-id': String(tenantId), ...(body && { 'content-type': 'application/json' }) },
      body: body && JSON.stringify(body),
    })
    const json: any = await response.json()
    t.same(specErrors(operationId, response.status, json), [], `${operationId} ${response.status} body matches openapi.yaml`)
    return { status: response.status, body: json }
  }

  const admin = sign({ sub: 9000, roles: ['PLATFORM_ADMIN'], tenants: [] })
  const created = await fetch(new URL('/admin/tenants', a), {
    method: 'POST',
    headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'Two instances' }),
  })
  const tenantId: number = ((await created.json()) as { data: { id: number } }).data.id
  const agent = sign({ sub: 1, roles: ['SUPPORT_AGENT'], tenants: [tenantId] })
  const user = sign({ sub: 2, roles: ['TENANT_USER'], tenants: [tenantId] })

  t.equal((await call(t, a, 'setMyPresence', 'PUT', '/livechat/agents/me/presence', agent, { status: 'ONLINE' })).status, 200)
  const session = await call(t, a, 'startSession', 'POST', '/livechat/sessions', agent, {})
  t.equal(session.status, 201)
  const sessionId: string = session.body.data.id

  const headers = { authorization: `Bearer ${user}`, 'x-tenant-id': String(tenantId) }
  const onB = await openStream(t, b, 'streamClientEvents', '/livechat/client/events', { headers })
  const ready = await onB.next(t, (event) => event.event === 'stream.ready')

  const send = async (text: string) =>
    (await call(t, a, 'sendMessage', 'POST', `/livechat/sessions/${sessionId}/messages`, agent, { message: text })).body.data.id as string
  const firstBurst: string[] = []
  for (let index = 0; index < 20; index++) firstBurst.push(await send(`first ${index}`))
  const received = await onB.collect(t, ['message.created'], firstBurst.length)
  t.same(
    received.map((event) => event.data.message.id),
    firstBurst,
    'B delivers every message posted to A, in order',
  )
  t.equal((await call(t, a, 'sendClientTyping', 'POST', `/livechat/client/sessions/${sessionId}/typing`, user)).status, 202)
  const agentOnB = await openStream(t, b, 'streamAgentEvents', '/livechat/events', {
    headers: { authorization: `Bearer ${agent}`, 'x-tenant-id': String(tenantId) },
  })
  await agentOnB.next(t, (event) => event.event === 'stream.ready')
  await new Promise((resolve) => setTimeout(resolve, 1100))
  t.equal((await call(t, a, 'sendClientTyping', 'POST', `/livechat/client/sessions/${sessionId}/typing`, user)).status, 202)
  const typing = await agentOnB.next(t, (event) => event.event === 'typing')
  t.equal(typing.id, undefined, 'typing crosses instances too, without an id')

  const lastSeen = onB.lastId!
  onB.close()
  const secondBurst: string[] = []
  for (let index = 0; index < 10; index++) secondBurst.push(await send(`second ${index}`))
  const resumed = await openStream(t, b, 'streamClientEvents', '/livechat/client/events', { headers: { ...headers, 'last-event-id': lastSeen } })
  const missed = await resumed.collect(t, ['message.created'], secondBurst.length)
  t.same(
    missed.map((event) => event.data.message.id),
    secondBurst,
    'resuming on B gives exactly what A wrote meanwhile, in order',
  )
  t.notOk(resumed.events.some((event) => event.event === 'message.created' && firstBurst.includes(event.data.message.id)), 'nothing twice')
  t.ok(ready.id, 'the first stream told where it started')
})
