import type { FastifyRequest } from 'fastify'

/** Who acts, and on which side: an agent's messages and replies notify the tenant, a tenant user's do not. */
export type Actor = { userId: number; asAgent: boolean }

/** The caller on the side the operation serves; on operations open to both, holding the agent role decides. */
export function actorOf(request: FastifyRequest, side: 'agent' | 'tenant' | 'by-role'): Actor {
  const asAgent = side === 'by-role' ? request.principal.roles.includes('SUPPORT_AGENT') : side === 'agent'
  return { userId: request.principal.userId, asAgent }
}
