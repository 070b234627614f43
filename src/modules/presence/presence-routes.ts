import { success } from '../../platform/envelope.js'
import type { OperationHandlers } from '../../platform/operations.js'
import type { PresenceService } from './presence-service.js'
import { tenantOf } from '../../platform/tenant-scope.js'

export const presenceRoutes = (presence: PresenceService) =>
  ({
    async setMyPresence(request, reply) {
      const updated = await presence.set(tenantOf(request), request.principal.userId, request.body.status)
      return reply.code(200).send(success(request, `Presence set to ${updated.status}`, updated))
    },
    async getAgentPresence(request, reply) {
      const current = await presence.effective(tenantOf(request), request.params.agent_id)
      return reply.code(200).send(success(request, `Agent is ${current.status}`, current))
    },
  }) satisfies OperationHandlers<'setMyPresence' | 'getAgentPresence'>
