import t from 'tap'
import { startServerProcess } from '../../scripts/server-process.js'
import { callServer } from '../helpers/call-server.js'

// `npm start` without JWT settings (development mode): its banner is ready to use as printed, an agent set
// ONLINE from Swagger UI stays so for an hour, and a frontend's development server on this machine may call the
// API from the browser. The server runs as its own process: the banner is what it prints.

t.test('development mode: the banner works as printed; presence lasts an hour; pages on this machine may call', async (t) => {
  const server = await startServerProcess({ JWT_SECRET: '', JWT_PUBLIC_KEY: '', DATABASE_URL: '', DATA_DIR: 'memory://', CORS_ORIGINS: '', PRESENCE_TTL_SECONDS: '' }, { output: 'pipe' })
  t.teardown(() => server.stop())
  let printed = ''
  server.child.stdout!.on('data', (chunk) => (printed += chunk))
  server.child.stderr!.resume()
  for (const started = Date.now(); !printed.includes('Browser pages:') && Date.now() - started < 20_000; ) await new Promise((resolve) => setTimeout(resolve, 50))

  const tryIt = /Try it: +curl -H "Authorization: Bearer ([^"]+)" -H "X-Tenant-ID: ([0-9]+)" (\S+)/.exec(printed)
  t.ok(tryIt, `the banner has a Try it line with a real token:\n${printed}`)
  const [, token, tenantId, url] = tryIt!
  const headers = { authorization: `Bearer ${token}`, 'x-tenant-id': tenantId }
  const listed = await callServer(t, server.baseUrl, 'listSessions', { url, headers })
  t.equal(listed.statusCode, 200, 'the Try it command works as printed')
  t.match(printed, /PRESENCE_TTL_SECONDS/, 'the banner says how long presence lasts')
  for (const [view, role] of [['agent', 'SUPPORT_AGENT'], ['tenant', 'TENANT_USER']]) {
    const link = new RegExp(`Console \\(${view}\\): +(\\S+)`).exec(printed)?.[1]
    const fragment = new URLSearchParams(new URL(link ?? 'http://x/').hash.slice(1))
    t.equal(link?.split('#')[0], `${url.replace(/\/livechat\/sessions$/, '')}/console/`, `the banner links the console for the ${view}`)
    t.equal(fragment.get('tenant'), tenantId, 'with the demo tenant')
    t.same(JSON.parse(Buffer.from(fragment.get('token')!.split('.')[1], 'base64url').toString()).roles, [role], `and a ${role} token`)
  }
  t.match(printed, /CORS_ORIGINS/, 'the banner says which browser pages may call, and how to allow others')

  const online = await callServer(t, server.baseUrl, 'setMyPresence', { method: 'PUT', url: '/livechat/agents/me/presence', headers, payload: { status: 'ONLINE' } })
  const presence = online.json(200).data
  const lasts = (Date.parse(presence.online_until!) - Date.parse(presence.updated_at!)) / 1000
  t.equal(lasts, 3600, 'ONLINE holds an hour, not a minute')

  const preflight = (origin: string) =>
    fetch(`${server.baseUrl}/livechat/agents/me/presence`, {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'PUT', 'access-control-request-headers': 'authorization,content-type,x-tenant-id' },
    })
  for (const origin of ['http://localhost:5173', 'http://127.0.0.1:8080', 'http://localhost']) {
    const answer = await preflight(origin)
    t.equal(answer.headers.get('access-control-allow-origin'), origin, `${origin} may call`)
    t.match(answer.headers.get('access-control-allow-methods'), /PUT/)
  }
  for (const origin of ['https://example.com', 'http://localhost.example.com', 'https://localhost:5173']) {
    t.equal((await preflight(origin)).headers.get('access-control-allow-origin'), null, `${origin} may not`)
  }
})
