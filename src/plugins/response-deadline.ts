import type { FastifyRequest, RouteHandlerMethod } from 'fastify'
import { pipelineStage } from '../platform/pipeline-stage.js'
import { unavailabilityOf } from './service-unavailable.js'

/** No response had been sent RESPONSE_TIMEOUT_SECONDS after the request arrived; the error handler answers 503. */
export class ResponseTimeoutError extends Error {
  readonly code = 'RESPONSE_TIMEOUT'
  constructor(seconds: number) {
    super(`No response within ${seconds} s`)
    this.name = new.target.name
  }
}

const bodyPollMilliseconds = 100

// Node's parser sets `complete` once the whole request is in; an injected request (tests) has no such flag
// and is always whole.
const stillArriving = (request: FastifyRequest) => request.raw.complete === false

/**
 * Every request gets its answer within `seconds` of its arrival, or of its body's when that came later: if
 * none has started by then, it is answered 503 (ResponseTimeoutError) while the handler runs on. It comes before
 * every hook that does work, so the time they take counts; the shutdown gate's refusal takes none. Fastify's own
 * `handlerTimeout` is not used: it stops counting once a request's body has been read, so a POST waiting on the
 * database was never answered.
 */
export const responseDeadline = pipelineStage<{ seconds: number }>('response-deadline', ['shutdown-gate'], async (app, { seconds }) => {
  const answeredLate = new WeakSet<FastifyRequest>()
  const timers = new WeakMap<FastifyRequest, NodeJS.Timeout>()

  app.addHook('onRequest', (request, reply, done) => {
    const arm = (onTimeout: () => void, milliseconds: number) => timers.set(request, setTimeout(onTimeout, milliseconds))
    const onDeadline = () => {
      // Sent, or taken over by a stream (`reply.hijack()`), meanwhile.
      if (reply.sent || reply.raw.headersSent) return
      // The client is still sending its body: it is slow, not the service (HTTP_REQUEST_TIMEOUT_SECONDS bounds
      // that, with 408). The service gets its full time once the body is in.
      if (stillArriving(request)) return arm(waitForBody, bodyPollMilliseconds)
      answeredLate.add(request)
      reply.send(new ResponseTimeoutError(seconds))
    }
    const waitForBody = () => (stillArriving(request) ? arm(waitForBody, bodyPollMilliseconds) : arm(onDeadline, seconds * 1000))
    arm(onDeadline, seconds * 1000)
    // The client left, or the response (or a stream) ended.
    reply.raw.once('close', () => clearTimeout(timers.get(request)))
    done()
  })
  // A response is on its way: from here the deadline must not start a second one.
  app.addHook('onSend', (request, _reply, payload, done) => {
    clearTimeout(timers.get(request))
    done(null, payload)
  })

  // A handler that fails after the deadline answered has no one to tell: a line in the log, not an error
  // per request (Fastify logs one, with the query's parameters, at error level).
  app.addHook('onRoute', (route) => {
    const handler = route.handler as RouteHandlerMethod
    route.handler = function (request, reply) {
      const result: unknown = handler.call(this, request, reply)
      if (!(result instanceof Promise)) return result
      return result.catch((error: Error) => {
        if (!answeredLate.has(request)) throw error
        const unavailable = unavailabilityOf(error)
        if (unavailable) request.log.warn({ code: unavailable.code, reason: unavailable.reason }, 'request failed after the deadline answered 503')
        else request.log.error({ err: error }, 'request failed after the deadline answered 503')
      })
    }
  })
})
