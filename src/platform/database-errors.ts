/** A query waited DB_ACQUIRE_TIMEOUT_MS for a pool connection and got none: the database is too slow or away. */
export class PoolAcquireTimeoutError extends Error {
  readonly code = 'DB_ACQUIRE_TIMEOUT'
  constructor(waitedMs: number) {
    super(`No database connection became free within ${waitedMs} ms`)
    this.name = new.target.name
  }
}

// postgres.js's own codes for a connection that is gone or never came, and the socket errors it passes on.
const connectionCodes = new Set([
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  'CONNECT_TIMEOUT',
  'DB_ACQUIRE_TIMEOUT',
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
])

// SQLSTATEs after which the same request can succeed later: the server is shutting down, starting, out of
// connections or resources, or gave up on a statement or lock within our timeouts.
const retryLaterStates = new Set(['57P01', '57P02', '57P03', '57014', '55P03'])
const retryLaterClasses = ['08', '53']

const pgliteClosedMessages = new Set(['PGlite is closed', 'PGlite is closing'])

/**
 * The code (postgres.js, socket, or SQLSTATE) of a failure meaning "the database cannot answer now", or
 * undefined for any other failure. Drizzle wraps driver errors, so the chain of causes is followed.
 */
export function databaseUnavailableCode(error: unknown): string | undefined {
  for (let current = error, depth = 0; current instanceof Error && depth < 5; current = current.cause, depth++) {
    // PGlite's errors have no code; a closed embedded database (shutting down) is unavailable like a gone server.
    if (pgliteClosedMessages.has(current.message)) return 'PGLITE_CLOSED'
    const code = (current as { code?: unknown }).code
    if (typeof code !== 'string') continue
    if (connectionCodes.has(code) || retryLaterStates.has(code) || (/^[0-9A-Z]{5}$/.test(code) && retryLaterClasses.includes(code.slice(0, 2)))) {
      return code
    }
  }
  return undefined
}

/** The message of the driver's error under drizzle's wrapper: drizzle's own message carries the query parameters. */
export function driverMessage(error: unknown): string | undefined {
  let current = error
  while (current instanceof Error && current.cause instanceof Error) current = current.cause
  return current instanceof Error ? current.message : undefined
}
