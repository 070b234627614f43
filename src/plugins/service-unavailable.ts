import { databaseUnavailableCode, driverMessage } from '../platform/database-errors.js'
import type { ErrorCode, ErrorMap } from '../platform/domain-errors.js'

// What a client should wait before retrying: about as long as a database restart or failover takes to be noticed.
export const retryAfterSeconds = '5'

const afterPost = 'A POST may have taken effect: retry it with the same Idempotency-Key, which makes the retry safe'

export type Unavailability = {
  code: ErrorCode
  /** For the log: the driver's or the socket's code (ECONNREFUSED, 57P01…). */
  cause?: string
  message: string
  errors: ErrorMap
  /** What the log may say of the cause: never the query or its parameters. */
  reason?: string
}

/** Whether a failure means "try again later": the database is away or slow, or the answer came too late. */
export function unavailabilityOf(error: Error & { code?: string }): Unavailability | undefined {
  // The response deadline's ResponseTimeoutError.
  if (error.code === 'RESPONSE_TIMEOUT') {
    return {
      code: 'RESPONSE_TIMEOUT',
      message: 'The service did not answer in time',
      errors: { _: [`No answer within the response timeout; retry after Retry-After seconds. ${afterPost}`] },
    }
  }
  const cause = databaseUnavailableCode(error)
  if (cause === undefined) return undefined
  return {
    code: 'DATABASE_UNAVAILABLE',
    cause,
    message: 'Database unavailable',
    errors: { database: [`The database did not answer; retry after Retry-After seconds. ${afterPost}`] },
    reason: driverMessage(error),
  }
}
