import { redactUrlsIn } from './redact-url.js'

/** An error as logged: what went wrong and where, never the data it was working on. */
export type SerializedError = {
  type: string
  message: string
  stack: string
  code?: string | number
  /** The SQL text of a failed query: placeholders ($1, $2), not the values bound to them. */
  query?: string
  severity?: string
  routine?: string
  constraint?: string
  cause?: SerializedError
  /** The attempts behind an AggregateError (a connection tried on each address). */
  errors?: SerializedError[]
}

type ErrorFields = Error & {
  code?: unknown
  query?: unknown
  params?: unknown
  severity?: unknown
  routine?: unknown
  constraint?: unknown
  constraint_name?: unknown
  errors?: unknown
}

const maxDepth = 5

/**
 * Replaces pino's `err` serializer, which logs every field an error carries and its causes' messages. Database
 * errors carry the values bound to the query (chat text among them): drizzle's DrizzleQueryError in `params` and
 * in its message ("Failed query: <sql>\nparams: <values>"), postgres.js's errors in `parameters` and `args`, and
 * PostgreSQL's own in `detail` ("Failing row contains (...)") and in some messages ('invalid input syntax for
 * type uuid: "..."'). So an error is logged by its type, message, code, SQL text and stack, and its cause the
 * same way; a PostgreSQL error by its SQLSTATE code, severity, routine and constraint, its text withheld.
 */
export function serializeError(error: Error): SerializedError {
  return describe(error, 0)
}

function describe(error: ErrorFields, depth: number): SerializedError {
  const message = safeMessage(error)
  const stack = safeStack(error, message)
  const { code, severity, routine } = error
  const constraint = error.constraint ?? error.constraint_name
  const cause = error.cause instanceof Error && depth < maxDepth ? describe(error.cause, depth + 1) : undefined
  const errors = Array.isArray(error.errors) && depth < maxDepth ? error.errors.filter((item) => item instanceof Error) : []
  return {
    type: error.constructor?.name ?? error.name,
    message,
    stack,
    ...((typeof code === 'string' || typeof code === 'number') && { code }),
    ...(isQueryError(error) && { query: error.query }),
    ...(typeof severity === 'string' && { severity }),
    ...(typeof routine === 'string' && { routine }),
    ...(typeof constraint === 'string' && { constraint }),
    ...(cause && { cause }),
    ...(errors.length > 0 && { errors: errors.map((item) => describe(item, depth + 1)) }),
  }
}

/** drizzle-orm's DrizzleQueryError: the SQL in `query`, its values in `params` and in the message. */
function isQueryError(error: ErrorFields): error is ErrorFields & { query: string } {
  return typeof error.query === 'string' && 'params' in error
}

/** PostgreSQL's errors (through postgres.js or PGlite) say how severe they are; the driver's own do not. */
function isServerError(error: ErrorFields): boolean {
  return typeof error.severity === 'string' && typeof error.code === 'string'
}

function safeMessage(error: ErrorFields): string {
  if (isQueryError(error)) return `Failed query: ${error.query}`
  if (isServerError(error)) return `SQLSTATE ${String(error.code)}`
  // Some quote the request's URL (Fastify's "Reply was already sent ... in /path?access_token=...").
  return redactUrlsIn(String(error.message))
}

/**
 * The stack begins with the original message, values and all; it is swapped for the safe one. When the stack
 * does not contain the message, its frames cannot be told apart from the values, so only the message is kept.
 */
function safeStack(error: ErrorFields, message: string): string {
  const { stack } = error
  if (typeof stack !== 'string') return message
  if (message === error.message) return stack
  const start = stack.indexOf(error.message)
  return start < 0 ? message : stack.slice(0, start) + message + stack.slice(start + error.message.length)
}
