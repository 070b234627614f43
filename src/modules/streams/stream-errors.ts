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

export class ResumeExpiredError extends DomainError {
  constructor(retentionHours: number) {
    super('LAST_EVENT_ID_EXPIRED', 410, 'Last-Event-ID is too old', {
      'Last-Event-ID': [
        `Events older than ${retentionHours} hours are no longer kept, so what was missed cannot be replayed: reload through the API and open the stream without Last-Event-ID`,
      ],
    })
  }
}
