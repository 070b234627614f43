import { randomUUID } from 'node:crypto'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import Fastify, { type FastifyInstance } from 'fastify'
import { corsOrigins, type Config } from './config.js'
import { healthRoutes } from './modules/health/health-routes.js'
import { clientRoutes } from './modules/livechat/client-routes.js'
import { livechatRoutes } from './modules/livechat/livechat-routes.js'
import { createLivechatService } from './modules/livechat/livechat-service.js'
import { notificationRoutes } from './modules/notifications/notification-routes.js'
import { createNotificationService } from './modules/notifications/notification-service.js'
import { presenceRoutes } from './modules/presence/presence-routes.js'
import { createPresenceService } from './modules/presence/presence-service.js'
import { tenantRoutes } from './modules/tenants/tenant-routes.js'
import { createTicketService } from './modules/tickets/ticket-service.js'
import { ticketRoutes } from './modules/tickets/ticket-routes.js'
import { createTenantService } from './modules/tenants/tenant-service.js'
import { openDatabase, type DatabaseConnection } from './platform/database.js'
import { registerOperations, type OperationHandlers } from './platform/operations.js'
import { createTokenVerifier } from './platform/tokens.js'
import { registerAuthentication } from './plugins/authentication.js'
import { registerCors } from './plugins/cors.js'
import { registerDocs } from './plugins/docs.js'
import { answerFrameworkError, registerErrorHandler } from './plugins/error-handler.js'
import { registerJsonBody } from './plugins/json-body.js'
import { registerValidation } from './plugins/validation.js'

declare module 'fastify' {
  interface FastifyInstance {
    database: DatabaseConnection
  }
}

const requestIdPattern = /^[A-Za-z0-9._:-]{1,128}$/

export type AppOptions = { logger?: boolean }

/** The whole service as a ready Fastify instance; server.ts only listens. Closing it closes the database. */
export async function buildApp(config: Config, options: AppOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    logger: options.logger === false ? false : { level: config.LOG_LEVEL },
    requestIdHeader: false,
    frameworkErrors: answerFrameworkError,
    // An incoming X-Request-ID is honoured when it is safe to log; otherwise one is made.
    genReqId: (request) => {
      const incoming = request.headers['x-request-id']
      return typeof incoming === 'string' && requestIdPattern.test(incoming) ? incoming : randomUUID()
    },
  }).withTypeProvider<TypeBoxTypeProvider>()

  const database = await openDatabase(config)
  app.decorate('database', database)
  app.addHook('onClose', () => database.close())
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id)
  })

  const { db } = database
  const tenants = createTenantService(db)
  const presence = createPresenceService(db, config.PRESENCE_TTL_SECONDS)
  const notifications = createNotificationService(db)
  const tickets = createTicketService({ db, notifications })
  const livechat = createLivechatService({ db, presence, tickets, notifications })

  registerErrorHandler(app)
  await registerCors(app, corsOrigins(config))
  registerJsonBody(app)
  registerValidation(app)
  registerAuthentication(app, { verifyToken: createTokenVerifier(config), isTenantActive: tenants.isActive })
  await registerDocs(app)

  const handlers = {
    ...tenantRoutes(tenants),
    ...presenceRoutes(presence),
    ...livechatRoutes(livechat),
    ...clientRoutes(livechat),
    ...ticketRoutes(tickets),
    ...notificationRoutes(notifications),
    ...healthRoutes(db),
  } satisfies OperationHandlers
  registerOperations(app, handlers)
  await app.ready()
  return app
}
