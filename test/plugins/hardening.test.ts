import { randomUUID } from 'node:crypto'
import t from 'tap'
import { buildApp } from '../../src/app.js'
import { loadConfig } from '../../src/config.js'
import { adminHeaders, agentHeaders, createTenant, openSession } from '../helpers/fixtures.js'
import { freshPostgresDatabase } from '../helpers/fresh-database.js'
import { untypedBody } from '../helpers/operation-types.js'
import { componentErrors } from '../helpers/spec-validator.js'
import { onEachDatabase, testOn, testSecret } from '../helpers/test-app.js'

// Inputs found by review that once reached the database or the stack: each is a clear 4xx now.
onEachDatabase(t, async (t, context) => {
  const tenantId = await createTenant(t, context)
  const headers = agentHeaders(context, tenantId, 61)
  const sessionId = await openSession(t, context, tenantId, 61)

  t.test('a urn:uuid: id is 400, not a database error', async (t) => {
    const urn = `urn:uuid:${sessionId}`
    for (const [operationId, url] of [
      ['getSession', `/livechat/sessions/${urn}`],
      ['listMessages', `/livechat/sessions/${urn}/messages`],
      ['listSessions', `/livechat/sessions?cursor=${urn}`],
      ['listMessages', `/livechat/sessions/${sessionId}/messages?cursor=${urn}`],
    ] as const) {
      const response = await context.call(t, operationId, { method: 'GET', url, headers })
      t.equal(response.statusCode, 400, url)
    }
  })

  t.test('a deeply nested body is 400, not a stack overflow', async (t) => {
    const depth = 400_000
    const response = await context.call(t, 'sendMessage', {
      method: 'POST',
      url: `/livechat/sessions/${sessionId}/messages`,
      headers: { ...headers, 'content-type': 'application/json' },
      payload: '['.repeat(depth) + ']'.repeat(depth),
    })
    t.equal(response.statusCode, 400)
    t.same(response.json().errors, { body: ['must be object'] })
  })

  t.test('a body key named like a built-in property is a 400 naming it, not a 500 (issue 7, item 3)', async (t) => {
    // `__proto__` is refused by the JSON parser itself (400 for the whole body); these reach validation.
    for (const key of ['constructor', 'toString', 'valueOf', 'hasOwnProperty', 'isPrototypeOf']) {
      const message = await context.call(t, 'sendMessage', {
        method: 'POST',
        url: `/livechat/sessions/${sessionId}/messages`,
        headers: { ...headers, 'content-type': 'application/json' },
        payload: `{"message":"x","${key}":1}`,
      })
      t.equal(message.statusCode, 400, `sendMessage with ${key}`)
      t.same(Object.entries(message.json().errors), [[key, ['is not a known property']]])
      const tenant = await context.call(t, 'createTenant', {
        method: 'POST',
        url: '/admin/tenants',
        headers: { ...adminHeaders(context), 'content-type': 'application/json' },
        payload: `{"name":"Acme","${key}":1}`,
      })
      t.equal(tenant.statusCode, 400, `createTenant with ${key}`)
      t.same(Object.entries(tenant.json().errors), [[key, ['is not a known property']]])
    }
    const page = await context.call(t, 'listMessages', { method: 'GET', url: `/livechat/sessions/${sessionId}/messages`, headers })
    t.equal(page.json().data.length, 0, 'no message was stored')
  })

  t.test('an unknown route does not repeat a token from its query string', async (t) => {
    const secret = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl'
    const response = await context.app.inject({ method: 'GET', url: `/no-such-route?access_token=${secret}&page=2`, headers })
    t.equal(response.statusCode, 404)
    t.same(componentErrors('ErrorResponse', response.json()), [])
    t.notMatch(response.body, secret)
    t.match(response.json().errors._[0], /^No route GET \/no-such-route\?access_token=.+&page=2$/)
  })

  t.test('an integer in the URL must be decimal digits: hex, exponents and spaces are 400, not read as numbers', async (t) => {
    for (const limit of ['0x10', '1e1', '%2016%20', '16.0']) {
      const response = await context.call(t, 'listSessions', { method: 'GET', url: `/livechat/sessions?limit=${limit}`, headers })
      t.equal(response.statusCode, 400, `limit=${limit}`)
      t.ok(response.json().errors.limit, 'errors.limit says why')
    }
    const agent = await context.call(t, 'getAgentPresence', { method: 'GET', url: '/livechat/agents/0x3d/presence', headers })
    t.equal(agent.statusCode, 400, 'agent 0x3d is not agent 61')
    t.ok(agent.json().errors.agent_id)
    const decimal = await context.call(t, 'listSessions', { method: 'GET', url: '/livechat/sessions?limit=16', headers })
    t.equal(decimal.statusCode, 200, 'decimal digits still work')
  })

  t.test('a malformed URL answers in the envelope', async (t) => {
    const response = await context.app.inject({ method: 'GET', url: '/livechat/sessions/%', headers })
    t.equal(response.statusCode, 400)
    t.same(componentErrors('ErrorResponse', response.json()), [])
  })

  t.test('a body sent to an operation that takes none is refused, not ignored', async (t) => {
    const response = await context.call(t, 'closeSession', {
      method: 'POST',
      url: `/livechat/sessions/${sessionId}/close`,
      headers,
      payload: untypedBody({ reason: 'done' }),
    })
    t.equal(response.statusCode, 400)
    t.same(response.json().errors, { body: ['This operation takes no body'] })
    const session = await context.call(t, 'getSession', { method: 'GET', url: `/livechat/sessions/${sessionId}`, headers })
    t.equal(session.json().data.status, 'OPEN', 'nothing changed')
  })

  t.test('an unknown tenant cursor is 400, like every other list', async (t) => {
    const response = await context.call(t, 'listTenants', { method: 'GET', url: '/admin/tenants?cursor=999999', headers: adminHeaders(context) })
    t.equal(response.statusCode, 400)
    t.ok(response.json().errors.cursor)
  })

  t.test("an admin token without a tenants claim is accepted (it acts for no tenant)", async (t) => {
    const { createSigner } = await import('fast-jwt')
    const token = createSigner({ key: testSecret, expiresIn: '1h' })({ sub: '9001', roles: ['PLATFORM_ADMIN'] })
    const response = await context.call(t, 'listTenants', { method: 'GET', url: '/admin/tenants', headers: { authorization: `Bearer ${token}` } })
    t.equal(response.statusCode, 200)
    const agentToken = createSigner({ key: testSecret, expiresIn: '1h' })({ sub: '9002', roles: ['SUPPORT_AGENT'] })
    const agent = await context.call(t, 'getSession', {
      method: 'GET',
      url: `/livechat/sessions/${randomUUID()}`,
      headers: { authorization: `Bearer ${agentToken}`, 'x-tenant-id': String(tenantId) },
    })
    t.equal(agent.statusCode, 403, 'but a tenant call needs the tenant in the claim')
  })
})

t.test('development mode refuses to listen beyond loopback', async (t) => {
  t.throws(() => loadConfig({ HOST: '0.0.0.0' }), { message: /development mode listens on loopback only/ })
  t.doesNotThrow(() => loadConfig({ HOST: '0.0.0.0', JWT_SECRET: testSecret }))
  t.doesNotThrow(() => loadConfig({ HOST: 'localhost' }))
})

testOn(t, 'postgres', 'replicas starting together on one new PostgreSQL database migrate it once', async (t) => {
  const config = loadConfig({ JWT_SECRET: testSecret, LOG_LEVEL: 'silent', DATABASE_URL: await freshPostgresDatabase(t) })
  const apps = await Promise.all([1, 2, 3].map(() => buildApp(config, { logger: false })))
  t.teardown(() => Promise.all(apps.map((app) => app.close())))
  const health = await Promise.all(apps.map((app) => app.inject({ method: 'GET', url: '/health' })))
  t.same(health.map((response) => response.statusCode), [200, 200, 200])
})
