import { actorOf } from '../../platform/actor.js'
import { success } from '../../platform/envelope.js'
import type { OperationHandlers } from '../../platform/operations.js'
import { pageOf } from '../../platform/pagination.js'
import type { LivechatService } from './livechat-service.js'
import { tenantOf } from '../../platform/tenant-scope.js'

/** The tenant's side of the chat, for TENANT_USER: the same sessions and messages; their messages notify no one. */
export const clientRoutes = (livechat: LivechatService) =>
  ({
    async listClientSessions(request, reply) {
      const page = await livechat.listSessions(tenantOf(request), request.principal.userId, { status: request.query.status }, pageOf(request.query))
      return reply.code(200).send(success(request, 'Sessions', page.items, page.pagination))
    },
    async getClientSession(request, reply) {
      return reply.code(200).send(success(request, 'Session', await livechat.getSession(tenantOf(request), request.params.id, request.principal.userId)))
    },
    async sendClientMessage(request, reply) {
      const message = await livechat.sendMessage(tenantOf(request), request.params.id, actorOf(request, 'tenant'), request.body.message)
      return reply.code(201).send(success(request, 'Message sent', message))
    },
    async listClientMessages(request, reply) {
      const page = await livechat.listMessages(tenantOf(request), request.params.id, pageOf(request.query))
      return reply.code(200).send(success(request, 'Messages', page.items, page.pagination))
    },
  }) satisfies OperationHandlers<'listClientSessions' | 'getClientSession' | 'sendClientMessage' | 'listClientMessages'>
