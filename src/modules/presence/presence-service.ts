import type { Database } from '../../platform/database.js'
import { presenceRepository, type AgentPresence, type PresenceStatus } from './presence-repository.js'

export type PresenceService = ReturnType<typeof createPresenceService>

export function createPresenceService(db: Database) {
  return {
    set: (tenantId: number, agentId: number, status: PresenceStatus): Promise<AgentPresence> =>
      presenceRepository.upsert(db, tenantId, agentId, status),

    /** An agent who never set a presence is OFFLINE. Takes the caller's transaction. */
    async statusOf(tenantId: number, agentId: number, executor: Database = db): Promise<PresenceStatus> {
      return (await presenceRepository.find(executor, tenantId, agentId))?.status ?? 'OFFLINE'
    },
  }
}
