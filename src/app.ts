import { randomUUID } from 'node:crypto'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import Fastify, { type FastifyInstance } from 'fastify'
import { corsOrigins, type Config } from './config.js'
import { healthRoutes } from './modules/health/health-routes.js'
import { clientRoutes } from './modules/livechat/client-routes.js'
import { livechatRoutes } from './modules/livechat/livechat-routes.js'
import { registerMetrics } from './modules/metrics/metrics.js'
import { metricsRoutes } from './modules/metrics/metrics-routes.js'
import { createLivechatService } from './modules/livechat/livechat-service.js'
import { notificationRoutes } from './modules/notifications/notification-routes.js'
import { createNotificationService } from './modules/notifications/notification-service.js'
import { presenceRoutes } from './modules/presence/presence-routes.js'
import { createPresenceService } from './modules/presence/presence-service.js'
import { tenantRoutes } from './modules/tenants/tenant-routes.js'
import { createTicketService } from './modules/tickets/ticket-service.js'
import { ticketRoutes } from './modules/tickets/ticket-routes.js'
import { createTenantService } from './modules/tenants/tenant-service.js'
import { conversationRoutes } from './modules/livechat/conversation-routes.js'
import { createConversationService } from './modules/livechat/conversation-service.js'
import { createPresenceKeeper } from './modules/presence/presence-keeper.js'
import { createEventBus } from './modules/streams/event-bus.js'
import { createEventLog } from './modules/streams/event-log.js'
import { registerIdempotency } from './modules/idempotency/idempotent-operations.js'
import { streamRoutes } from './modules/streams/stream-routes.js'
import { createStreaming } from './modules/streams/streaming.js'
import { openDatabase, type DatabaseConnection } from './platform/database.js'
import { loggerOptions } from './platform/logger-options.js'
import { httpServerOptions } from './platform/http-server-options.js'
import { registerOperations, type OperationHandlers } from './platform/operations.js'
import { createRequestTransactions } from './platform/request-transaction.js'
import { createTokenVerifier } from './platform/tokens.js'
import { registerAuthentication } from './plugins/authentication.js'
import { registerCors } from './plugins/cors.js'
import { registerConsole } from './plugins/console.js'
import { registerDocs } from './plugins/docs.js'
import { answerFrameworkError, registerErrorHandler } from './plugins/error-handler.js'
import { registerJsonBody } from './plugins/json-body.js'
import { registerResponseDeadline } from './plugins/response-deadline.js'
import { registerShutdownGate } from './plugins/shutdown-gate.js'
import { createRateLimits } from './plugins/rate-limit.js'
import { registerValidation } from './plugins/validation.js'

declare module 'fastify' {
  interface FastifyInstance {
    database: DatabaseConnection
  }
}

const requestIdPattern = /^[A-Za-z0-9._:-]{1,128}$/

export type AppOptions = {
  logger?: boolean
  /** Where log lines go (standard output by default); tests read them. */
  logDestination?: { write: (line: string) => void }
  /** `in-process` keeps events within this instance even on PostgreSQL: benchmarks use it to measure NOTIFY's cost. */
  eventBus?: 'shared' | 'in-process'
}

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

  const database = await openDatabase(config)
  const bus = createEventBus(database.notifications, options.eventBus ?? 'shared', (error) =>
    app.log.warn({ err: error }, 'event bus: a signal was not sent or not handled; streams catch up by polling'),
  )
  app.decorate('database', database)
  app.addHook('onClose', async () => {
    await bus.close()
    await database.close()
  })

  // Services get the ambient database: an idempotent POST runs their queries in its own transaction.
  const requestTransactions = createRequestTransactions(database.db, (error) => app.log.error({ err: error }, 'a side effect after a commit failed'))
  const { db, afterCommit, inRequestTransaction } = requestTransactions
  const tenants = createTenantService(db, {
    changed: (tenantId) => afterCommit(() => bus.publish({ kind: 'tenant-changed', tenantId })),
    cacheSeconds: config.TENANT_CACHE_SECONDS,
  })
  // Every instance's tenant check follows a (de)activation or domain change made anywhere: the bus delivers it here too.
  bus.subscribe((signal) => signal.kind === 'tenant-changed' && tenants.forget(signal.tenantId))
  bus.onReconnect(() => tenants.forget())
  const presence = createPresenceService(db, config.PRESENCE_TTL_SECONDS)
  const events = createEventLog(db, bus, afterCommit)
  const notifications = createNotificationService({ db, events })
  const tickets = createTicketService({ db, notifications, events })
  const livechat = createLivechatService({ db, presence, tickets, notifications, events, inRequestTransaction, sendWaitMs: config.DB_ACQUIRE_TIMEOUT_MS })
  const conversation = createConversationService({ db, events })
  const presenceKeeper = createPresenceKeeper(presence, config.PRESENCE_TTL_SECONDS, app.log)
  const streaming = createStreaming({ db, bus, sessionTenant: livechat.sessionTenant, holdPresence: presenceKeeper.hold, config, log: app.log })
  // Before the server stops taking connections: streams end with a reconnect hint instead of holding the close.
  app.addHook('preClose', async () => {
    streaming.close()
    presenceKeeper.close()
  })
  // Registered before CORS, rate limits and authentication, so that their time and their refusals are counted.
  const metrics = await registerMetrics(app, { openStreams: streaming.streams.openCount, poolUsage: database.poolUsage })

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
    redeemStreamToken: streaming.streamTokens.redeem,
  })
  app.addHook('onRequest', rateLimits.byUserAndTenant)
  await registerDocs(app)
  await registerConsole(app)

  const handlers = {
    ...tenantRoutes(tenants),
    ...presenceRoutes(presence),
    ...livechatRoutes(livechat),
    ...clientRoutes(livechat),
    ...conversationRoutes(conversation),
    ...streamRoutes(streaming.streams, streaming.streamTokens),
    ...ticketRoutes(tickets),
    ...notificationRoutes(notifications),
    // Readiness says 503 itself before the response deadline would: 2 s, or less with a shorter deadline.
    ...healthRoutes({ db, isShuttingDown, databaseTimeoutMs: Math.min(2000, config.RESPONSE_TIMEOUT_SECONDS * 800) }),
    ...metricsRoutes(metrics),
  } satisfies OperationHandlers
  registerOperations(app, handlers, registerIdempotency(app, { database: database.db, requestTransactions, config }))
  await app.ready()
  return app
}
