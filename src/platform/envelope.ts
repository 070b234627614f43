import type { FastifyRequest } from 'fastify'
import type { components } from '../../generated/openapi.js'
import type { ErrorMap } from './domain-errors.js'

type Pagination = components['schemas']['Pagination']

// Every body the service sends is built here, so the envelope has one shape everywhere.
const meta = (request: Pick<FastifyRequest, 'id'>, pagination?: Pagination) => ({
  request_id: request.id,
  timestamp: new Date().toISOString(),
  ...(pagination && { pagination }),
})

export const success = <Data>(request: FastifyRequest, message: string, data: Data, pagination?: Pagination) => ({
  success: true as const,
  message,
  data,
  meta: meta(request, pagination),
  errors: null,
})

// Only the id is read: answers written before any request exists (a client error on the socket) pass `{ id }`.
export const failure = (request: Pick<FastifyRequest, 'id'>, message: string, errors: ErrorMap) => ({
  success: false as const,
  message,
  data: null,
  meta: meta(request),
  errors,
})
