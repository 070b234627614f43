import { InvalidRequestError } from '../../platform/domain-errors.js'

// Business-rule failures answer 400, as the seeds do, with the reason in `errors`.

export class AgentOfflineError extends InvalidRequestError {
  /** With the ticket that kept the request, when one was filed. */
  constructor(agentId: number, ticketId?: string) {
    super(
      'AGENT_OFFLINE',
      'Agent is offline',
      ticketId === undefined
        ? { agent_id: [`Agent ${agentId} is offline in this tenant`] }
        : { agent_id: [`Agent ${agentId} is offline in this tenant; the request was kept as a ticket`], ticket_id: [ticketId] },
    )
  }
}

export class ActiveSessionExistsError extends InvalidRequestError {
  constructor(existingSessionId: string) {
    super('ACTIVE_SESSION_EXISTS', 'Active session exists', {
      agent_id: ['The agent already has an open session with this tenant'],
      existing_session_id: [existingSessionId],
    })
  }
}

export class SessionClosedError extends InvalidRequestError {
  constructor() {
    super('SESSION_CLOSED', 'Session is closed', { id: ['The session is closed and takes no more messages'] })
  }
}

/** The session that won a concurrent start was closed before we could name it: trying again will work. */
export class SessionStartRaceError extends InvalidRequestError {
  constructor() {
    super('SESSION_START_RACE', 'Concurrent start', { agent_id: ['Another start for this agent just raced this one; try again'] })
  }
}
