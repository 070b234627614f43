import { DomainError, InvalidRequestError } from '../platform/domain-errors.js'
import { pipelineStage } from '../platform/pipeline-stage.js'

// JSON is UTF-8 (RFC 8259); a body declared in another charset would be read as UTF-8 and stored garbled.
const declaredCharset = /;\s*charset\s*=\s*"?([^";\s]*)/i
const utf8Names = new Set(['utf-8', 'utf8'])

/** JSON that parses, so the parser refused it for a key that could reach Object.prototype. */
function parsesAsJson(text: string): boolean {
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
export const jsonBody = pipelineStage('json-body', [], async (app) => {
  app.removeContentTypeParser('text/plain')
  const parseJson = app.getDefaultJsonParser('error', 'error')
  app.removeContentTypeParser('application/json')
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const charset = declaredCharset.exec(request.headers['content-type'] ?? '')?.[1]
    if (charset !== undefined && !utf8Names.has(charset.toLowerCase())) {
      return done(
        new DomainError('UNSUPPORTED_CHARSET', 415, 'Unsupported charset', { 'content-type': ['JSON bodies must be UTF-8 (charset=utf-8, or none)'] }),
        undefined,
      )
    }
    if (body === '') return done(null, undefined)
    parseJson(request, body as string, (error, value) => {
      // Fastify says "not valid JSON" for `__proto__` too; the client should learn which key was refused.
      if (error && parsesAsJson(body as string)) {
        return done(
          new InvalidRequestError('FORBIDDEN_KEY', 'Invalid body', { body: ['must not hold a "__proto__" key, nor a "constructor" key holding "prototype"'] }),
          undefined,
        )
      }
      done(error, value)
    })
  })
})
