import t from 'tap'
import { agentHeaders, createTenant } from '../helpers/fixtures.js'
import { buildTestApp } from '../helpers/test-app.js'

const preflight = (origin: string) => ({
  method: 'OPTIONS' as const,
  url: '/livechat/sessions',
  headers: {
    origin,
    'access-control-request-method': 'POST',
    'access-control-request-headers': 'authorization,content-type,x-tenant-id',
  },
})

t.test('a browser page of a listed origin may call the API with its headers', async (t) => {
  const context = await buildTestApp(t, 'pglite', { CORS_ORIGINS: 'https://app.example.com, https://admin.example.com' })
  const allowed = await context.app.inject(preflight('https://app.example.com'))
  t.equal(allowed.statusCode, 204)
  t.equal(allowed.headers['access-control-allow-origin'], 'https://app.example.com')
  t.match(String(allowed.headers['access-control-allow-headers']), /X-Tenant-ID/)

  const tenantId = await createTenant(t, context)
  const response = await context.call(t, 'listSessions', {
    method: 'GET',
    url: '/livechat/sessions',
    headers: { ...agentHeaders(context, tenantId), origin: 'https://admin.example.com' },
  })
  t.equal(response.headers['access-control-allow-origin'], 'https://admin.example.com')
  t.match(String(response.headers['access-control-expose-headers']), /X-Request-ID/, 'the request id is readable')

  const other = await context.app.inject(preflight('https://evil.example.com'))
  t.notOk(other.headers['access-control-allow-origin'], 'an unlisted origin gets no CORS grant')
})

t.test('without CORS_ORIGINS no CORS headers are sent', async (t) => {
  const context = await buildTestApp(t, 'pglite')
  const response = await context.app.inject({ method: 'GET', url: '/health', headers: { origin: 'https://app.example.com' } })
  t.equal(response.statusCode, 200)
  t.notOk(response.headers['access-control-allow-origin'])
})

t.test('a browser page may retry POSTs with Idempotency-Key, and call the PUT and PATCH operations', async (t) => {
  const context = await buildTestApp(t, 'pglite', { CORS_ORIGINS: 'https://app.example.com' })
  for (const [url, method, headers] of [
    ['/livechat/sessions', 'POST', 'authorization,content-type,x-tenant-id,idempotency-key'],
    ['/livechat/agents/me/presence', 'PUT', 'authorization,content-type,x-tenant-id'],
    ['/tickets/00000000-0000-7000-8000-000000000000', 'PATCH', 'authorization,content-type,x-tenant-id'],
    ['/admin/tenants/1', 'PATCH', 'authorization,content-type'],
  ]) {
    const allowed = await context.app.inject({
      method: 'OPTIONS',
      url,
      headers: { origin: 'https://app.example.com', 'access-control-request-method': method, 'access-control-request-headers': headers },
    })
    t.equal(allowed.statusCode, 204, `${method} ${url}`)
    t.match(String(allowed.headers['access-control-allow-methods']), new RegExp(`\\b${method}\\b`), `${method} is allowed`)
    for (const header of headers.split(',')) {
      t.match(String(allowed.headers['access-control-allow-headers']).toLowerCase(), header, `${header} may be sent`)
    }
  }
  const response = await context.app.inject({ method: 'GET', url: '/health', headers: { origin: 'https://app.example.com' } })
  t.match(String(response.headers['access-control-expose-headers']), /Idempotent-Replayed/, 'a replay can be told apart')
})
