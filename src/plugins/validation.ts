import Ajv from 'ajv'
import addFormats from 'ajv-formats'
import type { FastifyInstance } from 'fastify'
import { InvalidRequestError } from '../platform/domain-errors.js'

/** The path of the first string holding a lone UTF-16 surrogate, which the database would store as U+FFFD. */
function malformedTextPath(value: unknown, path: string): string | undefined {
  if (typeof value === 'string') return value.isWellFormed() ? undefined : path
  if (typeof value !== 'object' || value === null) return undefined
  for (const [key, child] of Object.entries(value)) {
    const found = malformedTextPath(child, path ? `${path}.${key}` : key)
    if (found !== undefined) return found
  }
  return undefined
}

/**
 * Bodies are validated without type coercion or removal of unknown properties: `{"message": 42}` and
 * `{"mesage": "hi"}` are refused with 400, never rewritten. Path and query strings are coerced to the
 * schema's types, as they can only arrive as text.
 */
export function registerValidation(app: FastifyInstance): void {
  const shared = { allErrors: true, useDefaults: true, strict: false } as const
  const bodyValidator = addFormats.default(new Ajv.default({ ...shared, coerceTypes: false, removeAdditional: false }))
  const textValidator = addFormats.default(new Ajv.default({ ...shared, coerceTypes: 'array', removeAdditional: false }))
  app.setValidatorCompiler(({ schema, httpPart }) =>
    (httpPart === 'body' ? bodyValidator : textValidator).compile(schema),
  )
  // A request body may be optional in the spec (starting a session takes `{}` as well as nothing).
  app.addHook('preValidation', async (request) => {
    if (request.body === undefined && request.routeOptions.config.bodyRequired === false) request.body = {}
    // Text is stored exactly as sent or refused, never silently altered.
    const malformed = malformedTextPath(request.body, '')
    if (malformed !== undefined) {
      throw new InvalidRequestError('MALFORMED_TEXT', 'Invalid body', {
        [malformed || 'body']: ['must be well-formed Unicode text (it holds a lone surrogate)'],
      })
    }
  })
}
