import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import t, { type Test } from 'tap'
import { buildApp } from '../../src/app.js'
import { loadConfig } from '../../src/config.js'
import { createTokenSigner } from '../../src/platform/tokens.js'
import { freshDataDir, freshPostgresDatabase } from '../helpers/fresh-database.js'
import { specErrors } from '../helpers/spec-validator.js'
import { databaseKinds, testOn, testSecret } from '../helpers/test-app.js'
import type { components } from '../../generated/openapi.js'

// scripts/tenant.ts: the admin tenant operations from the shell.
//   create --name <name> [--inactive] [--domain <host>] | update <id> [--name <name>] [--active true|false]
//   [--domain <host> | --no-domain] | list
// Prints the tenant(s) as JSON on stdout; exit 2 with a usage message on bad arguments, 1 with a message on an
// unknown tenant or a domain another tenant has. It reads DATABASE_URL / DATA_DIR; PGlite allows one process at a time, so commands run in turn.

type Tenant = components['schemas']['Tenant']
type Outcome = { code: number; stdout: string; stderr: string }

const projectRoot = fileURLToPath(new URL('../..', import.meta.url))

function runCli(location: Record<string, string>, args: string[]): Promise<Outcome> {
  const environment: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'silent', ...location }
  if (!location.DATABASE_URL) delete environment.DATABASE_URL
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'scripts/tenant.ts', ...args],
      { cwd: projectRoot, env: environment, timeout: 120_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0
        resolve({ code, stdout, stderr })
      },
    )
  })
}

const stackTrace = /\n\s+at .+:\d+:\d+/

for (const kind of databaseKinds) {
  testOn(t, kind, kind, async (t) => {
    const location: Record<string, string> =
      kind === 'pglite' ? { DATA_DIR: await freshDataDir(t) } : { DATABASE_URL: await freshPostgresDatabase(t) }
    const cli = (...args: string[]) => runCli(location, args)
    const succeeded = (t: Test, outcome: Outcome, what: string) => {
      t.equal(outcome.code, 0, `${what} exits 0`)
      t.equal(outcome.stderr, '', `${what} writes nothing on stderr`)
      return JSON.parse(outcome.stdout)
    }
    const listed = async (t: Test): Promise<Tenant[]> => succeeded(t, await cli('list'), 'list')

    let acme: Tenant
    let beta: Tenant

    t.test('create --name prints the new tenant as JSON; it is active by default', async (t) => {
      acme = succeeded(t, await cli('create', '--name', 'Acme'), 'create')
      t.match(acme, { id: Number, name: 'Acme', active: true, created_at: String, updated_at: String })
      t.same(specErrors('createTenant', 201, { success: true, message: '', data: acme, meta: { request_id: 'x', timestamp: acme.created_at }, errors: null }), [], 'the tenant has the API shape')
    })

    t.test('create --inactive creates an inactive tenant', async (t) => {
      beta = succeeded(t, await cli('create', '--name', 'Beta Corp', '--inactive'), 'create --inactive')
      t.match(beta, { name: 'Beta Corp', active: false })
      t.ok(beta.id > acme.id, 'a new id')
    })

    t.test('update renames, deactivates and reactivates', async (t) => {
      const renamed = succeeded(t, await cli('update', String(acme.id), '--name', 'Acme Ltd'), 'update --name')
      t.match(renamed, { id: acme.id, name: 'Acme Ltd', active: true, created_at: acme.created_at })
      t.ok(Date.parse(renamed.updated_at) >= Date.parse(acme.updated_at), 'updated_at does not go back')

      const deactivated = succeeded(t, await cli('update', String(acme.id), '--active', 'false'), 'update --active false')
      t.match(deactivated, { id: acme.id, name: 'Acme Ltd', active: false })

      const both = succeeded(t, await cli('update', String(beta.id), '--active', 'true', '--name', 'Beta'), 'update both')
      t.match(both, { id: beta.id, name: 'Beta', active: true })
      acme = succeeded(t, await cli('update', String(acme.id), '--active', 'true'), 'reactivate')
      t.match(acme, { id: acme.id, name: 'Acme Ltd', active: true })
      beta = both
    })

    t.test('list prints every tenant, ascending by id', async (t) => {
      const tenants = await listed(t)
      t.same(tenants, [acme, beta])
    })

    t.test('--domain gives a tenant its domain (lower-case) on create and update; --no-domain removes it', async (t) => {
      const gamma = succeeded(t, await cli('create', '--name', 'Gamma', '--domain', 'Gamma.Example.Test'), 'create --domain')
      t.match(gamma, { name: 'Gamma', active: true, domain: 'gamma.example.test' })
      t.match(succeeded(t, await cli('update', String(gamma.id), '--domain', 'chat.gamma.test'), 'update --domain'), { id: gamma.id, name: 'Gamma', domain: 'chat.gamma.test' })
      t.match(succeeded(t, await cli('update', String(acme.id), '--name', 'Acme Ltd'), 'update --name'), { id: acme.id, domain: null }, 'a domain is never given by accident')

      const before = await listed(t)
      for (const args of [
        ['create', '--name', 'Copy', '--domain', 'CHAT.gamma.test'],
        ['update', String(beta.id), '--domain', 'chat.gamma.test'],
      ]) {
        const outcome = await cli(...args)
        t.equal(outcome.code, 1, `exit 1 for: ${JSON.stringify(args)}`)
        t.match(outcome.stderr, /domain already in use/i)
        t.notMatch(outcome.stderr, stackTrace, 'no stack trace')
        t.equal(outcome.stdout, '')
      }
      t.same(await listed(t), before, 'a domain another tenant has: nothing created or changed')

      t.match(succeeded(t, await cli('update', String(gamma.id), '--no-domain'), 'update --no-domain'), { id: gamma.id, domain: null })
    })

    t.test('bad arguments exit 2 with a usage message and change nothing', async (t) => {
      const before = await listed(t)
      for (const args of [
        [],
        ['frobnicate'],
        ['create'],
        ['create', '--name', ''],
        ['create', '--name', '   '],
        ['create', '--name', 'n'.repeat(201)],
        ['create', '--name', 'Gamma', '--colour', 'red'],
        ['create', '--name', 'Gamma', 'extra'],
        ['update', 'abc', '--name', 'X'],
        ['update', '0', '--name', 'X'],
        ['update', String(acme.id)],
        ['update', String(acme.id), '--active', 'yes'],
        ['update', String(acme.id), '--name', ''],
        ['update', String(acme.id), '--name', 'n'.repeat(201)],
        ['list', 'extra'],
        ['create', '--name', 'Gamma', '--domain', 'not a host'],
        ['create', '--name', 'Gamma', '--domain', '127.0.0.1'],
        ['create', '--name', 'Gamma', '--no-domain'],
        ['update', String(acme.id), '--domain', 'acme.example.com:8080'],
        ['update', String(acme.id), '--domain', ''],
        ['update', String(acme.id), '--domain'],
        ['update', String(acme.id), '--domain', 'acme.example.com', '--no-domain'],
      ]) {
        const outcome = await cli(...args)
        t.equal(outcome.code, 2, `exit 2 for: ${JSON.stringify(args)}`)
        t.match(outcome.stderr, /usage/i, 'stderr carries the usage')
        t.notMatch(outcome.stderr, stackTrace, 'and no stack trace')
        t.equal(outcome.stdout, '', 'nothing on stdout')
      }
      t.same(await listed(t), before, 'no tenant was created or changed')
    })

    t.test('an unknown tenant exits 1 with a message', async (t) => {
      const outcome = await cli('update', '2147483647', '--name', 'Ghost')
      t.equal(outcome.code, 1)
      t.match(outcome.stderr, /tenant not found/i)
      t.notMatch(outcome.stderr, stackTrace, 'no stack trace')
      t.equal(outcome.stdout, '')
    })

    t.test('an id beyond the integer range is refused with a message, not a crash', async (t) => {
      const outcome = await cli('update', '9999999999', '--name', 'Ghost')
      t.ok([1, 2].includes(outcome.code), `exit 1 or 2, got ${outcome.code}`)
      t.notMatch(outcome.stderr, stackTrace, 'no stack trace')
      t.equal(outcome.stdout, '')
    })

    t.test('the API, opened on the same database, lists what the CLI wrote', async (t) => {
      const fromCli = await listed(t)
      const config = loadConfig({ JWT_SECRET: testSecret, LOG_LEVEL: 'silent', ...location })
      const app = await buildApp(config, { logger: false })
      try {
        const token = createTokenSigner(config)({ sub: 9000, roles: ['PLATFORM_ADMIN'], tenants: [] })
        const response = await app.inject({ method: 'GET', url: '/admin/tenants', headers: { authorization: `Bearer ${token}` } })
        t.equal(response.statusCode, 200)
        t.same(specErrors('listTenants', 200, response.json()), [], 'listTenants 200 body matches openapi.yaml')
        t.same(response.json().data, fromCli)
        const ids = response.json().data.map((tenant: Tenant) => tenant.id)
        t.ok(ids.includes(acme.id) && ids.includes(beta.id), "the CLI's tenants are there")
      } finally {
        await app.close()
      }
    })
  })
}
