import { DomainError, InvalidRequestError } from '../../platform/domain-errors.js'

export class InvalidLastEventIdError extends InvalidRequestError {
  constructor(reason: string) {
    super('LAST_EVENT_ID_INVALID', 'Invalid Last-Event-ID', { 'Last-Event-ID': [reason] })
  }
}

export class TooManyStreamsError extends DomainError {
  constructor(limit: number) {
    super('TOO_MANY_STREAMS', 429, 'Too many open streams', {
      _: [`At most ${limit} streams per user may be open on this instance; close one first`],
    })
  }
}
