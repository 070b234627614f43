import { InvalidRequestError } from '../../platform/domain-errors.js'

// Business-rule failures answer 400, as the seeds do, with the reason in `errors`.

export class NoAgentOnlineError extends InvalidRequestError {
  constructor(ticketId: string) {
    super('NO_AGENT_ONLINE', 'No agent is online', {
      agent_id: ['No agent of this tenant is online; the request was kept as a ticket'],
      ticket_id: [ticketId],
    })
  }
}

export class RequesterHasSessionError extends InvalidRequestError {
  constructor(existingSessionId: string) {
    super('ACTIVE_SESSION_EXISTS', 'Active session exists', {
      requester_id: ['You already have an open or queued chat with this tenant'],
      existing_session_id: [existingSessionId],
    })
  }
}

export class AgentAtCapacityError extends InvalidRequestError {
  constructor(agentId: number, capacity: number) {
    super('AGENT_AT_CAPACITY', 'Agent is at capacity', {
      agent_id: [`Agent ${agentId} already has ${capacity} open sessions in this tenant (its agent_capacity)`],
    })
  }
}

export class NotSessionAgentError extends InvalidRequestError {
  constructor(agentId: number | null) {
    super('NOT_SESSION_AGENT', 'Not your session', {
      id: [`Only the session's agent (${agentId}) may transfer it`],
    })
  }
}

export class NotRequesterError extends InvalidRequestError {
  constructor() {
    super('NOT_REQUESTER', 'Not your chat', { id: ['Only the tenant user who asked for this chat may close it here'] })
  }
}
