import { randomUUID } from 'node:crypto'
import type { FastifyServerOptions } from 'fastify'
import { pipelineStage } from '../platform/pipeline-stage.js'

const requestIdPattern = /^[A-Za-z0-9._:-]{1,128}$/

/** An incoming X-Request-ID is honoured when it is safe to log; otherwise one is made. */
export const requestIdOptions = {
  requestIdHeader: false,
  genReqId: (request) => {
    const incoming = request.headers['x-request-id']
    return typeof incoming === 'string' && requestIdPattern.test(incoming) ? incoming : randomUUID()
  },
} satisfies FastifyServerOptions

/** Every answer names its request in X-Request-ID, refusals by later hooks included: the first stage of all. */
export const requestId = pipelineStage('request-id', [], async (app) => {
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id)
    done()
  })
})
