import type { FastifyRequest } from 'fastify'

/**
 * The tenant a tenant-scoped operation acts for. Authentication sets it before any handler runs, or refuses
 * the call; its absence here is a route whose operation openapi.yaml does not scope to a tenant.
 */
export function tenantOf(request: FastifyRequest): number {
  if (request.tenantId === undefined) throw new Error(`${request.routeOptions.url} acts for a tenant that its operation does not require`)
  return request.tenantId
}
