import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { fileURLToPath } from 'node:url'
import t, { type Test } from 'tap'
import { listening, openStream } from '../../helpers/event-stream.js'
import { adminHeaders, createTenant } from '../../helpers/fixtures.js'
import { freshPostgresDatabase } from '../../helpers/fresh-database.js'
import { untypedBody } from '../../helpers/operation-types.js'
import { buildTestApp, onEachDatabase, type TestApp, testOn } from '../../helpers/test-app.js'
import type { components } from '../../../generated/openapi.js'

// Issue 9, "Tenant by domain": the guide says the tenant comes from X-Tenant-ID "or automatically via domain".
// Tenants get optional, unique domains (admin API and CLI); a call without X-Tenant-ID whose Host (or, behind a
// proxy trusted by TRUST_PROXY, X-Forwarded-Host) is a tenant's domain acts for that tenant, with the header's
// checks; a header that names another tenant than the domain is 400.

type Tenant = components['schemas']['Tenant']

const projectRoot = fileURLToPath(new URL('../../..', import.meta.url))
const missingHeader = "The header is required unless the call is sent to the tenant's domain"
const notAvailable = 'The tenant is not active or not available to this user'

/** A SUPPORT_AGENT's headers without X-Tenant-ID: the tenant comes from `host`. */
const agentAt = (context: TestApp, host: string, tenants: number[], agentId = 1): Record<string, string> => ({
  authorization: `Bearer ${context.token({ sub: agentId, roles: ['SUPPORT_AGENT'], tenants })}`,
  host,
})

function admin(context: TestApp) {
  return {
    create: (t: Test, payload: unknown) =>
      context.call(t, 'createTenant', { method: 'POST', url: '/admin/tenants', headers: adminHeaders(context), payload: untypedBody(payload) }),
    update: (t: Test, id: number, payload: unknown) =>
      context.call(t, 'updateTenant', { method: 'PATCH', url: `/admin/tenants/${id}`, headers: adminHeaders(context), payload: untypedBody(payload) }),
    async all(t: Test): Promise<Tenant[]> {
      const response = await context.call(t, 'listTenants', { method: 'GET', url: '/admin/tenants', query: { limit: '100' }, headers: adminHeaders(context) })
      t.equal(response.statusCode, 200, 'tenants listed')
      return response.json().data
    },
    async created(t: Test, name: string, domain?: string | null): Promise<Tenant> {
      const response = await this.create(t, { name, ...(domain !== undefined && { domain }) })
      t.equal(response.statusCode, 201, `tenant ${name} created`)
      return response.json().data
    },
    async domainSet(t: Test, id: number, domain: string | null): Promise<Tenant> {
      const response = await this.update(t, id, { domain })
      t.equal(response.statusCode, 200, `domain of tenant ${id} set to ${domain}`)
      return response.json().data
    },
  }
}

const listSessions = (t: Test, context: TestApp, headers: Record<string, string>) =>
  context.call(t, 'listSessions', { method: 'GET', url: '/livechat/sessions', headers })

/** Starts a session as the agent of `headers` (ONLINE first) and returns it, as the call answers it. */
async function startedSession(t: Test, context: TestApp, headers: Record<string, string>) {
  const presence = await context.call(t, 'setMyPresence', { method: 'PUT', url: '/livechat/agents/me/presence', headers, payload: { status: 'ONLINE' } })
  t.equal(presence.statusCode, 200, 'agent ONLINE')
  const response = await context.call(t, 'startSession', { method: 'POST', url: '/livechat/sessions', headers, payload: {} })
  t.equal(response.statusCode, 201, 'session started')
  return response.json().data as { id: string; tenant_id: number }
}

/** The tenant the call acted for, read from the sessions it lists (each test's tenants hold one session each). */
async function tenantActedFor(t: Test, context: TestApp, headers: Record<string, string>): Promise<number[]> {
  const response = await listSessions(t, context, headers)
  t.equal(response.statusCode, 200, 'sessions listed')
  return [...new Set(response.json().data.map((session: { tenant_id: number }) => session.tenant_id))] as number[]
}

type Refusal = { message?: string; errors: Record<string, unknown> }

function assertRefused(t: Test, response: { statusCode: number; json: () => any }, status: number, expected: Refusal, what = `status ${status}`) {
  t.equal(response.statusCode, status, what)
  t.match(response.json(), { success: false, data: null, ...expected }, `${what}: the envelope says why`)
}

const headerMissing: Refusal = { message: 'X-Tenant-ID is required', errors: { 'X-Tenant-ID': [missingHeader] } }
const tenantRefused: Refusal = { message: 'Not allowed', errors: { 'X-Tenant-ID': [notAvailable] } }

// TENANT_CACHE_SECONDS is long, so every answer below that follows a change shows the change was forgotten.
onEachDatabase(
  t,
  async (t, context) => {
    const tenants = admin(context)

    t.test('POST /admin/tenants', async (t) => {
      t.test('takes a domain and stores it lower-case; without one, or with null, domain is null', async (t) => {
        const acme = await tenants.created(t, 'Acme', 'Acme.Example.COM')
        t.equal(acme.domain, 'acme.example.com')
        t.equal((await tenants.created(t, 'Plain')).domain, null, 'absent: null')
        t.equal((await tenants.created(t, 'Explicit', null)).domain, null, 'null: null')
        t.same((await tenants.all(t)).find((tenant) => tenant.id === acme.id), acme, 'listed as created')
      })

      t.test('the longest host name (253 characters, labels of 63) is accepted', async (t) => {
        const longest = ['a'.repeat(63), 'b'.repeat(63), 'c'.repeat(63), 'd'.repeat(61)].join('.')
        t.equal(longest.length, 253)
        t.equal((await tenants.created(t, 'Long', longest)).domain, longest)
        t.equal((await tenants.created(t, 'Single label', 'intranet')).domain, 'intranet', 'a single label is a host name too')
      })
    })

    t.test('PATCH /admin/tenants/{tenant_id} sets, changes and removes the domain, leaving the rest', async (t) => {
      const tenant = await tenants.created(t, 'Mutable')
      const set = await tenants.domainSet(t, tenant.id, 'Chat.Mutable.Test')
      t.match(set, { id: tenant.id, name: 'Mutable', active: true, domain: 'chat.mutable.test', created_at: tenant.created_at })
      t.equal((await tenants.domainSet(t, tenant.id, 'chat.mutable.test')).domain, 'chat.mutable.test', 'setting its own domain again is fine')
      t.equal((await tenants.domainSet(t, tenant.id, 'support.mutable.test')).domain, 'support.mutable.test')
      const renamed = await tenants.update(t, tenant.id, { name: 'Renamed' })
      t.match(renamed.json().data, { name: 'Renamed', domain: 'support.mutable.test' }, 'a change of something else keeps the domain')
      t.equal((await tenants.domainSet(t, tenant.id, null)).domain, null, 'null removes it')
      t.match((await tenants.all(t)).find((listed) => listed.id === tenant.id), { name: 'Renamed', domain: null })
    })

    t.test('409: a domain another tenant has, in any case; nothing is created or changed', async (t) => {
      const owner = await tenants.created(t, 'Owner', 'shop.example.com')
      const other = await tenants.created(t, 'Other', 'other.example.com')
      const before = await tenants.all(t)
      for (const domain of ['shop.example.com', 'SHOP.Example.com']) {
        const taken = { message: 'Domain already in use', errors: { domain: ['Another tenant has the domain shop.example.com'] } }
        assertRefused(t, await tenants.create(t, { name: 'Copycat', domain }), 409, taken, `create with ${domain}`)
        assertRefused(t, await tenants.update(t, other.id, { domain, name: 'Not renamed' }), 409, taken, `update with ${domain}`)
      }
      t.same(await tenants.all(t), before, 'no tenant created, renamed or given the domain')

      await tenants.domainSet(t, owner.id, null)
      t.equal((await tenants.domainSet(t, other.id, 'SHOP.example.com')).domain, 'shop.example.com', 'once freed, another tenant may take it')
    })

    t.test('400: a domain that is not a DNS host name, naming the field; nothing is created or changed', async (t) => {
      const tenant = await tenants.created(t, 'Strict', 'strict.example.com')
      const before = await tenants.all(t)
      for (const domain of [
        '',
        ' ',
        'strict example.com',
        'acme..example.com',
        '.acme.example.com',
        'acme.example.com.',
        '-acme.example.com',
        'acme-.example.com',
        'acme_corp.example.com',
        'ácme.example.com',
        'acme.example.com:8080',
        'https://acme.example.com',
        'acme.example.com/path',
        '127.0.0.1',
        '[::1]',
        `${'a'.repeat(64)}.example.com`,
        ['a'.repeat(63), 'b'.repeat(63), 'c'.repeat(63), 'd'.repeat(62)].join('.'),
        42,
        true,
        ['acme.example.com'],
      ]) {
        const invalid = { message: 'Invalid body', errors: { domain: [String] } }
        assertRefused(t, await tenants.create(t, { name: 'Invalid', domain }), 400, invalid, `create with ${JSON.stringify(domain)}`)
        assertRefused(t, await tenants.update(t, tenant.id, { domain }), 400, invalid, `update with ${JSON.stringify(domain)}`)
      }
      t.same(await tenants.all(t), before, 'nothing created or changed')
    })

    t.test('a call sent to the domain without X-Tenant-ID', async (t) => {
      const home = await tenants.created(t, 'Home', 'home.example.test')
      const away = await tenants.created(t, 'Away', 'away.example.test')
      const both = [home.id, away.id]
      const atHome = agentAt(context, 'home.example.test', both)

      t.test('acts for the domain\'s tenant: presence, a session start and the list are that tenant\'s', async (t) => {
        const session = await startedSession(t, context, atHome)
        t.equal(session.tenant_id, home.id, 'the session is the tenant of the domain')
        const awaySession = await startedSession(t, context, agentAt(context, 'away.example.test', both))
        t.equal(awaySession.tenant_id, away.id, "and another domain's call acts for that one")
        t.same(await tenantActedFor(t, context, atHome), [home.id], "only the domain's tenant's sessions are listed")
        t.same(await tenantActedFor(t, context, { ...atHome, 'x-tenant-id': String(home.id) }), [home.id], 'X-Tenant-ID naming the same tenant is fine')
      })

      t.test('the port is ignored, and so are case and a final dot, as in DNS', async (t) => {
        for (const host of ['home.example.test:8443', 'home.example.test:80', 'HOME.Example.Test', 'home.example.test.', 'home.example.test.:3000']) {
          t.same(await tenantActedFor(t, context, agentAt(context, host, both)), [home.id], host)
        }
      })

      t.test('400 TENANT_MISMATCH: X-Tenant-ID naming another tenant, even one the token lists', async (t) => {
        for (const header of [away.id, 2147483647]) {
          const mismatch = {
            message: 'X-Tenant-ID does not match the domain',
            errors: { 'X-Tenant-ID': ['The host home.example.test is the domain of another tenant; send its id, or no X-Tenant-ID'] },
          }
          assertRefused(t, await listSessions(t, context, { ...atHome, 'x-tenant-id': String(header) }), 400, mismatch, `X-Tenant-ID ${header}`)
        }
        const invalid = { message: 'X-Tenant-ID is invalid', errors: { 'X-Tenant-ID': ['Must be a positive integer tenant id'] } }
        assertRefused(t, await listSessions(t, context, { ...atHome, 'x-tenant-id': 'abc' }), 400, invalid, 'an invalid header is still that 400')
      })

      t.test('400 as before when the host is no tenant\'s domain; X-Tenant-ID works there as always', async (t) => {
        for (const host of ['api.example.test', 'localhost:3000', '127.0.0.1:3000', '[::1]:3000', 'example.test', 'home.example.test.evil.test']) {
          assertRefused(t, await listSessions(t, context, agentAt(context, host, both)), 400, headerMissing, host)
        }
        t.same(await tenantActedFor(t, context, { ...agentAt(context, 'api.example.test', both), 'x-tenant-id': String(away.id) }), [away.id])
      })

      t.test('403 when the token does not list the domain\'s tenant, as for the header', async (t) => {
        assertRefused(t, await listSessions(t, context, agentAt(context, 'home.example.test', [away.id])), 403, tenantRefused, 'a token of another tenant')
        assertRefused(t, await listSessions(t, context, agentAt(context, 'home.example.test', [])), 403, tenantRefused, 'a token of no tenant')
      })

      t.test('403 when the domain\'s tenant is inactive, and served again once reactivated', async (t) => {
        const dormant = await tenants.created(t, 'Dormant', 'dormant.example.test')
        const headers = agentAt(context, 'dormant.example.test', [dormant.id])
        t.equal((await listSessions(t, context, headers)).statusCode, 200, 'active: served (and cached)')
        t.equal((await tenants.update(t, dormant.id, { active: false })).statusCode, 200)
        assertRefused(t, await listSessions(t, context, headers), 403, tenantRefused, 'inactive: refused at once')
        t.equal((await tenants.update(t, dormant.id, { active: true })).statusCode, 200)
        t.equal((await listSessions(t, context, headers)).statusCode, 200)
      })

      t.test('X-Forwarded-Host is ignored without TRUST_PROXY: the client cannot choose its tenant with it', async (t) => {
        const forwarded = { ...agentAt(context, 'api.example.test', both), 'x-forwarded-host': 'home.example.test' }
        assertRefused(t, await listSessions(t, context, forwarded), 400, headerMissing, 'X-Forwarded-Host alone')
        t.same(await tenantActedFor(t, context, { ...atHome, 'x-forwarded-host': 'away.example.test' }), [home.id], 'Host decides')
      })

      t.test('a stream token made through the domain is bound to its tenant; the agent stream takes the domain as its tenant', async (t) => {
        const issued = await context.call(t, 'createStreamToken', { method: 'POST', url: '/livechat/stream-tokens', headers: atHome })
        t.equal(issued.statusCode, 201)
        t.equal(issued.json().data.tenant_id, home.id)
        const everywhere = await context.call(t, 'createStreamToken', { method: 'POST', url: '/livechat/stream-tokens', headers: agentAt(context, 'api.example.test', both) })
        t.equal(everywhere.json().data.tenant_id, null, 'elsewhere, without X-Tenant-ID, the token still covers every tenant')

        const base = await listening(context)
        const byDomain = await openStream(t, base, 'streamAgentEvents', '/livechat/events', { headers: atHome })
        t.same((await byDomain.next(t)).data.tenant_ids, [home.id], 'the stream sent to the domain is that tenant\'s')
        // A stream token stands in for the tenant: the Host a browser sends with it does not change it.
        const awayToken = await context.call(t, 'createStreamToken', {
          method: 'POST',
          url: '/livechat/stream-tokens',
          headers: { ...agentAt(context, 'api.example.test', both), 'x-tenant-id': String(away.id) },
        })
        const byToken = await openStream(t, base, 'streamAgentEvents', '/livechat/events', {
          query: { stream_token: awayToken.json().data.token },
          headers: { host: 'home.example.test' },
        })
        t.same((await byToken.next(t)).data.tenant_ids, [away.id], "the token's tenant, whatever the Host")
      })
    })

    t.test('a domain change applies to the very next call, although answers are cached', async (t) => {
      const first = await tenants.created(t, 'First', 'old.example.test')
      const second = await tenants.created(t, 'Second')
      const both = [first.id, second.id]
      await startedSession(t, context, agentAt(context, 'old.example.test', both))
      await startedSession(t, context, { ...agentAt(context, 'api.example.test', both), 'x-tenant-id': String(second.id) })
      const at = (host: string) => agentAt(context, host, both)

      t.same(await tenantActedFor(t, context, at('old.example.test')), [first.id], 'cached: old is the first tenant')
      assertRefused(t, await listSessions(t, context, at('new.example.test')), 400, headerMissing, 'cached: new is no tenant')

      await tenants.domainSet(t, first.id, 'new.example.test')
      t.same(await tenantActedFor(t, context, at('new.example.test')), [first.id], 'the new domain acts at once')
      assertRefused(t, await listSessions(t, context, at('old.example.test')), 400, headerMissing, 'the old one no longer does')

      await tenants.domainSet(t, first.id, null)
      await tenants.domainSet(t, second.id, 'new.example.test')
      t.same(await tenantActedFor(t, context, at('new.example.test')), [second.id], 'a domain moved to another tenant acts for that one at once')

      const created = await tenants.created(t, 'Third', 'old.example.test')
      t.equal((await listSessions(t, context, agentAt(context, 'old.example.test', [created.id]))).statusCode, 200, 'a new tenant\'s domain acts at once')
    })
  },
  { TENANT_CACHE_SECONDS: '3600' },
)

t.test('behind a proxy trusted by TRUST_PROXY, X-Forwarded-Host names the domain', async (t) => {
  onEachDatabase(
    t,
    async (t, context) => {
      const tenantId = (await admin(context).created(t, 'Proxied', 'proxied.example.test')).id
      await startedSession(t, context, agentAt(context, 'proxied.example.test', [tenantId]))
      const internal = (forwardedHost: string) => ({ ...agentAt(context, 'livechat.internal:3000', [tenantId]), 'x-forwarded-host': forwardedHost })

      t.same(await tenantActedFor(t, context, internal('proxied.example.test')), [tenantId], 'X-Forwarded-Host is the domain')
      t.same(await tenantActedFor(t, context, internal('proxied.example.test:443')), [tenantId], 'its port is ignored')
      t.same(await tenantActedFor(t, context, internal('elsewhere.test, proxied.example.test')), [tenantId], 'the last proxy\'s entry counts')
      const forwardedElsewhere = { ...agentAt(context, 'proxied.example.test', [tenantId]), 'x-forwarded-host': 'api.example.test' }
      assertRefused(t, await listSessions(t, context, forwardedElsewhere), 400, headerMissing, "the forwarded host, not the proxy's Host, decides")
      const mismatch = { message: 'X-Tenant-ID does not match the domain', errors: { 'X-Tenant-ID': [/proxied.example.test is the domain of another tenant/] } }
      assertRefused(t, await listSessions(t, context, { ...internal('proxied.example.test'), 'x-tenant-id': '2147483647' }), 400, mismatch, 'a header against the forwarded domain')
    },
    { TRUST_PROXY: 'true' },
  )
})

t.test('with TRUST_PROXY naming other proxies, X-Forwarded-Host from this peer is ignored', async (t) => {
  onEachDatabase(
    t,
    async (t, context) => {
      const tenantId = (await admin(context).created(t, 'Proxied', 'proxied.example.test')).id
      const headers = { ...agentAt(context, 'livechat.internal:3000', [tenantId]), 'x-forwarded-host': 'proxied.example.test' }
      assertRefused(t, await listSessions(t, context, headers), 400, headerMissing, 'X-Forwarded-Host of an untrusted peer')
    },
    { TRUST_PROXY: '10.0.0.1,192.168.0.0/16' },
  )
})

testOn(t, 'postgres', 'postgres: instances sharing a database', async (t) => {
  /** The status of the first answer that is not `from`, polling for up to two seconds. */
  async function statusOnceChanged(t: Test, context: TestApp, headers: Record<string, string>, from: number): Promise<number> {
    const until = Date.now() + 2000
    for (;;) {
      const status = (await listSessions(t, context, headers)).statusCode
      if (status !== from || Date.now() > until) return status
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
  }

  t.test('a domain set on one instance reaches the cached answer of another', async (t) => {
    const url = await freshPostgresDatabase(t)
    const first = await buildTestApp(t, 'postgres', { DATABASE_URL: url, TENANT_CACHE_SECONDS: '3600' })
    const second = await buildTestApp(t, 'postgres', { DATABASE_URL: url, TENANT_CACHE_SECONDS: '3600' })
    const tenantId = await createTenant(t, first, 'Shared')
    const headers = agentAt(second, 'shared.example.test', [tenantId])
    t.equal((await listSessions(t, second, headers)).statusCode, 400, 'the second instance caches: no tenant has this domain')
    await admin(first).domainSet(t, tenantId, 'shared.example.test')
    t.equal(await statusOnceChanged(t, second, headers, 400), 200, 'the second acts for the tenant once told')
    await admin(first).domainSet(t, tenantId, null)
    t.equal(await statusOnceChanged(t, second, headers, 200), 400, 'and forgets a removed domain')
  })

  t.test('a domain set with the CLI reaches a running instance', async (t) => {
    const url = await freshPostgresDatabase(t)
    const context = await buildTestApp(t, 'postgres', { DATABASE_URL: url, TENANT_CACHE_SECONDS: '3600' })
    const tenantId = await createTenant(t, context, 'From the shell')
    const headers = agentAt(context, 'shell.example.test', [tenantId])
    t.equal((await listSessions(t, context, headers)).statusCode, 400, 'no tenant has the domain yet (cached)')
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/tenant.ts', 'update', String(tenantId), '--domain', 'Shell.Example.Test'], {
      cwd: projectRoot,
      env: { ...process.env, DATABASE_URL: url, LOG_LEVEL: 'silent' },
    })
    t.match(JSON.parse(stdout), { id: tenantId, domain: 'shell.example.test' }, 'the CLI prints the tenant with its domain')
    t.equal(await statusOnceChanged(t, context, headers, 400), 200, 'acts for the tenant once told')
  })
})
