import { DomainError } from '../../platform/domain-errors.js'

export class IdempotencyKeyReusedError extends DomainError {
  constructor() {
    super('IDEMPOTENCY_KEY_REUSED', 422, 'Idempotency-Key reused', {
      'Idempotency-Key': ['This key was used for a different request (another operation, path or body); nothing was done'],
    })
  }
}

export class IdempotencyInProgressError extends DomainError {
  constructor(retryAfterSeconds: number) {
    super('REQUEST_IN_PROGRESS', 409, 'Request in progress', {
      'Idempotency-Key': [`A request with this key is still running; retry after ${retryAfterSeconds} s for its response`],
    })
  }
}
