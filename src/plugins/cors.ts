import cors from '@fastify/cors'
import type { FastifyInstance } from 'fastify'

/** Browser frontends on other origins, listed in CORS_ORIGINS; none by default. */
export async function registerCors(app: FastifyInstance, origins: string[]): Promise<void> {
  if (origins.length === 0) return
  await app.register(cors, {
    origin: origins.includes('*') ? '*' : origins,
    // Last-Event-ID: fetch-based stream clients resume with it.
    allowedHeaders: ['Authorization', 'Content-Type', 'X-Tenant-ID', 'X-Request-ID', 'Last-Event-ID'],
    exposedHeaders: ['X-Request-ID'],
    maxAge: 600,
  })
}
