import { success } from '../../platform/envelope.js'
import type { OperationHandlers } from '../../platform/operations.js'
import { pageOf } from '../../platform/pagination.js'
import type { TenantService } from './tenant-service.js'

export const tenantRoutes = (tenants: TenantService) =>
  ({
    async createTenant(request, reply) {
      return reply.code(201).send(success(request, 'Tenant created', await tenants.create(request.body)))
    },
    async updateTenant(request, reply) {
      const tenant = await tenants.update(request.params.tenant_id, request.body)
      return reply.code(200).send(success(request, 'Tenant updated', tenant))
    },
    async listTenants(request, reply) {
      const page = await tenants.list(pageOf(request.query))
      return reply.code(200).send(success(request, 'Tenants', page.items, page.pagination))
    },
  }) satisfies OperationHandlers<'createTenant' | 'updateTenant' | 'listTenants'>
