import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import Fastify, { type FastifyInstance } from 'fastify'
import { corsOrigins, type Config } from './config.js'
import { healthRoutes } from './modules/health/health-routes.js'
import { clientRoutes } from './modules/livechat/client-routes.js'
import { conversationRoutes } from './modules/livechat/conversation-routes.js'
import { livechatRoutes } from './modules/livechat/livechat-routes.js'
import { notificationRoutes } from './modules/notifications/notification-routes.js'
import { presenceRoutes } from './modules/presence/presence-routes.js'
import { routingRoutes } from './modules/routing/routing-routes.js'
import { streamRoutes } from './modules/streams/stream-routes.js'
import { tenantRoutes } from './modules/tenants/tenant-routes.js'
import { ticketRoutes } from './modules/tickets/ticket-routes.js'
import type { DatabaseConnection } from './platform/database.js'
import { loggerOptions } from './platform/logger-options.js'
import { operationRoutes, type OperationHandlers } from './platform/operations.js'
import { createTokenVerifier } from './platform/tokens.js'
import { authentication } from './plugins/authentication.js'
import { agentConsole } from './plugins/console.js'
import { crossOrigin } from './plugins/cors.js'
import { docs } from './plugins/docs.js'
import { answerFrameworkError, errorHandler } from './plugins/error-handler.js'
import { httpServerOptions } from './plugins/http-server-options.js'
import { idempotentOperations } from './plugins/idempotency/idempotent-operations.js'
import { jsonBody } from './plugins/json-body.js'
import { metrics } from './plugins/metrics/metrics.js'
import { metricsRoutes } from './plugins/metrics/metrics-routes.js'
import { addressRateLimit, createRateLimits, userRateLimit } from './plugins/rate-limit.js'
import { requestId, requestIdOptions } from './plugins/request-id.js'
import { responseDeadline } from './plugins/response-deadline.js'
import { serviceLifecycle } from './plugins/service-lifecycle.js'
import { shutdownGate } from './plugins/shutdown-gate.js'
import { validation } from './plugins/validation.js'
import { createServices, type ServiceOptions, type Services } from './services.js'

declare module 'fastify' {
  interface FastifyInstance {
    database: DatabaseConnection
    services: Services
  }
}

export type AppOptions = {
  logger?: boolean
  /** Where log lines go (standard output by default); tests read them. */
  logDestination?: { write: (line: string) => void }
} & ServiceOptions

/**
 * The whole service as a ready Fastify instance; server.ts only listens. Closing it closes the database.
 * The pipeline's stages are registered in the order their hooks run; each names the stages it must follow
 * (src/platform/pipeline-stage.ts), so a reordering here stops the app at boot rather than changing its answers.
 */
export async function buildApp(config: Config, options: AppOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    logger: options.logger === false ? false : loggerOptions(config.LOG_LEVEL, options.logDestination),
    ...httpServerOptions(config),
    ...requestIdOptions,
    frameworkErrors: answerFrameworkError,
  }).withTypeProvider<TypeBoxTypeProvider>()
  await app.register(requestId)
  await app.register(shutdownGate)
  await app.register(responseDeadline, { seconds: config.RESPONSE_TIMEOUT_SECONDS })

  const services = await createServices(config, app.log, options)
  const { database, tenants, streams } = services
  app.decorate('database', database)
  app.decorate('services', services)
  await app.register(serviceLifecycle, { services })

  await app.register(metrics, { openStreams: streams.registry.openCount, poolUsage: database.poolUsage })
  await app.register(errorHandler)
  await app.register(crossOrigin, { origins: corsOrigins(config) })
  await app.register(jsonBody)
  await app.register(validation)
  const limits = await createRateLimits(app, config)
  await app.register(addressRateLimit, { limits })
  await app.register(authentication, {
    verifyToken: createTokenVerifier(config),
    isTenantActive: tenants.isActive,
    tenantOfDomain: tenants.tenantOfDomain,
    redeemStreamToken: services.streamTokens.redeem,
  })
  await app.register(userRateLimit, { limits })
  await app.register(docs)
  await app.register(agentConsole)
  await app.register(idempotentOperations, { idempotency: services.idempotency, config })

  const handlers = {
    ...tenantRoutes(tenants),
    ...presenceRoutes(services.presence),
    ...livechatRoutes(services.livechat, services.routing),
    ...routingRoutes(services.routing, services.livechat),
    ...clientRoutes(services.livechat),
    ...conversationRoutes(services.conversation),
    ...streamRoutes(streams, services.streamTokens),
    ...ticketRoutes(services.tickets),
    ...notificationRoutes(services.notifications),
    // Readiness says 503 itself before the response deadline would: 2 s, or less with a shorter deadline.
    ...healthRoutes({ pool: database.pool, isShuttingDown: app.isShuttingDown, databaseTimeoutMs: Math.min(2000, config.RESPONSE_TIMEOUT_SECONDS * 800) }),
    ...metricsRoutes(app.metricsExposition),
  } satisfies OperationHandlers
  await app.register(operationRoutes, { handlers, wrapHandler: app.idempotentHandler })
  await app.ready()
  return app
}
