import type { components } from '../../../generated/openapi.js'
import type { EventDraft, Side } from './stream-event.js'

type Schemas = components['schemas']
type SessionChange = Schemas['ChatSessionChange']

// The events services emit, each with its routing. One place, so every stream agrees on who gets what.

const draft = (routing: Omit<EventDraft, 'data' | 'recipientId' | 'excludedUserId'> & Partial<EventDraft>, data: object): EventDraft => ({
  recipientId: null,
  excludedUserId: null,
  ...routing,
  data: JSON.stringify(data),
})

export const messageCreated = (tenantId: number, agentId: number | null, message: Schemas['ChatMessage']): EventDraft =>
  draft(
    { tenantId, type: 'message.created', sessionId: message.session_id, agentId, audience: 'both' },
    { type: 'message.created', tenant_id: tenantId, session_id: message.session_id, message } satisfies Schemas['MessageCreatedEvent'],
  )

/** An agent started the session, or it closed: to its agent and the tenant side. */
export const sessionChanged = (session: SessionChange): EventDraft => {
  const type = session.status === 'CLOSED' ? 'session.closed' : 'session.opened'
  return draft(
    { tenantId: session.tenant_id, type, sessionId: session.id, agentId: session.agent_id, audience: 'both' },
    { type, tenant_id: session.tenant_id, session_id: session.id, session } satisfies Schemas['SessionOpenedEvent' | 'SessionClosedEvent'],
  )
}

/** To the requester of a QUEUED session alone: its place in the queue. */
export const sessionQueued = (session: SessionChange): EventDraft =>
  draft(
    { tenantId: session.tenant_id, type: 'session.queued', sessionId: session.id, agentId: null, audience: 'tenant', recipientId: session.requester_id },
    { type: 'session.queued', tenant_id: session.tenant_id, session_id: session.id, session } satisfies Schemas['SessionQueuedEvent'],
  )

/**
 * To the agent given the session and the tenant side; on a transfer, also to the agent who gave it up (an
 * agent's stream carries the events of their own sessions, so that one is a second, agent-only event).
 */
export const sessionAssigned = (session: SessionChange & { agent_id: number }, previousAgentId: number | null): EventDraft[] => {
  const data = {
    type: 'session.assigned',
    tenant_id: session.tenant_id,
    session_id: session.id,
    previous_agent_id: previousAgentId,
    session,
  } satisfies Schemas['SessionAssignedEvent']
  const routing = { tenantId: session.tenant_id, type: 'session.assigned', sessionId: session.id } as const
  const toNewAgent = draft({ ...routing, agentId: session.agent_id, audience: 'both' }, data)
  return previousAgentId === null ? [toNewAgent] : [toNewAgent, draft({ ...routing, agentId: previousAgentId, audience: 'agent' }, data)]
}

/** Tenant side only, to those who see the notification: never its author. */
export const notificationCreated = (tenantId: number, notification: Schemas['Notification'], authorId: number): EventDraft =>
  draft(
    {
      tenantId,
      type: 'notification.created',
      sessionId: notification.session_id,
      agentId: null,
      audience: 'tenant',
      recipientId: notification.recipient_id,
      excludedUserId: authorId,
    },
    { type: 'notification.created', tenant_id: tenantId, notification } satisfies Schemas['NotificationCreatedEvent'],
  )

type Participant = { tenantId: number; sessionId: string; agentId: number | null; userId: number; side: Side }

/** To the session's other participants, on both sides. */
export const typing = (who: Participant): EventDraft =>
  draft(
    { tenantId: who.tenantId, type: 'typing', sessionId: who.sessionId, agentId: who.agentId, audience: 'both', excludedUserId: who.userId },
    { type: 'typing', tenant_id: who.tenantId, session_id: who.sessionId, user_id: who.userId, side: who.side } satisfies Schemas['TypingEvent'],
  )

/** To the other side of the session. */
export const readMoved = (who: Participant, lastReadMessageId: string, readAt: string): EventDraft =>
  draft(
    {
      tenantId: who.tenantId,
      type: 'read',
      sessionId: who.sessionId,
      agentId: who.agentId,
      audience: who.side === 'agent' ? 'tenant' : 'agent',
      excludedUserId: who.userId,
    },
    {
      type: 'read',
      tenant_id: who.tenantId,
      session_id: who.sessionId,
      user_id: who.userId,
      side: who.side,
      last_read_message_id: lastReadMessageId,
      read_at: readAt,
    } satisfies Schemas['ReadEvent'],
  )
