import type { components } from '../../../generated/openapi.js'

export type StreamEvent = components['schemas']['StreamEvent']
export type Side = components['schemas']['ParticipantSide']
type Audience = 'agent' | 'tenant' | 'both'

/**
 * An event with what decides who receives it. Services describe it (a draft); once stored it has its
 * tenant's next `seq`. `data` is the SSE `data:` line, serialized once for every stream that sends it.
 */
export type EventRouting = {
  tenantId: number
  type: StreamEvent['type']
  sessionId: string | null
  /** The session's agent: an agent's stream carries the events of the sessions they are the agent of. */
  agentId: number | null
  audience: Audience
  /** Notifications: the one user it is for (`null`: everyone on the tenant's side). */
  recipientId: number | null
  /** The one user who does not receive it: the author of a notification, the typist of `typing`. */
  excludedUserId: number | null
}
export type EventDraft = EventRouting & { data: string }
export type StoredEvent = EventDraft & { seq: number }
/** Not stored, never replayed: `typing`. */
export type EphemeralEvent = EventDraft

/** Who a stream delivers to, and what it follows. */
export type StreamAudience = { side: Side; userId: number; sessionId?: string }

/** The one rule of who receives what; event-repository.ts states the same rule in SQL for replays. */
export function reaches(event: EventRouting, audience: StreamAudience): boolean {
  if (audience.sessionId !== undefined && event.sessionId !== audience.sessionId) return false
  if (event.excludedUserId === audience.userId) return false
  if (audience.side === 'agent') return event.audience !== 'tenant' && event.agentId === audience.userId
  return event.audience !== 'agent' && (event.recipientId === null || event.recipientId === audience.userId)
}
