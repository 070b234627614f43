import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { PGlite } from '@electric-sql/pglite'
import { sql } from 'drizzle-orm'
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core'
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite'
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator'
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js'
import { migrate as migratePostgres } from 'drizzle-orm/postgres-js/migrator'
import postgres from 'postgres'
import { projectRoot } from './project-root.js'

/** The database or a transaction on it: every repository method takes one, so the caller owns the transaction. */
export type Database = PgDatabase<PgQueryResultHKT>

export type DatabaseConnection = {
  db: Database
  driver: 'postgres' | 'pglite'
  /** PostgreSQL's LISTEN/NOTIFY, for what instances on one database tell each other; PGlite serves one process. */
  notifications?: DatabaseNotifications
  close: () => Promise<void>
}

export type DatabaseNotifications = {
  /** `onListen` is called once listening, and again after every reconnect of the listening connection. */
  listen: (channel: string, onPayload: (payload: string) => void, onListen: () => void) => Promise<{ unlisten: () => Promise<void> }>
  notify: (channel: string, payload: string) => Promise<void>
}

const migrationsFolder = join(projectRoot, 'drizzle')

export type DatabaseLocation = { DATABASE_URL?: string; DATA_DIR: string }

/**
 * PostgreSQL through postgres.js when DATABASE_URL is set, otherwise embedded PGlite persisted under
 * DATA_DIR (`memory://` keeps it in memory). Migrations are applied before the connection is handed out.
 */
export async function openDatabase(location: DatabaseLocation): Promise<DatabaseConnection> {
  if (location.DATABASE_URL) {
    await migrateOnce(location.DATABASE_URL)
    const client = postgres(location.DATABASE_URL, { onnotice: () => {} })
    const notifications: DatabaseNotifications = {
      listen: (channel, onPayload, onListen) => client.listen(channel, onPayload, onListen),
      notify: async (channel, payload) => {
        await client`select pg_notify(${channel}, ${payload})`
      },
    }
    return { db: drizzlePostgres({ client }), driver: 'postgres', notifications, close: () => client.end({ timeout: 5 }) }
  }
  if (!location.DATA_DIR.startsWith('memory://')) await mkdir(location.DATA_DIR, { recursive: true })
  const client = new PGlite(location.DATA_DIR)
  const db = drizzlePglite({ client })
  await migratePglite(db, { migrationsFolder })
  // PGlite throws on a second close; postgres.js does not. Both close once, whoever asks first.
  return { db, driver: 'pglite', close: async () => (client.closed ? undefined : client.close()) }
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
