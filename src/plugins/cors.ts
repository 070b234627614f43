import cors from '@fastify/cors'
import { pipelineStage } from '../platform/pipeline-stage.js'

/**
 * Browser frontends on other origins (config.ts `corsOrigins`); none by default outside development mode.
 * A preflight is answered here, after metrics count it and before a rate limit or authentication could refuse it.
 */
export const crossOrigin = pipelineStage<{ origins: (string | RegExp)[] }>('cors', ['metrics'], async (app, { origins }) => {
  if (origins.length === 0) return
  await app.register(cors, {
    origin: origins.includes('*') ? '*' : origins,
    // The methods of openapi.yaml (the plugin's default leaves out PUT and PATCH).
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH'],
    // Last-Event-ID: fetch-based stream clients resume with it; Idempotency-Key: retries of POSTs.
    allowedHeaders: ['Authorization', 'Content-Type', 'X-Tenant-ID', 'X-Request-ID', 'Last-Event-ID', 'Idempotency-Key'],
    // Browser code can only pace itself by the rate-limit headers, and tell a replay, if it may read them.
    exposedHeaders: ['X-Request-ID', 'Retry-After', 'RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset', 'Idempotent-Replayed'],
    maxAge: 600,
  })
})
