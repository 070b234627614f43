import { failure } from '../platform/envelope.js'
import { pipelineStage } from '../platform/pipeline-stage.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** Whether the app has begun to close (readiness says 503 from then on). */
    isShuttingDown: () => boolean
  }
}

// Another instance can take the request at once; this one will not come back.
const retryAfterSeconds = '1'

/**
 * From the moment the app starts closing: requests that arrive are answered 503 in the envelope with
 * Retry-After (Fastify's own 503 is off: `return503OnClosing: false`), and every response, also of
 * requests already in flight, closes its connection, so that draining ends when they do rather than
 * when idle keep-alive connections time out. Its refusal comes before any other hook does work, and carries the
 * request's id.
 */
export const shutdownGate = pipelineStage('shutdown-gate', ['request-id'], async (app) => {
  let closing = false
  app.addHook('preClose', async () => {
    closing = true
  })
  app.addHook('onRequest', async (request, reply) => {
    if (!closing) return
    request.log.info('refused: shutting down')
    return reply
      .code(503)
      .header('retry-after', retryAfterSeconds)
      .header('connection', 'close')
      .send(failure(request, 'SHUTTING_DOWN', 'Shutting down', { _: ['This instance is shutting down; retry, another instance will answer'] }))
  })
  app.addHook('onSend', async (_request, reply) => {
    if (closing) reply.header('connection', 'close')
  })
  app.decorate('isShuttingDown', () => closing)
})
