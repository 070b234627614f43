import type { SessionRecord } from '../livechat/session-repository.js'
import type { AgentLoad } from './routing-repository.js'

/**
 * A tenant's routing picture for one batch of decisions: read once under the routing lock, then kept current by
 * the decisions as they are made. Decisions are made one after the other, at once, in memory; their writes follow
 * on the connection in the same order. Each session is one object here, changed in place.
 */
export type RoutingState = {
  capacity: number
  /** The ONLINE agents, with their OPEN sessions. */
  agents: AgentLoad[]
  /** The QUEUED sessions, oldest first: a session's position is its index plus one. */
  queue: SessionRecord[]
  /** The sessions the batch's decisions are about, by id. */
  sessions: Map<string, SessionRecord>
  /** The first position from which the queue moved in this batch: those from there on hear where they are. */
  movedFrom: number
  /** Sessions queued in this batch: they hear their position too. */
  newlyQueued: Set<string>
}

/** What a decision is about, read for the whole batch at its start. */
export type Involved = { sessionId?: string; requesterId?: number; agentId?: number }

export const sessionOf = (state: RoutingState, sessionId: string): SessionRecord | undefined => state.sessions.get(sessionId)

/** The requester's OPEN or QUEUED session. */
export const liveSessionOf = (state: RoutingState, requesterId: number): SessionRecord | undefined =>
  [...state.sessions.values()].find((session) => session.requester_id === requesterId && session.status !== 'CLOSED')

/** The OPEN session the agent started themselves. */
export const agentStartedSessionOf = (state: RoutingState, agentId: number): SessionRecord | undefined =>
  [...state.sessions.values()].find((session) => session.agent_id === agentId && session.requester_id === null && session.status === 'OPEN')

/** Counts a session given to the agent, in their load and as the latest assignment of all. */
export function countAssignment(state: RoutingState, agent: AgentLoad): void {
  agent.open++
  // Later than any assignment read from the database, whatever this clock says.
  agent.lastAssignedAt = Math.max(Date.now(), ...state.agents.map((load) => load.lastAssignedAt ?? 0)) + 1
}

/** A session of this agent ended here, or went to another agent. */
export function countRelease(state: RoutingState, agentId: number | null): void {
  const agent = state.agents.find((load) => load.agentId === agentId)
  if (agent) agent.open--
}

/** Takes a session out of the queue; those behind it move up. */
export function leaveQueue(state: RoutingState, session: SessionRecord): void {
  const index = state.queue.indexOf(session)
  if (index < 0) return
  state.queue.splice(index, 1)
  state.movedFrom = Math.min(state.movedFrom, index + 1)
}
