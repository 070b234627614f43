import { actorOf } from '../../platform/actor.js'
import { success } from '../../platform/envelope.js'
import type { OperationHandlers } from '../../platform/operations.js'
import { pageOf } from '../../platform/pagination.js'
import type { TicketService } from './ticket-service.js'
import { tenantOf } from '../../platform/tenant-scope.js'


export const ticketRoutes = (tickets: TicketService) =>
  ({
    async createTicket(request, reply) {
      const ticket = await tickets.create(tenantOf(request), actorOf(request, 'by-role'), request.body)
      return reply.code(201).send(success(request, 'Ticket opened', ticket))
    },
    async listTickets(request, reply) {
      const page = await tickets.list(tenantOf(request), actorOf(request, 'by-role'), request.query.status, pageOf(request.query))
      return reply.code(200).send(success(request, 'Tickets', page.items, page.pagination))
    },
    async getTicket(request, reply) {
      const ticket = await tickets.get(tenantOf(request), request.params.id, actorOf(request, 'by-role'))
      return reply.code(200).send(success(request, 'Ticket', ticket))
    },
    async updateTicket(request, reply) {
      const ticket = await tickets.update(tenantOf(request), request.params.id, actorOf(request, 'agent'), request.body)
      return reply.code(200).send(success(request, 'Ticket updated', ticket))
    },
    async createTicketReply(request, reply) {
      const created = await tickets.reply(tenantOf(request), request.params.id, actorOf(request, 'by-role'), request.body.message)
      return reply.code(201).send(success(request, 'Reply sent', created))
    },
    async listTicketReplies(request, reply) {
      const page = await tickets.listReplies(tenantOf(request), request.params.id, actorOf(request, 'by-role'), pageOf(request.query))
      return reply.code(200).send(success(request, 'Replies', page.items, page.pagination))
    },
  }) satisfies OperationHandlers<'createTicket' | 'listTickets' | 'getTicket' | 'updateTicket' | 'createTicketReply' | 'listTicketReplies'>
