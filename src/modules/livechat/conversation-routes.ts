import type { FastifyRequest } from 'fastify'
import { actorOf } from '../../platform/actor.js'
import { success } from '../../platform/envelope.js'
import type { OperationHandlers } from '../../platform/operations.js'
import type { ConversationService } from './conversation-service.js'
import { tenantOf } from '../../platform/tenant-scope.js'

type Side = 'agent' | 'tenant'

/** Typing and read receipts: the agent's and the tenant user's calls differ only in the side the caller speaks for. */
export function conversationRoutes(conversation: ConversationService) {
  async function typing(request: FastifyRequest, sessionId: string, side: Side) {
    const forwarded = await conversation.typing(tenantOf(request), sessionId, actorOf(request, side))
    return success(request, forwarded ? 'Typing forwarded' : 'Typing dropped (one per second)', { forwarded })
  }
  async function read(request: FastifyRequest, sessionId: string, side: Side, messageId: string) {
    const position = await conversation.markRead(tenantOf(request), sessionId, actorOf(request, side), messageId)
    return success(request, 'Read position stored', position)
  }

  return {
    sendTyping: async (request, reply) => reply.code(202).send(await typing(request, request.params.id, 'agent')),
    sendClientTyping: async (request, reply) => reply.code(202).send(await typing(request, request.params.id, 'tenant')),
    markSessionRead: async (request, reply) => reply.code(200).send(await read(request, request.params.id, 'agent', request.body.message_id)),
    markClientSessionRead: async (request, reply) => reply.code(200).send(await read(request, request.params.id, 'tenant', request.body.message_id)),
  } satisfies OperationHandlers<'sendTyping' | 'sendClientTyping' | 'markSessionRead' | 'markClientSessionRead'>
}
