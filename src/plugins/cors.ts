import cors from '@fastify/cors'
import type { FastifyInstance } from 'fastify'

/** Browser frontends on other origins, listed in CORS_ORIGINS; none by default. */
export async function registerCors(app: FastifyInstance, origins: string[]): Promise<void> {
  if (origins.length === 0) return
  await app.register(cors, {
    origin: origins.includes('*') ? '*' : origins,
    // Last-Event-ID: fetch-based stream clients resume with it.
    allowedHeaders: ['Authorization', 'Content-Type', 'X-Tenant-ID', 'X-Request-ID', 'Last-Event-ID'],
    // Browser code can only pace itself by the rate-limit headers if it may read them.
    exposedHeaders: ['X-Request-ID', 'Retry-After', 'RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset'],
    maxAge: 600,
  })
}
