// Tenant management from the shell, the same operations as POST/PATCH/GET /admin/tenants:
//   npm run tenant -- create --name "Acme" [--inactive] [--domain acme.example.com]
//   npm run tenant -- update <id> [--name "Acme Ltd"] [--active true|false] [--domain acme.example.com | --no-domain]
//   npm run tenant -- list
// Uses DATABASE_URL, or the embedded database under DATA_DIR (stop the server first: PGlite has one user).
import { parseArgs } from 'node:util'
import type { Static, TSchema } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import { CreateTenantRequest, TenantId, UpdateTenantRequest } from '../generated/routes.js'
import { ConfigError, loadConfig } from '../src/config.js'
import { createEventBus } from '../src/modules/event-log/event-bus.js'
import { tenantRepository } from '../src/modules/tenants/tenant-repository.js'
import { createTenantService } from '../src/modules/tenants/tenant-service.js'
import { openDatabase } from '../src/platform/database.js'
import { DomainError } from '../src/platform/domain-errors.js'
import { createTransactions } from '../src/platform/transactions.js'

const usage = `usage: npm run tenant -- create --name <name> [--inactive] [--domain <host name>]
       npm run tenant -- update <id> [--name <name>] [--active true|false] [--domain <host name> | --no-domain]
       npm run tenant -- list
A tenant's domain is the host name (e.g. acme.example.com) whose requests act for it without X-Tenant-ID.`

class UsageError extends Error {}

/** The API's own request schemas, so the CLI refuses exactly what POST/PATCH /admin/tenants refuse. */
function checked<Schema extends TSchema>(schema: Schema, value: unknown, what: string): Static<Schema> {
  const problems = [...Value.Errors(schema, value)].map((error) => `${error.path.slice(1) || what}: ${error.message}`)
  if (problems.length > 0) throw new UsageError(`invalid ${what}: ${problems.join('; ')}`)
  return value as Static<Schema>
}

function parseCommand(argv: string[]) {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      name: { type: 'string' },
      active: { type: 'string' },
      inactive: { type: 'boolean' },
      domain: { type: 'string' },
      'no-domain': { type: 'boolean' },
    },
  })
  const [command, id, ...rest] = positionals
  if (rest.length > 0) throw new UsageError(`unexpected arguments: ${rest.join(' ')}`)
  if (values.active !== undefined && !['true', 'false'].includes(values.active)) {
    throw new UsageError('--active takes true or false')
  }
  if (values.domain !== undefined && values['no-domain']) throw new UsageError('--domain and --no-domain exclude each other')
  const active = values.active === undefined ? undefined : values.active === 'true'
  // PATCH's `domain: null`, which removes the domain.
  const domain = values['no-domain'] ? null : values.domain
  if (command === 'create' && id === undefined && active === undefined && domain !== null) {
    const tenant = { name: values.name, active: !values.inactive, ...(domain !== undefined && { domain }) }
    return { command, values: checked(CreateTenantRequest, tenant, 'tenant') } as const
  }
  if (command === 'update' && id !== undefined && !values.inactive) {
    const tenantId = checked(TenantId, /^[0-9]+$/.test(id) ? Number(id) : id, 'tenant id')
    const changes = Object.fromEntries(Object.entries({ name: values.name, active, domain }).filter(([, value]) => value !== undefined))
    return { command, id: tenantId, changes: checked(UpdateTenantRequest, changes, 'changes') } as const
  }
  if (command === 'list' && id === undefined && Object.keys(values).length === 0) return { command } as const
  throw new UsageError(command ? `invalid arguments for "${command}"` : 'missing command')
}

async function run(argv: string[]): Promise<number> {
  const parsed = parseCommand(argv)
  const database = await openDatabase(loadConfig(process.env))
  // Running servers on the same PostgreSQL hear of a (de)activation or domain change at once: their tenant checks and streams follow it.
  const bus = createEventBus(database.notifications, 'shared', (error) => console.error(`running servers were not told: ${(error as Error).message}`))
  try {
    const transactions = createTransactions({ pool: database.pool, onAfterCommitError: (error) => console.error(`running servers were not told: ${(error as Error).message}`) })
    const tenants = createTenantService({
      transactions,
      tenantRepository,
      changed: (tenantId) => bus.publish({ kind: 'tenant-changed', tenantId }),
      cacheSeconds: 0,
    })
    if (parsed.command === 'create') console.log(JSON.stringify(await tenants.create(parsed.values), null, 2))
    if (parsed.command === 'update') console.log(JSON.stringify(await tenants.update(parsed.id, parsed.changes), null, 2))
    if (parsed.command === 'list') {
      const all = []
      for (let cursor: number | undefined; ; ) {
        const page = await tenants.list({ limit: 100, cursor, direction: 'next' })
        all.push(...page.items)
        if (!page.pagination.has_next) break
        cursor = Number(page.pagination.next_cursor)
      }
      console.log(JSON.stringify(all, null, 2))
    }
    return 0
  } finally {
    await bus.close()
    await database.close()
  }
}

try {
  process.exitCode = await run(process.argv.slice(2))
} catch (error) {
  if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
    console.error(`${(error as Error).message}\n${usage}`)
    process.exitCode = 2
  } else if (error instanceof DomainError || error instanceof ConfigError) {
    console.error(error.message)
    process.exitCode = 1
  } else {
    throw error
  }
}
