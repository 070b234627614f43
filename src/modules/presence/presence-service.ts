import type { Database } from '../../platform/database.js'
import { presenceRepository, type AgentPresence, type PresenceStatus } from './presence-repository.js'

export type PresenceService = ReturnType<typeof createPresenceService>

export function createPresenceService(db: Database, ttlSeconds: number) {
  return {
    set: (tenantId: number, agentId: number, status: PresenceStatus): Promise<AgentPresence> =>
      presenceRepository.upsert(db, tenantId, agentId, status, ttlSeconds),

    renewOnline: (agents: { tenantId: number; agentId: number }[]): Promise<void> => presenceRepository.renewOnline(db, agents),

    /** The effective presence: an agent never seen, or silent for longer than the TTL, is OFFLINE. */
    async effective(tenantId: number, agentId: number, executor: Database = db): Promise<AgentPresence> {
      const found = await presenceRepository.find(executor, tenantId, agentId, ttlSeconds)
      return found ?? { tenant_id: tenantId, agent_id: agentId, status: 'OFFLINE', updated_at: null, online_until: null }
    },
  }
}
