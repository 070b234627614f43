import type { FastifyInstance } from 'fastify'

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
    parseJson(request, body as string, done)
  })
}
