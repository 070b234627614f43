import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import { MessageText } from '../../generated/routes.js'
import { discardOversizedBody } from '../platform/discard-oversized-body.js'
import { DomainError, type ErrorCode, type ErrorMap } from '../platform/domain-errors.js'
import { failure } from '../platform/envelope.js'
import { pipelineStage } from '../platform/pipeline-stage.js'
import { redactUrl } from '../platform/redact-url.js'
import { retryAfterSeconds, unavailabilityOf } from './service-unavailable.js'

// The spec's pattern for free text (messages, names): not blank, and no NUL, which PostgreSQL cannot store.
const visibleTextPattern = MessageText.pattern

type ValidationIssue = NonNullable<FastifyError['validation']>[number]

function fieldOf(issue: ValidationIssue, part: string | undefined): string {
  const params = issue.params as { missingProperty?: string; additionalProperty?: string }
  const path = issue.instancePath.replace(/^\//, '').replaceAll('/', '.')
  const property = params.missingProperty ?? params.additionalProperty
  const field = [path, property].filter(Boolean).join('.')
  return field || (part === 'body' ? 'body' : '_')
}

function messageOf(issue: ValidationIssue): string {
  if (issue.keyword === 'additionalProperties') return 'is not a known property'
  if (issue.keyword === 'required') return 'is required'
  if (issue.keyword === 'enum') return `must be one of ${(issue.params as { allowedValues: unknown[] }).allowedValues.join(', ')}`
  if (issue.keyword === 'pattern' && issue.params.pattern === visibleTextPattern) {
    return 'must hold a visible character and no NUL (U+0000)'
  }
  return issue.message ?? 'is invalid'
}

// Field names come from the request ("constructor", "__proto__"), so they key a Map, never a plain object.
function validationErrors(error: FastifyError): ErrorMap {
  const errors = new Map<string, string[]>()
  for (const issue of error.validation ?? []) {
    const field = fieldOf(issue, error.validationContext)
    const messages = errors.get(field) ?? []
    const message = messageOf(issue)
    if (!messages.includes(message)) messages.push(message)
    errors.set(field, messages)
  }
  return Object.fromEntries(errors)
}

// Fastify's own client errors, by their code; any other is read by its status.
const frameworkErrorCodes: Record<string, ErrorCode> = {
  FST_ERR_CTP_INVALID_JSON_BODY: 'MALFORMED_JSON',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'MALFORMED_JSON',
  FST_ERR_CTP_BODY_TOO_LARGE: 'BODY_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'MALFORMED_REQUEST',
}
const frameworkStatusCodes: Partial<Record<number, ErrorCode>> = { 408: 'REQUEST_TIMEOUT', 413: 'BODY_TOO_LARGE', 415: 'UNSUPPORTED_MEDIA_TYPE', 431: 'HEADERS_TOO_LARGE' }

/** The code of a 4xx that Fastify raised, not a service: a body it could not read, mostly. */
function frameworkErrorCode(error: FastifyError): ErrorCode {
  return frameworkErrorCodes[error.code] ?? frameworkStatusCodes[error.statusCode ?? 400] ?? 'MALFORMED_REQUEST'
}

/** The one place where failures become responses. 5xx bodies never carry internals; the log does. */
export const errorHandler = pipelineStage('error-handler', [], async (app) => {
  app.setErrorHandler(async (error: FastifyError, request, reply) => {
    if (error instanceof DomainError) {
      request.log.info({ code: error.code }, error.message)
      if (error.statusCode === 401) reply.header('www-authenticate', 'Bearer')
      return reply.code(error.statusCode).send(failure(request, error.code, error.message, error.errors))
    }
    if (error.validation) {
      return reply.code(400).send(failure(request, 'VALIDATION_FAILED', `Invalid ${error.validationContext ?? 'request'}`, validationErrors(error)))
    }
    const unavailable = unavailabilityOf(error)
    if (unavailable) {
      request.log.warn({ code: unavailable.code, cause: unavailable.cause, reason: unavailable.reason }, unavailable.message)
      return reply.code(503).header('retry-after', retryAfterSeconds).send(failure(request, unavailable.code, unavailable.message, unavailable.errors))
    }
    const status = error.statusCode ?? 500
    if (status >= 400 && status < 500) {
      // The client of a body too large is still sending it: answered now, it would read a reset, not the 413.
      if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') await discardOversizedBody(request.raw, request.routeOptions.bodyLimit)
      // Fastify's own client errors: malformed JSON, unsupported media type, body too large.
      return reply.code(status).send(failure(request, frameworkErrorCode(error), error.message, { _: [error.message] }))
    }
    request.log.error({ err: error }, 'request failed')
    return reply.code(500).send(failure(request, 'INTERNAL_ERROR', 'Internal server error', { _: ['The server failed; quote meta.request_id when reporting it'] }))
  })
  app.setNotFoundHandler((request, reply) =>
    // The URL is echoed as the logs show it: a token in its query string is not repeated back.
    reply.code(404).send(failure(request, 'NOT_FOUND', 'Route not found', { _: [`No route ${request.method} ${redactUrl(request.url)}`] })),
  )
})

/** Failures before routing (a malformed URL) answer in the envelope too. */
export function answerFrameworkError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  void reply.code(400).header('x-request-id', request.id).send(failure(request, 'MALFORMED_REQUEST', 'Invalid request', { _: [error.message] }))
}
