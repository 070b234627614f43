import { createSigner } from 'fast-jwt'
import t, { type Test } from 'tap'
import { createTenant } from '../helpers/fixtures.js'
import { onEachDatabase, testSecret, type TestApp } from '../helpers/test-app.js'

// Issue 7: "tokens with `iat` in the future or `exp` a century away are accepted"; "a maximum token lifetime
// (JWT_MAX_AGE_SECONDS, default 24 h) and a small clock-skew allowance for iat/nbf". openapi.yaml, Unauthorized:
// "issued in the future (iat, nbf), or valid for longer than JWT_MAX_AGE_SECONDS".

const minute = 60
const hour = 3600
const day = 86400
const nowInSeconds = () => Math.floor(Date.now() / 1000)

/** A token with exactly these time claims (seconds from now); `iat: null` leaves iat out. */
function tokenAt(tenantId: number, times: { iat?: number | null; exp: number; nbf?: number }): string {
  const now = nowInSeconds()
  const claims: Record<string, unknown> = { sub: '21', roles: ['SUPPORT_AGENT'], tenants: [tenantId], exp: now + times.exp }
  if (times.iat !== null) claims.iat = now + (times.iat ?? 0)
  if (times.nbf !== undefined) claims.nbf = now + times.nbf
  return createSigner({ key: testSecret, algorithm: 'HS256', noTimestamp: times.iat === null })(claims)
}

/** setMyPresence: the cheapest call that answers 200 when the caller gets in; checked against openapi.yaml. */
async function presenceStatus(t: Test, context: TestApp, tenantId: number, token: string): Promise<number> {
  const response = await context.call(t, 'setMyPresence', {
    method: 'PUT',
    url: '/livechat/agents/me/presence',
    headers: { authorization: `Bearer ${token}`, 'x-tenant-id': String(tenantId) },
    payload: { status: 'ONLINE' },
  })
  if (response.statusCode === 401) {
    t.same(response.json().errors, { authorization: ['The token is invalid or expired'] }, 'the 401 says why in the envelope')
  }
  return response.statusCode
}

onEachDatabase(t, async (t, context) => {
  const tenantId = await createTenant(t, context)
  const status = (t: Test, times: Parameters<typeof tokenAt>[1]) => presenceStatus(t, context, tenantId, tokenAt(tenantId, times))

  t.test('iat more than JWT_CLOCK_SKEW_SECONDS (30 s) in the future is 401; within the skew it is 200', async (t) => {
    t.equal(await status(t, { iat: 2 * minute, exp: hour }), 401, 'iat 2 minutes ahead')
    t.equal(await status(t, { iat: 10, exp: hour }), 200, 'iat 10 s ahead: a clock a little fast')
  })

  t.test('nbf more than the skew in the future is 401; within the skew it is 200', async (t) => {
    t.equal(await status(t, { nbf: 2 * minute, exp: hour }), 401, 'nbf 2 minutes ahead')
    t.equal(await status(t, { nbf: 10, exp: hour }), 200, 'nbf 10 s ahead')
  })

  t.test('exp a century away is 401, with or without iat', async (t) => {
    t.equal(await status(t, { exp: 100 * 365 * day }), 401, 'iat now')
    t.equal(await status(t, { iat: null, exp: 100 * 365 * day }), 401, 'no iat')
    t.equal(await status(t, { iat: null, exp: day + 10 * minute }), 401, 'no iat, exp 10 minutes past the maximum')
  })

  t.test('exp just under JWT_MAX_AGE_SECONDS (24 h) from now is 200', async (t) => {
    t.equal(await status(t, { exp: day - minute }), 200, 'iat now')
    t.equal(await status(t, { iat: null, exp: day - minute }), 200, 'no iat')
  })

  t.test('exp - iat over the maximum is 401 even when exp is near', async (t) => {
    t.equal(await status(t, { iat: -25 * hour, exp: 10 * minute }), 401, 'issued 25 h ago, expires in 10 minutes')
    t.equal(await status(t, { iat: -hour, exp: day - minute }), 401, 'issued an hour ago, 24 h 59 min of life in all')
    t.equal(await status(t, { iat: -hour, exp: day - hour - minute }), 200, 'issued an hour ago, just under 24 h in all')
  })

  t.test('a token expired less than the skew ago is still 200; longer ago it is 401', async (t) => {
    t.equal(await status(t, { iat: -hour, exp: -10 }), 200, 'expired 10 s ago')
    t.equal(await status(t, { iat: -hour, exp: -2 * minute }), 401, 'expired 2 minutes ago')
  })
})

t.test('a JWT_MAX_AGE_SECONDS of 120 is honoured', async (t) => {
  onEachDatabase(
    t,
    async (t, context) => {
      // createTenant uses the test signer: its tokens (1 h asked) are kept within the 120 s the service accepts.
      const tenantId = await createTenant(t, context)
      const status = (t: Test, times: Parameters<typeof tokenAt>[1]) => presenceStatus(t, context, tenantId, tokenAt(tenantId, times))
      t.equal(await status(t, { exp: 100 }), 200, 'a token of 100 s')
      t.equal(await status(t, { exp: 5 * minute }), 401, 'a token of 5 minutes')
      t.equal(await status(t, { iat: -100, exp: 50 }), 401, 'issued 100 s ago, expiring in 50 s: 150 s in all')
      t.equal(await presenceStatus(t, context, tenantId, context.token({ sub: 21, tenants: [tenantId] })), 200, 'the test signer keeps within it')
    },
    { JWT_MAX_AGE_SECONDS: '120' },
  )
})
