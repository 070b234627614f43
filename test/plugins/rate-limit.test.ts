import { randomUUID } from 'node:crypto'
import { Redis } from 'ioredis'
import type { LightMyRequestResponse } from 'fastify'
import t, { type Test } from 'tap'
import { loadConfig } from '../../src/config.js'
import { adminHeaders, agentHeaders, createTenant } from '../helpers/fixtures.js'
import { specErrors } from '../helpers/spec-validator.js'
import { buildTestApp, onEachDatabase, type TestApp } from '../helpers/test-app.js'
import { testNeeding } from '../helpers/test-needing.js'

// Issue 7, item 6: one token sent 2,000 requests/s and every one was accepted.
const defaults = loadConfig({})
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'
// A machine busy with the other test files can be slow to answer: the probe waits long enough not to take that for absence.
const probeTimeoutMs = 5000
const redisMissing = await redisAnswers(redisUrl).then((answers) => !answers && `Redis does not answer at ${redisUrl} within ${probeTimeoutMs} ms`)

async function redisAnswers(url: string): Promise<boolean> {
  const probe = new Redis(url, { connectTimeout: probeTimeoutMs, commandTimeout: probeTimeoutMs, maxRetriesPerRequest: 0, lazyConnect: true, retryStrategy: () => null })
  probe.on('error', () => undefined)
  const answered = await probe
    .connect()
    .then(() => probe.ping())
    .then(
      () => true,
      () => false,
    )
  probe.disconnect()
  return answered
}

const limits = (user: number, address: number, extra: Record<string, string> = {}) => ({
  RATE_LIMIT_USER_MAX: String(user),
  RATE_LIMIT_IP_MAX: String(address),
  ...extra,
})

/** A Redis key prefix no other test or deployment uses, and its keys deleted afterwards. */
function redisPrefix(t: Test): string {
  const prefix = `test:${randomUUID()}:`
  t.teardown(async () => {
    const redis = new Redis(redisUrl)
    const keys = await redis.keys(`${prefix}*`)
    if (keys.length > 0) await redis.del(...keys)
    redis.disconnect()
  })
  return prefix
}

const unreadCount = (context: TestApp, headers: Record<string, string>, remoteAddress?: string) =>
  context.app.inject({ method: 'GET', url: '/notifications/unread-count', headers, ...(remoteAddress && { remoteAddress }) })

/** `count` requests, `concurrency` at a time, as a client firing as fast as it can. */
async function burst(count: number, concurrency: number, send: () => Promise<LightMyRequestResponse>): Promise<LightMyRequestResponse[]> {
  const responses: LightMyRequestResponse[] = []
  while (responses.length < count) {
    responses.push(...(await Promise.all(Array.from({ length: Math.min(concurrency, count - responses.length) }, send))))
  }
  return responses
}

const statusCounts = (responses: LightMyRequestResponse[]) =>
  responses.reduce<Record<number, number>>((counts, { statusCode }) => ({ ...counts, [statusCode]: (counts[statusCode] ?? 0) + 1 }), {})

function assertRateLimited(t: Test, response: LightMyRequestResponse, operationId: string, max: number, who: string) {
  t.equal(response.statusCode, 429)
  t.same(specErrors(operationId, 429, response.json()), [], '429 body matches openapi.yaml')
  const retryAfter = Number(response.headers['retry-after'])
  t.ok(retryAfter >= 1 && retryAfter <= defaults.RATE_LIMIT_WINDOW_SECONDS, `Retry-After ${retryAfter} is within the window`)
  t.equal(response.headers['ratelimit-limit'], String(max))
  t.equal(response.headers['ratelimit-remaining'], '0')
  t.equal(response.headers['ratelimit-reset'], String(retryAfter))
  t.match(response.json(), {
    success: false,
    message: 'Too many requests',
    data: null,
    errors: { _: [`Too many requests: ${max} per ${defaults.RATE_LIMIT_WINDOW_SECONDS} s for ${who}; retry after ${retryAfter} s`] },
  })
}

t.test('with the default limits, one token firing 700 requests gets 429 after 600, in the envelope', async (t) => {
  t.equal(defaults.RATE_LIMIT_USER_MAX, 600, 'the documented default')
  onEachDatabase(
    t,
    async (t, context) => {
      const tenantId = await createTenant(t, context)
      const headers = agentHeaders(context, tenantId)
      const started = Date.now()
      const responses = await burst(700, 50, () => unreadCount(context, headers))
      t.comment(`700 requests in ${Date.now() - started} ms`)
      t.same(statusCounts(responses), { 200: 600, 429: 100 })
      t.same(responses.slice(0, 600).map((response) => response.statusCode), Array(600).fill(200), 'the first 600 are served')
      assertRateLimited(t, responses[699], 'getUnreadNotificationCount', 600, 'this user and tenant')
    },
    limits(defaults.RATE_LIMIT_USER_MAX, defaults.RATE_LIMIT_IP_MAX),
  )
})

t.test('the limit is per user and tenant: another user, or the same user in another tenant, is still served', async (t) => {
  onEachDatabase(
    t,
    async (t, context) => {
      const [first, second] = [await createTenant(t, context, 'First'), await createTenant(t, context, 'Second')]
      const userA = agentHeaders(context, first, 1, [first, second])
      for (let request = 1; request <= 5; request++) t.equal((await unreadCount(context, userA)).statusCode, 200, `request ${request}`)
      assertRateLimited(t, await unreadCount(context, userA), 'getUnreadNotificationCount', 5, 'this user and tenant')
      t.equal((await unreadCount(context, agentHeaders(context, first, 2))).statusCode, 200, 'user B in the same tenant')
      t.equal((await unreadCount(context, agentHeaders(context, second, 1, [first, second]))).statusCode, 200, 'user A in another tenant')
    },
    limits(5, 0),
  )
})

t.test('the address limit applies before the token is checked: 401 until the limit, then 429', async (t) => {
  onEachDatabase(
    t,
    async (t, context) => {
      const badToken = { authorization: 'Bearer not.a.token', 'x-tenant-id': '1' }
      const statuses = []
      for (let request = 0; request < 6; request++) statuses.push((await unreadCount(context, badToken, '203.0.113.7')).statusCode)
      t.same(statuses, [401, 401, 401, 401, 401, 429])
      const goodToken = adminHeaders(context)
      const limited = await context.app.inject({ method: 'GET', url: '/admin/tenants', headers: goodToken, remoteAddress: '203.0.113.7' })
      assertRateLimited(t, limited, 'listTenants', 5, 'this address')
      const otherAddress = await context.app.inject({ method: 'GET', url: '/admin/tenants', headers: goodToken, remoteAddress: '203.0.113.8' })
      t.equal(otherAddress.statusCode, 200, 'another address is still served')
      const unknownRoute = await context.app.inject({ method: 'GET', url: '/nowhere', remoteAddress: '203.0.113.7' })
      t.equal(unknownRoute.statusCode, 429, 'guessing routes counts too')
    },
    limits(0, 5),
  )
})

t.test('served responses carry RateLimit-* headers of the nearer limit; health and metrics are never limited', async (t) => {
  onEachDatabase(
    t,
    async (t, context) => {
      const headers = adminHeaders(context)
      const first = await context.call(t, 'listTenants', { method: 'GET', url: '/admin/tenants', headers })
      t.equal(first.statusCode, 200)
      t.match(first.headers, { 'ratelimit-limit': '3', 'ratelimit-remaining': '2', 'ratelimit-reset': /^[1-9][0-9]*$/ }, 'the user limit')
      const second = await context.call(t, 'listTenants', { method: 'GET', url: '/admin/tenants', headers: adminHeaders(context) })
      t.match(second.headers, { 'ratelimit-limit': '3', 'ratelimit-remaining': '1' })
      const otherUser = { authorization: `Bearer ${context.token({ sub: 9001, roles: ['PLATFORM_ADMIN'] })}` }
      const third = await context.call(t, 'listTenants', { method: 'GET', url: '/admin/tenants', headers: otherUser })
      t.match(third.headers, { 'ratelimit-limit': '4', 'ratelimit-remaining': '1' }, 'the address limit, which has fewer left than the new user')
      for (const [operationId, url] of [
        ['getHealth', '/health'],
        ['getLiveness', '/health/live'],
        ['getReadiness', '/health/ready'],
        ['getMetrics', '/metrics'],
      ] as const) {
        const responses = await burst(10, 5, () => context.app.inject({ method: 'GET', url }))
        t.same(statusCounts(responses), { 200: 10 }, `${operationId}: ten in a row are served`)
        t.notOk(responses[9].headers['ratelimit-limit'], `${operationId}: no rate-limit headers`)
      }
    },
    limits(3, 4),
  )
})

testNeeding(t, 'with REDIS_URL, instances share the counts', redisMissing, async (t) => {
  onEachDatabase(t, async (t, context) => {
    const prefix = redisPrefix(t)
    const shared = limits(5, 0, { REDIS_URL: redisUrl, REDIS_KEY_PREFIX: prefix })
    const instances = [await buildTestApp(t, context.kind, shared), await buildTestApp(t, context.kind, shared)]
    const list = (instance: TestApp) => instance.app.inject({ method: 'GET', url: '/admin/tenants', headers: adminHeaders(instance) })
    for (let request = 1; request <= 3; request++) t.equal((await list(instances[0])).statusCode, 200, `instance 1, request ${request}`)
    t.same([(await list(instances[1])).statusCode, (await list(instances[1])).statusCode], [200, 200], 'instance 2 has what is left')
    assertRateLimited(t, await list(instances[1]), 'listTenants', 5, 'this user and tenant')
    t.equal((await list(instances[0])).statusCode, 429, 'and instance 1 knows it')

    const redis = new Redis(redisUrl)
    t.teardown(() => redis.disconnect())
    t.same(await redis.keys(`${prefix}*`), [`${prefix}rate-limit:user:9000:tenant:0`], 'the counts live under REDIS_KEY_PREFIX')
    const otherDeployment = await buildTestApp(t, context.kind, { ...shared, REDIS_KEY_PREFIX: `${prefix}other:` })
    t.equal((await list(otherDeployment)).statusCode, 200, 'another prefix counts apart')
  })
})

t.test('when Redis does not answer, requests are served at once (fail open)', async (t) => {
  onEachDatabase(
    t,
    async (t, context) => {
      const headers = adminHeaders(context)
      const started = Date.now()
      const responses = await burst(20, 5, () => context.app.inject({ method: 'GET', url: '/admin/tenants', headers }))
      const elapsed = Date.now() - started
      t.same(statusCounts(responses), { 200: 20 }, 'all served, though over the limit of 2')
      t.ok(elapsed < 8000, `20 requests answered in ${elapsed} ms`)
    },
    limits(2, 2, { REDIS_URL: 'redis://127.0.0.1:1' }),
  )
})
