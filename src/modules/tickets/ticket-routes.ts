import { actorOf } from '../../platform/actor.js'
import { success } from '../../platform/envelope.js'
import type { OperationHandlers } from '../../platform/operations.js'
import { pageOf } from '../../platform/pagination.js'
import type { TicketService } from './ticket-service.js'


export const ticketRoutes = (tickets: TicketService) =>
  ({
    async createTicket(request, reply) {
      const ticket = await tickets.create(request.tenantId, actorOf(request, 'by-role'), request.body)
      return reply.code(201).send(success(request, 'Ticket opened', ticket))
    },
    async listTickets(request, reply) {
      const page = await tickets.list(request.tenantId, actorOf(request, 'by-role'), request.query.status, pageOf(request.query))
      return reply.code(200).send(success(request, 'Tickets', page.items, page.pagination))
    },
    async getTicket(request, reply) {
      const ticket = await tickets.get(request.tenantId, request.params.id, actorOf(request, 'by-role'))
      return reply.code(200).send(success(request, 'Ticket', ticket))
    },
    async updateTicket(request, reply) {
      const ticket = await tickets.update(request.tenantId, request.params.id, actorOf(request, 'agent'), request.body)
      return reply.code(200).send(success(request, 'Ticket updated', ticket))
    },
    async createTicketReply(request, reply) {
      const created = await tickets.reply(request.tenantId, request.params.id, actorOf(request, 'by-role'), request.body.message)
      return reply.code(201).send(success(request, 'Reply sent', created))
    },
    async listTicketReplies(request, reply) {
      const page = await tickets.listReplies(request.tenantId, request.params.id, actorOf(request, 'by-role'), pageOf(request.query))
      return reply.code(200).send(success(request, 'Replies', page.items, page.pagination))
    },
  }) satisfies OperationHandlers<'createTicket' | 'listTickets' | 'getTicket' | 'updateTicket' | 'createTicketReply' | 'listTicketReplies'>
