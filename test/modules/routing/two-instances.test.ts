import t, { type Test } from 'tap'
import { startServerProcess } from '../../../scripts/server-process.js'
import { callServer } from '../../helpers/call-server.js'
import { freshPostgresDatabase } from '../../helpers/fresh-database.js'
import { testSecret, testToken } from '../../helpers/test-app.js'
import { testNeeding } from '../../helpers/test-needing.js'

/** A server process on the database, stopped when `t` ends. */
async function startInstance(t: Test, databaseUrl: string): Promise<string> {
  const server = await startServerProcess({ DATABASE_URL: databaseUrl, JWT_SECRET: testSecret, RATE_LIMIT_IP_MAX: '0', RATE_LIMIT_USER_MAX: '0' })
  t.teardown(server.stop)
  return server.baseUrl
}

// Issue 16, "Must hold": 4 agents with capacity 5 and 40 requests from 40 tenant users at once, spread over two
// server processes: exactly 20 OPEN (5 per agent), 20 QUEUED with positions 1–20 in request order; closing 5
// sessions assigns the 5 oldest queued, within a second.
testNeeding(t, 'two instances route concurrent requests without over-assigning', !process.env.DATABASE_URL && 'needs DATABASE_URL (a PostgreSQL server)', async (t) => {
  const databaseUrl = await freshPostgresDatabase(t)
  const instances = await Promise.all([startInstance(t, databaseUrl), startInstance(t, databaseUrl)])
  const admin = { authorization: `Bearer ${testToken({ sub: 9000, roles: ['PLATFORM_ADMIN'], tenants: [] })}` }
  const created = await callServer(t, instances[0], 'createTenant', { method: 'POST', url: '/admin/tenants', headers: admin, payload: { name: 'Rush', agent_capacity: 5 } })
  const tenantId = created.json(201).data.id
  const headersOf = (sub: number, role: 'SUPPORT_AGENT' | 'TENANT_USER') => ({
    authorization: `Bearer ${testToken({ sub, roles: [role], tenants: [tenantId] })}`,
    'x-tenant-id': String(tenantId),
  })
  const agents = [1, 2, 3, 4]
  for (const agentId of agents) {
    const online = await callServer(t, instances[agentId % 2], 'setMyPresence', {
      method: 'PUT',
      url: '/livechat/agents/me/presence',
      headers: headersOf(agentId, 'SUPPORT_AGENT'),
      payload: { status: 'ONLINE' },
    })
    t.equal(online.statusCode, 200)
  }

  const users = Array.from({ length: 40 }, (_, index) => 1000 + index)
  const answers = await Promise.all(
    users.map((userId, index) =>
      callServer(t, instances[index % 2], 'startClientSession', { method: 'POST', url: '/livechat/client/sessions', headers: headersOf(userId, 'TENANT_USER'), payload: {} }),
    ),
  )
  const sessions = answers.map((answer) => (answer.statusCode === 201 ? answer.json(201).data : answer.json(202).data))
  const open = sessions.filter((session) => session.status === 'OPEN')
  const queued = sessions.filter((session) => session.status === 'QUEUED')
  t.equal(open.length, 20, '20 OPEN')
  t.equal(queued.length, 20, '20 QUEUED')
  for (const agentId of agents) t.equal(open.filter((session) => session.agent_id === agentId).length, 5, `agent ${agentId} has 5`)
  const byArrival = [...queued].sort((a, b) => a.created_at.localeCompare(b.created_at) || a.id.localeCompare(b.id))
  t.same(byArrival.map((session) => session.queue_position), Array.from({ length: 20 }, (_, index) => index + 1), 'positions 1–20 in arrival order')
  const latestOpen = open.map((session) => session.created_at).sort().at(-1)!
  t.ok(byArrival.every((session) => session.created_at > latestOpen), 'no request was queued before one that was assigned')

  const agentHeaders = (agentId: number) => headersOf(agentId, 'SUPPORT_AGENT')
  const closing = open.filter((_, index) => index < 5)
  await Promise.all(
    closing.map((session, index) =>
      callServer(t, instances[index % 2], 'closeSession', { method: 'POST', url: `/livechat/sessions/${session.id}/close`, headers: agentHeaders(session.agent_id!) }),
    ),
  )
  const closedAt = Date.now()
  const oldest = byArrival.slice(0, 5).map((session) => session.id)
  const queue = async () =>
    (await callServer(t, instances[1], 'listSessions', { method: 'GET', url: '/livechat/sessions', query: { status: 'QUEUED', limit: '100' }, headers: agentHeaders(1) })).json(200).data
  let left = await queue()
  while (left.length > 15 && Date.now() - closedAt < 1000) left = await queue()
  t.ok(Date.now() - closedAt <= 1000, 'served within a second')
  t.same(left.map((session) => session.id), byArrival.slice(5).map((session) => session.id), 'the 15 youngest still wait, in order')
  t.same(left.map((session) => session.queue_position), Array.from({ length: 15 }, (_, index) => index + 1))
  for (const sessionId of oldest) {
    const served = await callServer(t, instances[0], 'getSession', { method: 'GET', url: `/livechat/sessions/${sessionId}`, headers: agentHeaders(1) })
    t.equal(served.json(200).data.status, 'OPEN', 'one of the 5 oldest is served')
  }
  const all = await callServer(t, instances[0], 'listSessions', { method: 'GET', url: '/livechat/sessions', query: { status: 'OPEN', limit: '100' }, headers: agentHeaders(1) })
  for (const agentId of agents) t.ok(all.json(200).data.filter((session) => session.agent_id === agentId).length <= 5, `agent ${agentId} is within capacity`)
})
