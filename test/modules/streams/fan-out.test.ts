import t, { type Test } from 'tap'
import { startServerProcess } from '../../../scripts/server-process.js'
import { callServer } from '../../helpers/call-server.js'
import { openStream } from '../../helpers/event-stream.js'
import { freshPostgresDatabase } from '../../helpers/fresh-database.js'
import { testSecret, testToken } from '../../helpers/test-app.js'
import { testNeeding } from '../../helpers/test-needing.js'

/** A server process on the database, stopped when `t` ends. */
async function startInstance(t: Test, databaseUrl: string): Promise<string> {
  const server = await startServerProcess({ DATABASE_URL: databaseUrl, JWT_SECRET: testSecret })
  t.teardown(server.stop)
  return server.baseUrl
}

// Issue: "A test starts two server processes on one PostgreSQL: a stream on instance B receives, in order,
// messages posted to instance A, and resumes correctly from B after A wrote more."
testNeeding(t, 'two instances on one PostgreSQL share live events', !process.env.DATABASE_URL && 'needs DATABASE_URL (a PostgreSQL server)', async (t) => {
  const databaseUrl = await freshPostgresDatabase(t)
  const [a, b] = await Promise.all([startInstance(t, databaseUrl), startInstance(t, databaseUrl)])

  const admin = { authorization: `Bearer ${testToken({ sub: 9000, roles: ['PLATFORM_ADMIN'], tenants: [] })}` }
  const created = await callServer(t, a, 'createTenant', { method: 'POST', url: '/admin/tenants', headers: admin, payload: { name: 'Two instances' } })
  const tenantId = created.json(201).data.id
  const agent = testToken({ sub: 1, roles: ['SUPPORT_AGENT'], tenants: [tenantId] })
  const user = testToken({ sub: 2, roles: ['TENANT_USER'], tenants: [tenantId] })
  const agentHeaders = { authorization: `Bearer ${agent}`, 'x-tenant-id': String(tenantId) }
  const headers = { authorization: `Bearer ${user}`, 'x-tenant-id': String(tenantId) }

  const presence = await callServer(t, a, 'setMyPresence', { method: 'PUT', url: '/livechat/agents/me/presence', headers: agentHeaders, payload: { status: 'ONLINE' } })
  t.equal(presence.statusCode, 200)
  const session = await callServer(t, a, 'startSession', { method: 'POST', url: '/livechat/sessions', headers: agentHeaders, payload: {} })
  t.equal(session.statusCode, 201)
  const sessionId = session.json(201).data.id

  const onB = await openStream(t, b, 'streamClientEvents', '/livechat/client/events', { headers })
  const ready = await onB.next(t, (event) => event.event === 'stream.ready')

  const send = async (text: string) =>
    (await callServer(t, a, 'sendMessage', { method: 'POST', url: `/livechat/sessions/${sessionId}/messages`, headers: agentHeaders, payload: { message: text } })).json(201).data.id
  const sendTyping = () => callServer(t, a, 'sendClientTyping', { method: 'POST', url: `/livechat/client/sessions/${sessionId}/typing`, headers })
  const firstBurst: string[] = []
  for (let index = 0; index < 20; index++) firstBurst.push(await send(`first ${index}`))
  const received = await onB.collect(t, ['message.created'], firstBurst.length)
  t.same(
    received.map((event) => event.data.message.id),
    firstBurst,
    'B delivers every message posted to A, in order',
  )
  t.equal((await sendTyping()).statusCode, 202)
  const agentOnB = await openStream(t, b, 'streamAgentEvents', '/livechat/events', { headers: agentHeaders })
  await agentOnB.next(t, (event) => event.event === 'stream.ready')
  await new Promise((resolve) => setTimeout(resolve, 1100))
  t.equal((await sendTyping()).statusCode, 202)
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
