import Ajv from 'ajv'
import addFormats from 'ajv-formats'
import type { FastifyInstance } from 'fastify'

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
  })
}
