import type { ErrorCode } from './types.js'

/** Failures that the same request may not meet again a moment later: the API is busy, restarting or slow. */
const transientCodes: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'REQUEST_TIMEOUT',
  'REQUEST_IN_PROGRESS',
  'RATE_LIMITED',
  'DATABASE_UNAVAILABLE',
  'RESPONSE_TIMEOUT',
  'OUTCOME_UNKNOWN',
  'SHUTTING_DOWN',
])

/** Whether retrying the same request (a POST with the same `Idempotency-Key`) later may succeed. */
export const isTransient = (code: ErrorCode): boolean => transientCodes.has(code)

/**
 * The `code` of an error answer, read from a copy so the caller can still read the body; undefined when the
 * answer is not the API's envelope (a proxy's error page).
 */
export async function errorCodeOf(response: Response): Promise<ErrorCode | undefined> {
  if (response.ok || !response.headers.get('Content-Type')?.includes('json')) return undefined
  const body: unknown = await response
    .clone()
    .json()
    .catch(() => undefined)
  const code = (body as { code?: unknown } | undefined)?.code
  return typeof code === 'string' ? (code as ErrorCode) : undefined
}
