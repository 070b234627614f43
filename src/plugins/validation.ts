import Ajv from 'ajv'
import addFormats from 'ajv-formats'
import { InvalidRequestError } from '../platform/domain-errors.js'
import { pipelineStage } from '../platform/pipeline-stage.js'

// ajv-formats also takes "urn:uuid:…", which PostgreSQL's uuid type refuses; ids are the plain form.
const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

function createAjv(coerceTypes: false | 'array') {
  const ajv = addFormats.default(new Ajv.default({ allErrors: true, useDefaults: true, strict: false, coerceTypes, removeAdditional: false }))
  return ajv.addFormat('uuid', uuidPattern)
}

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

// Ajv coerces any text JavaScript reads as a number ("0x10", "1e1", " 7 "); an integer in a URL is decimal digits.
const decimalInteger = /^-?[0-9]+$/

/** The names of integer parameters (by the schema) whose text is not written in decimal digits. */
function nonDecimalIntegers(values: unknown, schema: unknown): string[] {
  const properties = (schema as { properties?: Record<string, { type?: unknown }> } | undefined)?.properties ?? {}
  const given = (values ?? {}) as Record<string, unknown>
  return Object.entries(properties)
    .filter(([name, property]) => property.type === 'integer' && Object.hasOwn(given, name))
    .filter(([name]) => typeof given[name] === 'string' && !decimalInteger.test(given[name] as string))
    .map(([name]) => name)
}

/**
 * Bodies are validated without type coercion or removal of unknown properties: `{"message": 42}` and
 * `{"mesage": "hi"}` are refused with 400, never rewritten. Path and query strings are coerced to the
 * schema's types, as they can only arrive as text.
 */
export const validation = pipelineStage('validation', [], async (app) => {
  const bodyValidator = createAjv(false)
  const textValidator = createAjv('array')
  app.setValidatorCompiler(({ schema, httpPart }) => (httpPart === 'body' ? bodyValidator : textValidator).compile(schema))

  app.addHook('preValidation', async (request) => {
    const { schema, config } = request.routeOptions
    if (!request.is404 && !schema?.body && request.body !== undefined) {
      throw new InvalidRequestError('BODY_NOT_EXPECTED', 'Invalid body', { body: ['This operation takes no body'] })
    }
    for (const [part, values, partSchema] of [
      ['params', request.params, schema?.params],
      ['querystring', request.query, schema?.querystring],
    ] as const) {
      const invalid = nonDecimalIntegers(values, partSchema)
      if (invalid.length > 0) {
        throw new InvalidRequestError('INVALID_INTEGER', `Invalid ${part}`, Object.fromEntries(invalid.map((name) => [name, ['must be an integer in decimal digits']])))
      }
    }
    // A request body may be optional in the spec (starting a session takes `{}` as well as nothing).
    if (request.body === undefined && config.bodyRequired === false && schema?.body) request.body = {}
  })

  // After validation, so the body's shape is the schema's (no unbounded nesting to walk).
  app.addHook('preHandler', async (request) => {
    const malformed = malformedTextPath(request.body, '')
    if (malformed !== undefined) {
      throw new InvalidRequestError('MALFORMED_TEXT', 'Invalid body', {
        [malformed || 'body']: ['must be well-formed Unicode text (it holds a lone surrogate)'],
      })
    }
  })
})
