import type { FastifyRequest } from 'fastify'
import { success } from '../../platform/envelope.js'
import type { OperationHandlers } from '../../platform/operations.js'
import { pageOf } from '../../platform/pagination.js'
import type { Actor, TicketService } from './ticket-service.js'

/** Ticket operations are open to agents and tenant users; a caller holding the agent role acts as one. */
const actorOf = (request: FastifyRequest): Actor => ({
  userId: request.principal.userId,
  asAgent: request.principal.roles.includes('SUPPORT_AGENT'),
})

export const ticketRoutes = (tickets: TicketService) =>
  ({
    async createTicket(request, reply) {
      const ticket = await tickets.create(request.tenantId, actorOf(request), request.body)
      return reply.code(201).send(success(request, 'Ticket opened', ticket))
    },
    async listTickets(request, reply) {
      const page = await tickets.list(request.tenantId, request.query.status, pageOf(request.query))
      return reply.code(200).send(success(request, 'Tickets', page.items, page.pagination))
    },
    async getTicket(request, reply) {
      return reply.code(200).send(success(request, 'Ticket', await tickets.get(request.tenantId, request.params.id)))
    },
    async updateTicket(request, reply) {
      const ticket = await tickets.update(request.tenantId, request.params.id, request.body)
      return reply.code(200).send(success(request, 'Ticket updated', ticket))
    },
    async createTicketReply(request, reply) {
      const created = await tickets.reply(request.tenantId, request.params.id, actorOf(request), request.body.message)
      return reply.code(201).send(success(request, 'Reply sent', created))
    },
    async listTicketReplies(request, reply) {
      const page = await tickets.listReplies(request.tenantId, request.params.id, pageOf(request.query))
      return reply.code(200).send(success(request, 'Replies', page.items, page.pagination))
    },
  }) satisfies OperationHandlers<'createTicket' | 'listTickets' | 'getTicket' | 'updateTicket' | 'createTicketReply' | 'listTicketReplies'>
