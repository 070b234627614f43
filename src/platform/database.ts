import { mkdir } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { PGlite } from '@electric-sql/pglite'
import { sql } from 'drizzle-orm'
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core'
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite'
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator'
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js'
import { migrate as migratePostgres } from 'drizzle-orm/postgres-js/migrator'
import postgres from 'postgres'
import { createInProcessBus, createPostgresBus, type EventBus } from './event-bus.js'

/** The database or a transaction on it: every repository method takes one, so the caller owns the transaction. */
export type Database = PgDatabase<PgQueryResultHKT>

export type DatabaseConnection = {
  db: Database
  driver: 'postgres' | 'pglite'
  /** How instances on this database tell each other of new events: LISTEN/NOTIFY, or in-process for PGlite. */
  bus: EventBus
  close: () => Promise<void>
}

const migrationsFolder = fileURLToPath(new URL('../../drizzle', import.meta.url))

export type DatabaseLocation = { DATABASE_URL?: string; DATA_DIR: string }

/**
 * PostgreSQL through postgres.js when DATABASE_URL is set, otherwise embedded PGlite persisted under
 * DATA_DIR (`memory://` keeps it in memory). Migrations are applied before the connection is handed out.
 */
export type BusOptions = {
  /** `in-process` on PostgreSQL serves one instance only: for tools, and to measure what NOTIFY costs. */
  kind: 'shared' | 'in-process'
  onError: (error: unknown) => void
}

export async function openDatabase(location: DatabaseLocation, busOptions: BusOptions): Promise<DatabaseConnection> {
  if (location.DATABASE_URL) {
    await migrateOnce(location.DATABASE_URL)
    const client = postgres(location.DATABASE_URL, { onnotice: () => {} })
    const bus = busOptions.kind === 'shared' ? createPostgresBus(client, busOptions.onError) : createInProcessBus(busOptions.onError)
    const close = async () => {
      await bus.close()
      await client.end({ timeout: 5 })
    }
    return { db: drizzlePostgres({ client }), driver: 'postgres', bus, close }
  }
  if (!location.DATA_DIR.startsWith('memory://')) await mkdir(location.DATA_DIR, { recursive: true })
  const client = new PGlite(location.DATA_DIR)
  const db = drizzlePglite({ client })
  await migratePglite(db, { migrationsFolder })
  // PGlite throws on a second close; postgres.js does not. Both close once, whoever asks first.
  return { db, driver: 'pglite', bus: createInProcessBus(busOptions.onError), close: async () => (client.closed ? undefined : client.close()) }
}

// Any fixed key: replicas starting together take turns, and the later ones find nothing left to apply.
const migrationLockKey = 7_135_470_211

/** Applies the migrations through a one-connection client holding a session advisory lock. */
async function migrateOnce(url: string): Promise<void> {
  const client = postgres(url, { max: 1, onnotice: () => {} })
  try {
    await client`select pg_advisory_lock(${migrationLockKey})`
    await migratePostgres(drizzlePostgres({ client }), { migrationsFolder })
  } finally {
    // Ending the session releases the lock, also when a migration failed.
    await client.end({ timeout: 5 })
  }
}

/** Whether the database answers `select 1` within `timeoutMs`; a server that hangs counts as down. */
export async function databaseAnswers(db: Database, timeoutMs = 2000): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)))
  const ping = db.execute(sql`select 1`).then(
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
