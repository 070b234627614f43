import { and, eq, sql } from 'drizzle-orm'
import type { components } from '../../../generated/openapi.js'
import type { Database } from '../../platform/database.js'
import { agentPresence } from './presence-table.js'

export type AgentPresence = components['schemas']['AgentPresence']
export type PresenceStatus = AgentPresence['status']

const toPresence = (row: typeof agentPresence.$inferSelect): AgentPresence => ({
  tenant_id: row.tenantId,
  agent_id: row.agentId,
  status: row.status,
  updated_at: row.updatedAt.toISOString(),
})

export const presenceRepository = {
  async upsert(db: Database, tenantId: number, agentId: number, status: PresenceStatus): Promise<AgentPresence> {
    const [row] = await db
      .insert(agentPresence)
      .values({ tenantId, agentId, status })
      .onConflictDoUpdate({
        target: [agentPresence.tenantId, agentPresence.agentId],
        set: { status, updatedAt: sql`now()` },
      })
      .returning()
    return toPresence(row)
  },

  async find(db: Database, tenantId: number, agentId: number): Promise<AgentPresence | undefined> {
    const [row] = await db
      .select()
      .from(agentPresence)
      .where(and(eq(agentPresence.tenantId, tenantId), eq(agentPresence.agentId, agentId)))
    return row && toPresence(row)
  },
}
