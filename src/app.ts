import { randomUUID } from 'node:crypto'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import Fastify, { type FastifyInstance } from 'fastify'
import { corsOrigins, type Config } from './config.js'
import { healthRoutes } from './modules/health/health-routes.js'
import { clientRoutes } from './modules/livechat/client-routes.js'
import { conversationRoutes } from './modules/livechat/conversation-routes.js'
import { livechatRoutes } from './modules/livechat/livechat-routes.js'
import { notificationRoutes } from './modules/notifications/notification-routes.js'
import { presenceRoutes } from './modules/presence/presence-routes.js'
import { streamRoutes } from './modules/streams/stream-routes.js'
import { tenantRoutes } from './modules/tenants/tenant-routes.js'
import { ticketRoutes } from './modules/tickets/ticket-routes.js'
import type { DatabaseConnection } from './platform/database.js'
import { loggerOptions } from './platform/logger-options.js'
import { registerOperations, type OperationHandlers } from './platform/operations.js'
import { createTokenVerifier } from './platform/tokens.js'
import { registerAuthentication } from './plugins/authentication.js'
import { registerCors } from './plugins/cors.js'
import { registerConsole } from './plugins/console.js'
import { registerDocs } from './plugins/docs.js'
import { answerFrameworkError, registerErrorHandler } from './plugins/error-handler.js'
import { httpServerOptions } from './plugins/http-server-options.js'
import { registerIdempotency } from './plugins/idempotency/idempotent-operations.js'
import { registerJsonBody } from './plugins/json-body.js'
import { registerResponseDeadline } from './plugins/response-deadline.js'
import { registerShutdownGate } from './plugins/shutdown-gate.js'
import { registerMetrics } from './plugins/metrics/metrics.js'
import { metricsRoutes } from './plugins/metrics/metrics-routes.js'
import { createRateLimits } from './plugins/rate-limit.js'
import { registerValidation } from './plugins/validation.js'
import { createServices, type ServiceOptions, type Services } from './services.js'

declare module 'fastify' {
  interface FastifyInstance {
    database: DatabaseConnection
    services: Services
  }
}

const requestIdPattern = /^[A-Za-z0-9._:-]{1,128}$/

export type AppOptions = {
  logger?: boolean
  /** Where log lines go (standard output by default); tests read them. */
  logDestination?: { write: (line: string) => void }
} & ServiceOptions

/** The whole service as a ready Fastify instance; server.ts only listens. Closing it closes the database. */
export async function buildApp(config: Config, options: AppOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    logger: options.logger === false ? false : loggerOptions(config.LOG_LEVEL, options.logDestination),
    ...httpServerOptions(config),
    requestIdHeader: false,
    frameworkErrors: answerFrameworkError,
    // An incoming X-Request-ID is honoured when it is safe to log; otherwise one is made.
    genReqId: (request) => {
      const incoming = request.headers['x-request-id']
      return typeof incoming === 'string' && requestIdPattern.test(incoming) ? incoming : randomUUID()
    },
  }).withTypeProvider<TypeBoxTypeProvider>()
  // First of all hooks, so every answer names its request, the shutdown gate's 503 included.
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id)
    done()
  })
  const isShuttingDown = registerShutdownGate(app)
  registerResponseDeadline(app, config.RESPONSE_TIMEOUT_SECONDS)

  const services = await createServices(config, app.log, options)
  const { database, tenants, streams } = services
  app.decorate('database', database)
  app.decorate('services', services)
  // Before the server stops taking connections: streams end with a reconnect hint instead of holding the close.
  app.addHook('preClose', async () => services.stop())
  app.addHook('onClose', () => services.close())

  // Registered before CORS, rate limits and authentication, so that their time and their refusals are counted.
  const metrics = await registerMetrics(app, { openStreams: streams.registry.openCount, poolUsage: database.poolUsage })

  registerErrorHandler(app)
  await registerCors(app, corsOrigins(config))
  registerJsonBody(app)
  registerValidation(app)
  const rateLimits = await createRateLimits(app, config)
  // Addresses are counted before the token is checked, so guessing tokens is limited too.
  app.addHook('onRequest', rateLimits.byAddress)
  registerAuthentication(app, {
    verifyToken: createTokenVerifier(config),
    isTenantActive: tenants.isActive,
    tenantOfDomain: tenants.tenantOfDomain,
    redeemStreamToken: services.streamTokens.redeem,
  })
  app.addHook('onRequest', rateLimits.byUserAndTenant)
  await registerDocs(app)
  await registerConsole(app)

  const handlers = {
    ...tenantRoutes(tenants),
    ...presenceRoutes(services.presence),
    ...livechatRoutes(services.livechat),
    ...clientRoutes(services.livechat),
    ...conversationRoutes(services.conversation),
    ...streamRoutes(streams, services.streamTokens),
    ...ticketRoutes(services.tickets),
    ...notificationRoutes(services.notifications),
    // Readiness says 503 itself before the response deadline would: 2 s, or less with a shorter deadline.
    ...healthRoutes({ pool: database.pool, isShuttingDown, databaseTimeoutMs: Math.min(2000, config.RESPONSE_TIMEOUT_SECONDS * 800) }),
    ...metricsRoutes(metrics),
  } satisfies OperationHandlers
  registerOperations(app, handlers, registerIdempotency(app, { idempotency: services.idempotency, config }))
  await app.ready()
  return app
}
