import type { FastifyRequest, RouteHandlerMethod } from 'fastify'
import type { Config } from '../../config.js'
import { failure } from '../../platform/envelope.js'
import type { HandlerWrapper } from '../../platform/operations.js'
import { pipelineStage } from '../../platform/pipeline-stage.js'
import { IdempotencyInProgressError, IdempotencyKeyReusedError } from './idempotency-errors.js'
import type { Claim, IdempotencyService } from './idempotency-service.js'
import { requestHash } from './request-hash.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** Wraps a POST operation's handler so that it honours Idempotency-Key. */
    idempotentHandler: HandlerWrapper
  }
}

type Dependencies = {
  idempotency: IdempotencyService
  config: Pick<Config, 'RESPONSE_TIMEOUT_SECONDS'>
}

// Often enough that the table stays near one TTL's worth of keys; every instance prunes, the later ones find nothing.
const pruneEveryMilliseconds = 10 * 60 * 1000
const retryAfterSeconds = 1

/**
 * Makes every POST honour `Idempotency-Key` (see IdempotencyKey in openapi.yaml), through the handler wrapper it
 * decorates the app with; the response is committed with the request's work in `onSend`, before it leaves, so a
 * client never sees a success that is not stored. That commit may take what is left of the response deadline: the
 * deadline's own `onSend` must have stopped its timer first, or it would answer a second time meanwhile.
 */
export const idempotentOperations = pipelineStage<Dependencies>('idempotency', ['response-deadline'], async (app, { idempotency, config }) => {
  const claims = new WeakMap<FastifyRequest, Extract<Claim, { kind: 'claimed' }>>()
  // Requests whose response is on its way: one answered (by the response deadline) before its key was
  // taken has no response left to commit with, and undoes its work instead.
  const answered = new WeakSet<FastifyRequest>()

  app.addHook('onSend', async (request, reply, payload) => {
    answered.add(request)
    const claim = claims.get(request)
    if (!claim) return payload
    claims.delete(request)
    const finished = claim.finish({ statusCode: reply.statusCode, body: String(payload) })
    if (reply.statusCode >= 500) {
      // Rolled back once the handler is done; the retry runs again.
      finished.catch((error: unknown) => request.log.warn({ err: error }, 'rolling back a failed idempotent request failed'))
      return payload
    }
    // The commit is the last thing the response waits for, and the response deadline no longer counts once
    // sending began: so it is bounded here, by what is left of RESPONSE_TIMEOUT_SECONDS.
    const remainingMs = Math.max(0, config.RESPONSE_TIMEOUT_SECONDS * 1000 - reply.elapsedTime)
    let timer: NodeJS.Timeout | undefined
    const timedOut = new Promise<'timed-out'>((resolve) => (timer = setTimeout(() => resolve('timed-out'), remainingMs)))
    try {
      if ((await Promise.race([finished, timedOut])) !== 'timed-out') return payload
      // It may still commit; then a retry with the key replays it, otherwise the retry runs again.
      finished.catch((error: unknown) => request.log.warn({ err: error }, 'an idempotent request answered 503 failed to commit'))
      request.log.warn('an idempotent request did not commit within RESPONSE_TIMEOUT_SECONDS; answered 503')
    } catch (error) {
      request.log.error({ err: error }, 'an idempotent request could not be committed')
    } finally {
      clearTimeout(timer)
    }
    reply.code(503).header('retry-after', retryAfterSeconds)
    return JSON.stringify(
      failure(request, 'OUTCOME_UNKNOWN', 'Service unavailable', { _: ['The outcome is unknown; retry the request with the same Idempotency-Key'] }),
    )
  })

  const timer = setInterval(() => {
    idempotency.prune().then(
      (deleted) => deleted > 0 && app.log.info({ deleted }, 'expired idempotency keys deleted'),
      (error: unknown) => app.log.warn({ err: error }, 'could not delete expired idempotency keys; the next pass retries'),
    )
  }, pruneEveryMilliseconds).unref()
  app.addHook('onClose', async () => clearInterval(timer))

  app.decorate('idempotentHandler', (({ operationId, method }, handler) => {
    if (method !== 'POST') return handler
    const idempotent: RouteHandlerMethod = async function (request, reply) {
      const key = request.headers['idempotency-key']
      if (typeof key !== 'string') return handler.call(this, request, reply)
      // The admin API takes no tenant: its keys are kept under tenant 0, which no tenant has.
      const scope = { userId: request.principal.userId, tenantId: request.tenantId ?? 0, key }
      const claim = await idempotency.begin(scope, requestHash(operationId, request.params, request.body))
      switch (claim.kind) {
        case 'claimed':
          if (answered.has(request)) {
            void claim.finish({ statusCode: 503, body: '' })
            return reply
          }
          claims.set(request, claim)
          return claim.run(async () => handler.call(this, request, reply))
        case 'replay':
          return reply
            .code(claim.response.statusCode)
            .header('idempotent-replayed', 'true')
            .type('application/json; charset=utf-8')
            .send(claim.response.body)
        case 'reused':
          throw new IdempotencyKeyReusedError()
        case 'in-progress':
          reply.header('retry-after', retryAfterSeconds)
          throw new IdempotencyInProgressError(retryAfterSeconds)
      }
    }
    return idempotent
  }) satisfies HandlerWrapper)
})
