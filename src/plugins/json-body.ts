import type { FastifyInstance } from 'fastify'
import { InvalidRequestError } from '../platform/domain-errors.js'

/** JSON that parses, so the parser refused it for a key that could reach Object.prototype. */
function isPlainJson(text: string): boolean {
  try {
    JSON.parse(text)
    return true
  } catch {
    return false
  }
}

/**
 * Bodies are JSON only: text/plain is 415 rather than a string handed to validation. The frontend guide
 * has clients send `Content-Type: application/json` on every call, so an empty body under that header
 * is "no body" (closing a session takes none), not a parse error.
 */
export function registerJsonBody(app: FastifyInstance): void {
  app.removeContentTypeParser('text/plain')
  const parseJson = app.getDefaultJsonParser('error', 'error')
  app.removeContentTypeParser('application/json')
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (body === '') return done(null, undefined)
    parseJson(request, body as string, (error, value) => {
      // Fastify says "not valid JSON" for `__proto__` too; the client should learn which key was refused.
      if (error && isPlainJson(body as string)) {
        return done(
          new InvalidRequestError('FORBIDDEN_KEY', 'Invalid body', { body: ['must not hold a "__proto__" key, nor a "constructor" key holding "prototype"'] }),
          undefined,
        )
      }
      done(error, value)
    })
  })
}
