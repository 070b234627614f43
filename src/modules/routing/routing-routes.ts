import { actorOf } from '../../platform/actor.js'
import { success } from '../../platform/envelope.js'
import type { OperationHandlers } from '../../platform/operations.js'
import { tenantOf } from '../../platform/tenant-scope.js'
import type { LivechatService } from '../livechat/livechat-service.js'
import type { RoutingService } from './routing-service.js'

/** Tenant users ask for chats and leave them; agents take queued chats and transfer their own. */
export const routingRoutes = (routing: RoutingService, livechat: Pick<LivechatService, 'getSession'>) =>
  ({
    async startClientSession(request, reply) {
      const { subject, message } = request.body ?? {}
      const session = await routing.requestChat(tenantOf(request), actorOf(request, 'tenant'), { subject, message })
      // The only message of a new session is the requester's own: nothing in it is unread for them.
      const answer = { ...session, unread_count: 0 }
      if (session.status === 'QUEUED') return reply.code(202).send(success(request, 'Waiting for an agent', answer))
      return reply.code(201).send(success(request, 'Chat started', answer))
    },
    async closeClientSession(request, reply) {
      const tenantId = tenantOf(request)
      await routing.close(tenantId, request.params.id, request.principal.userId)
      return reply.code(200).send(success(request, 'Chat closed', await livechat.getSession(tenantId, request.params.id, request.principal.userId)))
    },
    async assignSession(request, reply) {
      const tenantId = tenantOf(request)
      const callerId = request.principal.userId
      await routing.assign(tenantId, request.params.id, callerId, request.body?.agent_id ?? callerId)
      return reply.code(200).send(success(request, 'Session assigned', await livechat.getSession(tenantId, request.params.id, callerId)))
    },
  }) satisfies OperationHandlers<'startClientSession' | 'closeClientSession' | 'assignSession'>
