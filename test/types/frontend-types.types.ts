// Type tests of generated/openapi.ts as a frontend uses it, checked by tsc: each @ts-expect-error must meet an error.
import type { components } from '../../generated/openapi.js'

type Schemas = components['schemas']

// A property the API defaults is optional to send: POST /admin/tenants with a name alone is a whole request.
export const nameAlone: Schemas['CreateTenantRequest'] = { name: 'Acme' }
export const withActive: Schemas['CreateTenantRequest'] = { name: 'Acme', active: false }
// @ts-expect-error the name is still required
export const withoutName: Schemas['CreateTenantRequest'] = { active: true }

// A list's pagination is always there: reading it needs no optional chaining (tsc fails here if it turns optional).
export const hasNext = (page: Schemas['ChatMessageListResponse']): boolean => page.meta.pagination.has_next
// @ts-expect-error a single item's meta has no pagination
export const noPagination = (one: Schemas['ChatMessageResponse']) => one.meta.pagination.has_next
