import type { FastifyBaseLogger } from 'fastify'
import type { PresenceService } from './presence-service.js'

type Dependencies = { presence: Pick<PresenceService, 'renewOnline'>; ttlSeconds: number; log: FastifyBaseLogger }

/**
 * While an agent's stream is open, the agent's ONLINE presence in its tenants does not lapse: every held
 * agent is renewed in one statement, three times per PRESENCE_TTL_SECONDS. When the last stream closes,
 * presence lapses as it would after a last presence call.
 */
export function createPresenceKeeper({ presence, ttlSeconds, log }: Dependencies) {
  const holds = new Map<string, { tenantId: number; agentId: number; count: number }>()
  const renew = (agents: { tenantId: number; agentId: number }[]) =>
    presence.renewOnline(agents).catch((error) => log.warn({ err: error }, 'could not renew the presence of streaming agents'))
  const timer = setInterval(() => void renew([...holds.values()]), (ttlSeconds * 1000) / 3).unref()

  return {
    /** Holds the agent ONLINE in these tenants until the returned release is called. */
    hold(tenantIds: number[], agentId: number): () => void {
      const keys = tenantIds.map((tenantId) => {
        const key = `${tenantId}:${agentId}`
        const held = holds.get(key)
        if (held) held.count += 1
        else holds.set(key, { tenantId, agentId, count: 1 })
        return key
      })
      void renew(tenantIds.map((tenantId) => ({ tenantId, agentId })))
      let released = false
      return () => {
        if (released) return
        released = true
        for (const key of keys) {
          const held = holds.get(key)!
          if (--held.count === 0) holds.delete(key)
        }
      }
    },

    close: () => clearInterval(timer),
  }
}
