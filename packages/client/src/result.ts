import type { ErrorCode, ErrorResponse } from './types.js'

/** A call's outcome: the envelope's `data` and `meta` on success, its `message` and `errors` on failure. */
export type ApiResult<Data, Meta> = ApiSuccess<Data, Meta> | ApiFailure

export type ApiSuccess<Data, Meta> = { ok: true; status: number; data: Data; meta: Meta; message: string; response: Response }
export type ApiFailure = {
  ok: false
  status: number
  /** Why, as a stable code: branch on it (`AGENT_OFFLINE`, `SESSION_CLOSED`…). */
  code: ErrorCode
  message: string
  /** Reasons by field (`_` for the whole request), e.g. `{ message: ['must not be empty'] }`. */
  errors: ErrorResponse['errors']
  meta: ErrorResponse['meta']
  response: Response
}

/** An answer outside the contract: not the envelope (a proxy's error page, a cut body). */
export class UnexpectedResponseError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    super(`The API answered ${status} with a body that is not its envelope`)
    this.name = 'UnexpectedResponseError'
  }
}

/** Turns openapi-fetch's `{ data, error, response }` into an `ApiResult`. */
export function unwrap<Data, Meta>(outcome: { data?: unknown; error?: unknown; response: Response }): ApiResult<Data, Meta> {
  const { response } = outcome
  if (response.ok) {
    const body = outcome.data as { success?: unknown; data: Data; meta: Meta; message: string } | undefined
    if (body?.success !== true) throw new UnexpectedResponseError(response.status, body)
    return { ok: true, status: response.status, data: body.data, meta: body.meta, message: body.message, response }
  }
  const body = outcome.error as Partial<ErrorResponse> | undefined
  if (body?.success !== false || typeof body.code !== 'string' || typeof body.message !== 'string' || !body.errors || !body.meta) {
    throw new UnexpectedResponseError(response.status, body)
  }
  return { ok: false, status: response.status, code: body.code, message: body.message, errors: body.errors, meta: body.meta, response }
}
