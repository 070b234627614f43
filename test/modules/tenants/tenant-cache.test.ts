import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { fileURLToPath } from 'node:url'
import postgres from 'postgres'
import t, { type Test } from 'tap'
import { adminHeaders, agentHeaders, createTenant } from '../../helpers/fixtures.js'
import { freshPostgresDatabase } from '../../helpers/fresh-database.js'
import { buildTestApp, databaseKinds, type TestApp, testOn } from '../../helpers/test-app.js'

// Every tenant-scoped request checks that its tenant is active (contract: 403 otherwise). The answer "active" is
// reused for TENANT_CACHE_SECONDS; a change made through the admin API or the CLI applies at once, on every
// instance sharing the database.

const projectRoot = fileURLToPath(new URL('../../..', import.meta.url))

const listSessions = (t: Test, context: TestApp, tenantId: number) =>
  context.call(t, 'listSessions', { method: 'GET', url: '/livechat/sessions', headers: agentHeaders(context, tenantId) })

const setActive = (t: Test, context: TestApp, tenantId: number, active: boolean) =>
  context.call(t, 'updateTenant', { method: 'PATCH', url: `/admin/tenants/${tenantId}`, headers: adminHeaders(context), payload: { active } })

/** The status of the first answer that is not `from`, polling for up to two seconds. */
async function statusOnceChanged(t: Test, context: TestApp, tenantId: number, from: number): Promise<number> {
  const until = Date.now() + 2000
  for (;;) {
    const status = (await listSessions(t, context, tenantId)).statusCode
    if (status !== from || Date.now() > until) return status
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

for (const kind of databaseKinds) {
  testOn(t, kind, `${kind}: a deactivation through the admin API applies to the very next request`, async (t) => {
    const context = await buildTestApp(t, kind, { TENANT_CACHE_SECONDS: '3600' })
    const tenantId = await createTenant(t, context)
    t.equal((await listSessions(t, context, tenantId)).statusCode, 200, 'active: the answer is now cached')
    t.equal((await setActive(t, context, tenantId, false)).statusCode, 200)
    const refused = await listSessions(t, context, tenantId)
    t.equal(refused.statusCode, 403, 'refused at once, cache or not')
    t.equal(refused.json().errors['X-Tenant-ID'][0], 'The tenant is not active or not available to this user')
    t.equal((await setActive(t, context, tenantId, true)).statusCode, 200)
    t.equal((await listSessions(t, context, tenantId)).statusCode, 200, 'reactivated: served at once')
  })
}

testOn(t, 'postgres', 'postgres: shared database', async (t) => {
  t.test('a deactivation on one instance reaches the cached answer of another', async (t) => {
    const url = await freshPostgresDatabase(t)
    const first = await buildTestApp(t, 'postgres', { DATABASE_URL: url, TENANT_CACHE_SECONDS: '3600' })
    const second = await buildTestApp(t, 'postgres', { DATABASE_URL: url, TENANT_CACHE_SECONDS: '3600' })
    const tenantId = await createTenant(t, first)
    t.equal((await listSessions(t, second, tenantId)).statusCode, 200, 'the second instance caches "active"')
    t.equal((await setActive(t, first, tenantId, false)).statusCode, 200, 'deactivated on the first')
    t.equal(await statusOnceChanged(t, second, tenantId, 200), 403, 'the second refuses once told')
    t.equal((await setActive(t, first, tenantId, true)).statusCode, 200)
    t.equal((await listSessions(t, second, tenantId)).statusCode, 200, 'a refusal is never cached: reactivation applies at once')
  })

  t.test('a deactivation with the CLI reaches a running instance', async (t) => {
    const url = await freshPostgresDatabase(t)
    const context = await buildTestApp(t, 'postgres', { DATABASE_URL: url, TENANT_CACHE_SECONDS: '3600' })
    const tenantId = await createTenant(t, context)
    t.equal((await listSessions(t, context, tenantId)).statusCode, 200)
    await promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/tenant.ts', 'update', String(tenantId), '--active', 'false'], {
      cwd: projectRoot,
      env: { ...process.env, DATABASE_URL: url, LOG_LEVEL: 'silent' },
    })
    t.equal(await statusOnceChanged(t, context, tenantId, 200), 403, 'refused once told')
  })

  t.test('a change behind the service (SQL) is seen within TENANT_CACHE_SECONDS, and at once with 0', async (t) => {
    const url = await freshPostgresDatabase(t)
    const sql = postgres(url, { max: 1, onnotice: () => {} })
    t.teardown(() => sql.end())
    const cached = await buildTestApp(t, 'postgres', { DATABASE_URL: url, TENANT_CACHE_SECONDS: '1' })
    const uncached = await buildTestApp(t, 'postgres', { DATABASE_URL: url, TENANT_CACHE_SECONDS: '0' })
    const tenantId = await createTenant(t, cached)
    t.equal((await listSessions(t, cached, tenantId)).statusCode, 200)
    t.equal((await listSessions(t, uncached, tenantId)).statusCode, 200)
    await sql`update tenants set active = false where id = ${tenantId}`
    t.equal((await listSessions(t, uncached, tenantId)).statusCode, 403, 'without a cache: at once')
    await new Promise((resolve) => setTimeout(resolve, 1100))
    t.equal((await listSessions(t, cached, tenantId)).statusCode, 403, 'with one: once the cached answer is older than the setting')
  })
})
