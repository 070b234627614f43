import { actorOf } from '../../platform/actor.js'
import { success } from '../../platform/envelope.js'
import type { OperationHandlers } from '../../platform/operations.js'
import { pageOf } from '../../platform/pagination.js'
import type { RoutingService } from '../routing/routing-service.js'
import type { LivechatService } from './livechat-service.js'
import { tenantOf } from '../../platform/tenant-scope.js'

/** The seed's calls, for SUPPORT_AGENT; starting and closing are routing decisions. */
export const livechatRoutes = (livechat: LivechatService, routing: RoutingService) =>
  ({
    async startSession(request, reply) {
      const { agent_id: agentId = request.principal.userId, subject, message } = request.body ?? {}
      const session = await routing.startSession(tenantOf(request), actorOf(request, 'agent'), { agentId, subject, message })
      // The only message of a new session is the requester's own: nothing in it is unread for them.
      return reply.code(201).send(success(request, 'Session started', { ...session, unread_count: 0 }))
    },
    async listSessions(request, reply) {
      const { status, agent_id: agentId } = request.query
      const page = await livechat.listSessions(tenantOf(request), request.principal.userId, { status, agentId }, pageOf(request.query))
      return reply.code(200).send(success(request, 'Sessions', page.items, page.pagination))
    },
    async getSession(request, reply) {
      return reply.code(200).send(success(request, 'Session', await livechat.getSession(tenantOf(request), request.params.id, request.principal.userId)))
    },
    async closeSession(request, reply) {
      const tenantId = tenantOf(request)
      await routing.close(tenantId, request.params.id)
      return reply.code(200).send(success(request, 'Session closed', await livechat.getSession(tenantId, request.params.id, request.principal.userId)))
    },
    async sendMessage(request, reply) {
      const message = await livechat.sendMessage(tenantOf(request), request.params.id, actorOf(request, 'agent'), request.body.message)
      return reply.code(201).send(success(request, 'Message sent', message))
    },
    async listMessages(request, reply) {
      const page = await livechat.listMessages(tenantOf(request), request.params.id, pageOf(request.query))
      return reply.code(200).send(success(request, 'Messages', page.items, page.pagination))
    },
  }) satisfies OperationHandlers<'startSession' | 'listSessions' | 'getSession' | 'closeSession' | 'sendMessage' | 'listMessages'>
