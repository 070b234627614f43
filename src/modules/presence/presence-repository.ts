import { and, eq, sql } from 'drizzle-orm'
import type { components } from '../../../generated/openapi.js'
import type { Executor, Transaction } from '../../platform/transactions.js'
import { agentPresence } from './presence-table.js'

export type AgentPresence = components['schemas']['AgentPresence']
export type PresenceStatus = AgentPresence['status']

type PresenceRow = typeof agentPresence.$inferSelect

/**
 * What a stored presence means now: ONLINE holds for `ttlSeconds` after the last presence call. `live` is
 * decided by the database clock, the same clock that stamped `updated_at`.
 */
function toPresence(row: PresenceRow, live: boolean, ttlSeconds: number): AgentPresence {
  const online = row.status === 'ONLINE' && live
  return {
    tenant_id: row.tenantId,
    agent_id: row.agentId,
    status: online ? 'ONLINE' : 'OFFLINE',
    updated_at: row.updatedAt.toISOString(),
    online_until: online ? new Date(row.updatedAt.getTime() + ttlSeconds * 1000).toISOString() : null,
  }
}

const liveWithin = (ttlSeconds: number) =>
  sql<boolean>`${agentPresence.updatedAt} > now() - make_interval(secs => ${ttlSeconds})`.mapWith(Boolean)

export const presenceRepository = {
  async upsert(tx: Transaction, tenantId: number, agentId: number, status: PresenceStatus, ttlSeconds: number): Promise<AgentPresence> {
    const [row] = await tx
      .insert(agentPresence)
      .values({ tenantId, agentId, status })
      .onConflictDoUpdate({
        target: [agentPresence.tenantId, agentPresence.agentId],
        set: { status, updatedAt: sql`now()` },
      })
      .returning()
    return toPresence(row, true, ttlSeconds)
  },

  async find(executor: Executor, tenantId: number, agentId: number, ttlSeconds: number): Promise<AgentPresence | undefined> {
    const [found] = await executor
      .select({ row: agentPresence, live: liveWithin(ttlSeconds) })
      .from(agentPresence)
      .where(and(eq(agentPresence.tenantId, tenantId), eq(agentPresence.agentId, agentId)))
    return found && toPresence(found.row, found.live, ttlSeconds)
  },

  /** Renews ONLINE for these agents as if they had just called; an OFFLINE agent stays OFFLINE. */
  async renewOnline(tx: Transaction, agents: { tenantId: number; agentId: number }[]): Promise<void> {
    if (agents.length === 0) return
    const tenantIds = `{${agents.map((agent) => agent.tenantId).join(',')}}`
    const agentIds = `{${agents.map((agent) => agent.agentId).join(',')}}`
    await tx
      .update(agentPresence)
      .set({ updatedAt: sql`now()` })
      .where(
        and(
          eq(agentPresence.status, 'ONLINE'),
          sql`(${agentPresence.tenantId}, ${agentPresence.agentId}) in (select * from unnest(${tenantIds}::int[], ${agentIds}::int[]))`,
        ),
      )
  },
}

export type PresenceRepository = typeof presenceRepository
