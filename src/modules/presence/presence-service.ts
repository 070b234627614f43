import type { Executor, Transactions } from '../../platform/transactions.js'
import type { AgentPresence, PresenceRepository, PresenceStatus } from './presence-repository.js'

export type PresenceService = ReturnType<typeof createPresenceService>

type Dependencies = {
  transactions: Pick<Transactions, 'run' | 'executor' | 'afterCommit'>
  presenceRepository: PresenceRepository
  ttlSeconds: number
  /** An agent set ONLINE: told once that is committed, so the tenant's queue can be served. */
  becameOnline: (tenantId: number) => void
}

export function createPresenceService({ transactions, presenceRepository, ttlSeconds, becameOnline }: Dependencies) {
  /** The effective presence: an agent never seen, or silent for longer than the TTL, is OFFLINE. */
  async function effective(executor: Executor, tenantId: number, agentId: number): Promise<AgentPresence> {
    const found = await presenceRepository.find(executor, tenantId, agentId, ttlSeconds)
    return found ?? { tenant_id: tenantId, agent_id: agentId, status: 'OFFLINE', updated_at: null, online_until: null }
  }

  return {
    set: (tenantId: number, agentId: number, status: PresenceStatus): Promise<AgentPresence> =>
      transactions.run(async (tx) => {
        if (status === 'ONLINE') transactions.afterCommit(tx, () => becameOnline(tenantId))
        return presenceRepository.upsert(tx, tenantId, agentId, status, ttlSeconds)
      }),

    renewOnline: (agents: { tenantId: number; agentId: number }[]): Promise<void> =>
      transactions.run((tx) => presenceRepository.renewOnline(tx, agents)),

    effective: (tenantId: number, agentId: number): Promise<AgentPresence> => effective(transactions.executor(), tenantId, agentId),
  }
}
