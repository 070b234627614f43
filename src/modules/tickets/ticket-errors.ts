import { InvalidRequestError } from '../../platform/domain-errors.js'
import type { TicketStatus } from './ticket-repository.js'

export class TicketTransitionError extends InvalidRequestError {
  constructor(from: TicketStatus, to: TicketStatus, allowed: readonly TicketStatus[]) {
    const options = allowed.length > 0 ? `it can move to ${allowed.join(' or ')}` : 'it can move nowhere'
    super('TICKET_TRANSITION_INVALID', 'Invalid status change', {
      status: [`A ${from} ticket cannot move to ${to}; ${options}`],
    })
  }
}

export class TicketClosedError extends InvalidRequestError {
  constructor() {
    super('TICKET_CLOSED', 'Ticket is closed', { id: ['The ticket is closed and takes no more replies'] })
  }
}

export class LiveOfflineTicketExistsError extends InvalidRequestError {
  constructor(liveTicketId: string | undefined) {
    super('LIVE_OFFLINE_TICKET_EXISTS', 'Another ticket is live', {
      status: ['A newer offline ticket for this agent is live; work on that one instead'],
      ...(liveTicketId && { live_ticket_id: [liveTicketId] }),
    })
  }
}
