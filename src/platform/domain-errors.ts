import type { components } from '../../generated/openapi.js'

export type ErrorMap = components['schemas']['ErrorMap']
/** The stable code of every error answer (openapi.yaml's ErrorCode): what a client branches on. */
export type ErrorCode = components['schemas']['ErrorCode']

/**
 * A failure the client can act on. Services throw these; the error handler is the one place that turns
 * them into the envelope. `code` is stable, sent in the envelope and written to the log.
 */
export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    readonly statusCode: 400 | 401 | 403 | 404 | 409 | 410 | 415 | 422 | 429,
    message: string,
    readonly errors: ErrorMap = { _: [message] },
  ) {
    super(message)
    this.name = new.target.name
  }
}

export class AuthenticationError extends DomainError {
  constructor(reason: string) {
    super('UNAUTHENTICATED', 401, 'Authentication required', { authorization: [reason] })
  }
}

export class PermissionError extends DomainError {
  constructor(field: string, reason: string) {
    super('FORBIDDEN', 403, 'Not allowed', { [field]: [reason] })
  }
}

export class InvalidRequestError extends DomainError {
  constructor(code: ErrorCode, message: string, errors: ErrorMap) {
    super(code, 400, message, errors)
  }
}

export class NotFoundError extends DomainError {
  constructor(what: string, field = 'id') {
    super('NOT_FOUND', 404, `${what} not found`, { [field]: [`No ${what.toLowerCase()} with this id exists in this tenant`] })
  }
}

export class InvalidCursorError extends InvalidRequestError {
  constructor() {
    super('INVALID_CURSOR', 'Invalid cursor', { cursor: ['The cursor does not name an item of this list'] })
  }
}
