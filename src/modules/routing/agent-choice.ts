import type { AgentLoad } from './routing-repository.js'

/**
 * The agent routing gives the next session to: among the ONLINE agents with a free seat, the one with the
 * fewest OPEN sessions; among equals, the one whose last assignment is oldest (never assigned first), then the
 * lowest id, so the choice never depends on the order the database returned them in.
 */
export function chooseAgent(loads: readonly AgentLoad[], capacity: number): AgentLoad | undefined {
  let chosen: AgentLoad | undefined
  for (const load of loads) {
    if (load.open >= capacity) continue
    if (!chosen || ranksBefore(load, chosen)) chosen = load
  }
  return chosen
}

function ranksBefore(a: AgentLoad, b: AgentLoad): boolean {
  if (a.open !== b.open) return a.open < b.open
  if (a.lastAssignedAt !== b.lastAssignedAt) return a.lastAssignedAt === null || (b.lastAssignedAt !== null && a.lastAssignedAt < b.lastAssignedAt)
  return a.agentId < b.agentId
}
