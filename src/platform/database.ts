import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { sql, type SQL } from 'drizzle-orm'
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js'
import { migrate as migratePostgres } from 'drizzle-orm/postgres-js/migrator'
import postgres from 'postgres'
import type { Config } from '../config.js'
import { createPostgresClient, type PoolUsage } from './postgres-client.js'
import { projectRoot } from './project-root.js'
import type { Pool } from './transactions.js'

export type DatabaseConnection = {
  /** Transactions on it are opened by the runner of platform/transactions.ts, and only there. */
  pool: Pool
  driver: 'postgres' | 'pglite'
  /** PostgreSQL's LISTEN/NOTIFY, for what instances on one database tell each other; PGlite serves one process. */
  notifications?: DatabaseNotifications
  /** How busy the PostgreSQL pool is; PGlite has no pool. */
  poolUsage?: () => PoolUsage
  close: () => Promise<void>
}

export type DatabaseNotifications = {
  /** `onListen` is called once listening, and again after every reconnect of the listening connection. */
  listen: (channel: string, onPayload: (payload: string) => void, onListen: () => void) => Promise<{ unlisten: () => Promise<void> }>
  notify: (channel: string, payload: string) => Promise<void>
}

const migrationsFolder = join(projectRoot, 'drizzle')

export type DatabaseSettings = Pick<
  Config,
  'DATABASE_URL' | 'DATA_DIR' | 'DB_POOL_MAX' | 'DB_ACQUIRE_TIMEOUT_MS' | 'DB_CONNECT_TIMEOUT_SECONDS' | 'DB_STATEMENT_TIMEOUT_MS' | 'DB_PREPARED_STATEMENTS'
>

/**
 * PostgreSQL through postgres.js when DATABASE_URL is set, otherwise embedded PGlite persisted under
 * DATA_DIR (`memory://` keeps it in memory). Migrations are applied before the connection is handed out.
 * On PostgreSQL every wait is bounded: for a connection to open, for a pool connection, for a statement.
 */
export async function openDatabase(settings: DatabaseSettings): Promise<DatabaseConnection> {
  if (settings.DATABASE_URL) {
    await migrateOnce(settings.DATABASE_URL, settings.DB_CONNECT_TIMEOUT_SECONDS)
    const pool = postgres(settings.DATABASE_URL, {
      onnotice: () => {},
      max: settings.DB_POOL_MAX,
      connect_timeout: settings.DB_CONNECT_TIMEOUT_SECONDS,
      // postgres.js waits up to 20 s before reopening a connection after repeated failures; a second at most
      // lets the service see that the database is back within a second of its return.
      backoff: (retries: number) => Math.min(0.05 * 2 ** retries, 1) * (0.5 + Math.random() / 2),
      // UTC: timestamps read as text are then already in the API's zone.
      connection: { application_name: applicationName, statement_timeout: settings.DB_STATEMENT_TIMEOUT_MS, TimeZone: 'UTC' },
    })
    // Every query goes through it, NOTIFY included, so none waits for a connection unbounded.
    const { client, usage } = createPostgresClient(pool, {
      size: settings.DB_POOL_MAX,
      acquireTimeoutMs: settings.DB_ACQUIRE_TIMEOUT_MS,
      prepare: settings.DB_PREPARED_STATEMENTS,
    })
    const notifications: DatabaseNotifications = {
      // LISTEN holds a connection of its own, outside the pool, which postgres.js reopens after an outage.
      listen: (channel, onPayload, onListen) => pool.listen(channel, onPayload, onListen),
      notify: async (channel, payload) => {
        await client.unsafe('select pg_notify($1, $2)', [channel, payload])
      },
    }
    return { pool: drizzlePostgres({ client }) as unknown as Pool, driver: 'postgres', notifications, poolUsage: usage, close: () => pool.end({ timeout: 5 }) }
  }
  if (!settings.DATA_DIR.startsWith('memory://')) await mkdir(settings.DATA_DIR, { recursive: true })
  // Loaded only here: a PostgreSQL deployment starts without PGlite's modules.
  const [{ PGlite }, { drizzle: drizzlePglite }, { migrate: migratePglite }] = await Promise.all([
    import('@electric-sql/pglite'),
    import('drizzle-orm/pglite'),
    import('drizzle-orm/pglite/migrator'),
  ])
  const client = new PGlite(settings.DATA_DIR)
  const db = drizzlePglite({ client })
  await migratePglite(db, { migrationsFolder })
  // PGlite throws on a second close; postgres.js does not. Both close once, whoever asks first.
  return { pool: db as unknown as Pool, driver: 'pglite', close: async () => (client.closed ? undefined : client.close()) }
}

// Any fixed key: replicas starting together take turns, and the later ones find nothing left to apply.
const migrationLockKey = 7_135_470_211

// How the service's sessions show in pg_stat_activity.
const applicationName = 'livechat-api'

/**
 * Applies the migrations through a one-connection client holding a session advisory lock. No statement
 * timeout: a migration, or waiting for another instance's, may take long.
 */
async function migrateOnce(url: string, connectTimeoutSeconds: number): Promise<void> {
  const client = postgres(url, { max: 1, onnotice: () => {}, connect_timeout: connectTimeoutSeconds, connection: { application_name: applicationName } })
  try {
    await client`select pg_advisory_lock(${migrationLockKey})`
    await migratePostgres(drizzlePostgres({ client }), { migrationsFolder })
  } finally {
    // Ending the session releases the lock, also when a migration failed.
    await client.end({ timeout: 5 })
  }
}

/** Whether the database answers `select 1` within `timeoutMs`; a server that hangs counts as down. */
export async function databaseAnswers(pool: Pool, timeoutMs = 2000): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)))
  const ping = pool.execute(sql`select 1`).then(
    () => true,
    () => false,
  )
  try {
    return await Promise.race([ping, timeout])
  } finally {
    clearTimeout(timer)
  }
}

/** Drizzle wraps driver errors; both drivers put the SQLSTATE and the constraint on the original. */
export function isUniqueViolation(error: unknown, constraint: string): boolean {
  const cause = (error as { cause?: { code?: string; constraint?: string; constraint_name?: string } }).cause
  return cause?.code === '23505' && (cause.constraint ?? cause.constraint_name) === constraint
}

/** The rows of `db.execute`: postgres.js answers with them, PGlite with `{ rows }`. */
export function rowsOf<Row>(result: unknown): Row[] {
  return Array.isArray(result) ? (result as Row[]) : (result as { rows: Row[] }).rows
}

// PostgreSQL's text form of a timestamptz in UTC, with up to six digits of fraction: `2026-11-27 13:25:19.825123+00`.
const utcTimestamp = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d)(?:\.(\d{1,6}))?\+00$/

/**
 * A timestamptz as both drivers return it from `db.execute` (PostgreSQL's text form), in the API's ISO form
 * with milliseconds, cut as `Date` cuts them. Rewritten as text when it is in UTC, as the service's sessions
 * are: parsing a date costs more than the rest of a message row.
 */
export function isoTimestamp(value: string): string {
  const utc = utcTimestamp.exec(value)
  if (!utc) return new Date(value).toISOString()
  return `${utc[1]}T${utc[2]}.${(utc[3] ?? '').padEnd(3, '0').slice(0, 3)}Z`
}

/**
 * Rows for `json_to_recordset`: one parameter however many there are, so a statement's text, and its prepared
 * statement, is the same for every batch size. Text reaching it has been validated as well-formed Unicode:
 * PostgreSQL refuses the JSON escape of a lone surrogate.
 */
export const jsonRecords = (records: object[]): SQL => sql`${JSON.stringify(records)}::json`

/**
 * A list of ids as one `int[]` parameter, for `= any(…)`: an `in (…)` list would be a different statement, and
 * a different prepared statement on every connection, for every length.
 */
export const integerArray = (ids: number[]): SQL => {
  if (!ids.every(Number.isSafeInteger)) throw new Error(`Not a list of integers: ${ids.join(', ')}`)
  return sql`${`{${ids.join(',')}}`}::int[]`
}

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** The same for uuids. */
export const uuidArray = (ids: string[]): SQL => {
  if (!ids.every((id) => uuidPattern.test(id))) throw new Error(`Not a list of uuids: ${ids.join(', ')}`)
  return sql`${`{${ids.join(',')}}`}::uuid[]`
}
