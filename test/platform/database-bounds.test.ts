import { performance } from 'node:perf_hooks'
import postgres from 'postgres'
import t, { type Test } from 'tap'
import { adminHeaders } from '../helpers/fixtures.js'
import { buildTestApp, type TestApp } from '../helpers/test-app.js'
import { testNeeding } from '../helpers/test-needing.js'

// Issue 7, "Bounded everything": a request that needs a database which does not answer gets a 503 in the
// envelope with Retry-After within the configured bound. The database is made slow the way it is in
// production, by a lock another session holds, not by a mock.

const postgresMissing = !process.env.DATABASE_URL && 'needs DATABASE_URL (PostgreSQL: PGlite has no pool, no statement timeout and no other sessions)'

/** Another session takes the tenants table, so every query on it waits, until `release`. */
async function lockTenants(t: Test, context: TestApp) {
  const locker = postgres(context.config.DATABASE_URL!, { max: 1, onnotice: () => {} })
  const session = await locker.reserve()
  await session`begin`
  await session`lock table tenants in access exclusive mode`
  let released = false
  const release = async () => {
    if (released) return
    released = true
    await session`rollback`
    session.release()
    await locker.end()
  }
  t.teardown(release)
  return release
}

const listTenants = (context: TestApp) => context.app.inject({ method: 'GET', url: '/admin/tenants', headers: adminHeaders(context) })

type Answer = Awaited<ReturnType<TestApp['call']>>

/** The answer and how long it took, or no answer if none came within 5 s (the lock is still held then). */
async function timed(work: Promise<Answer>): Promise<{ result?: Answer; ms: number }> {
  const started = performance.now()
  const result = await Promise.race([work, new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 5000))])
  return { result, ms: performance.now() - started }
}

/** Whether the pool has no connection in use and no one waiting, at some point within `ms`. */
async function poolIdleWithin(context: TestApp, ms: number): Promise<boolean> {
  const idle = () => {
    const usage = context.app.database.poolUsage?.()
    return usage?.inUse === 0 && usage.waiting === 0
  }
  for (const until = Date.now() + ms; !idle() && Date.now() < until; ) await new Promise((resolve) => setTimeout(resolve, 10))
  return idle()
}

function checkUnavailable(t: Test, response: Answer | undefined): response is Answer {
  if (!response) return t.fail('no answer within 5 s')
  t.equal(response.statusCode, 503, '503')
  t.match(response.headers['retry-after'], /^\d+$/, 'with Retry-After in seconds')
  t.equal(response.json().success, false, 'in the envelope')
  return true
}

testNeeding(t, 'a request waits at most DB_ACQUIRE_TIMEOUT_MS for a pool connection, then is answered 503', postgresMissing, async (t) => {
  const context = await buildTestApp(t, 'postgres', { DB_POOL_MAX: '1', DB_ACQUIRE_TIMEOUT_MS: '500', DB_STATEMENT_TIMEOUT_MS: '60000', RESPONSE_TIMEOUT_SECONDS: '60' })
  const release = await lockTenants(t, context)
  // Takes the only connection and keeps it, waiting for the lock.
  const holder = listTenants(context)
  await new Promise((resolve) => setTimeout(resolve, 200))
  const waiting = timed(context.call(t, 'listTenants', { method: 'GET', url: '/admin/tenants', headers: adminHeaders(context) }))
  await new Promise((resolve) => setTimeout(resolve, 100))
  t.same(context.app.database.poolUsage?.(), { size: 1, inUse: 1, waiting: 1 }, 'the pool reports its one connection in use and one request waiting')

  const { result: response, ms } = await waiting
  if (checkUnavailable(t, response)) t.equal(response.json().message, 'Database unavailable', 'which says the database is unavailable')
  t.ok(ms >= 450 && ms < 2500, `answered after the acquire timeout of 500 ms (${Math.round(ms)} ms)`)

  await release()
  t.equal((await holder).statusCode, 200, 'the request holding the connection ends normally once the lock is gone')
  // Background work (the queue sweep, twice a second) may borrow the connection for a moment.
  t.ok(await poolIdleWithin(context, 1000), 'and gives its connection back')
  t.equal((await listTenants(context)).statusCode, 200, 'the next request gets it')
})

testNeeding(t, 'a statement runs at most DB_STATEMENT_TIMEOUT_MS, then the request is answered 503', postgresMissing, async (t) => {
  const context = await buildTestApp(t, 'postgres', { DB_STATEMENT_TIMEOUT_MS: '300', RESPONSE_TIMEOUT_SECONDS: '60' })
  await lockTenants(t, context)
  const { result: response, ms } = await timed(context.call(t, 'listTenants', { method: 'GET', url: '/admin/tenants', headers: adminHeaders(context) }))
  checkUnavailable(t, response)
  t.ok(ms >= 250 && ms < 2500, `answered after the statement timeout of 300 ms (${Math.round(ms)} ms)`)
})

testNeeding(t, 'a request is answered 503 within RESPONSE_TIMEOUT_SECONDS, POSTs too, and its late end harms nothing', postgresMissing, async (t) => {
  const context = await buildTestApp(t, 'postgres', { RESPONSE_TIMEOUT_SECONDS: '0.5', DB_STATEMENT_TIMEOUT_MS: '60000', DB_ACQUIRE_TIMEOUT_MS: '60000' })
  const release = await lockTenants(t, context)
  const { result: response, ms } = await timed(
    context.call(t, 'createTenant', { method: 'POST', url: '/admin/tenants', headers: adminHeaders(context), payload: { name: 'Late' } }),
  )
  if (checkUnavailable(t, response)) {
    t.equal(response.json().message, 'The service did not answer in time', 'which says the service did not answer in time')
    t.match(response.json().errors._[0], /Idempotency-Key/, 'and tells that a POST is retried safely with its Idempotency-Key')
  }
  t.ok(ms >= 450 && ms < 2500, `answered after the response timeout of 500 ms (${Math.round(ms)} ms)`)

  // The handler was still waiting; once the lock goes it finishes, with no one to answer.
  await release()
  await new Promise((resolve) => setTimeout(resolve, 300))
  const list = await context.call(t, 'listTenants', { method: 'GET', url: '/admin/tenants', headers: adminHeaders(context) })
  t.equal(list.statusCode, 200, 'the service goes on')
  t.same(
    list.json().data.map((tenant: { name: string }) => tenant.name),
    ['Late'],
    'the late POST took effect: a client retries it with its Idempotency-Key',
  )
})
