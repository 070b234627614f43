import type { FastifyRequest } from 'fastify'
import type { components } from '../../generated/openapi.js'
import type { ErrorCode, ErrorMap } from './domain-errors.js'

type Pagination = components['schemas']['Pagination']

type Meta = { request_id: string; timestamp: string }

// Every body the service sends is built here, so the envelope has one shape everywhere.
const meta = (request: Pick<FastifyRequest, 'id'>): Meta => ({ request_id: request.id, timestamp: new Date().toISOString() })

/** A success; a list's carries its page's pagination, which its type then promises (PageMeta in openapi.yaml). */
export function success<Data>(request: FastifyRequest, message: string, data: Data): Envelope<Data, Meta>
export function success<Data>(request: FastifyRequest, message: string, data: Data, pagination: Pagination): Envelope<Data, Meta & { pagination: Pagination }>
export function success<Data>(request: FastifyRequest, message: string, data: Data, pagination?: Pagination) {
  return { success: true as const, message, data, meta: pagination ? { ...meta(request), pagination } : meta(request), errors: null }
}

type Envelope<Data, PageMeta> = { success: true; message: string; data: Data; meta: PageMeta; errors: null }

// Only the id is read: answers written before any request exists (a client error on the socket) pass `{ id }`.
export const failure = (request: Pick<FastifyRequest, 'id'>, code: ErrorCode, message: string, errors: ErrorMap) => ({
  success: false as const,
  message,
  code,
  data: null,
  meta: meta(request),
  errors,
})
