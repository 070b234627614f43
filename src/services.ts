import type { FastifyBaseLogger } from 'fastify'
import type { Config } from './config.js'
import { createEventBus } from './modules/event-log/event-bus.js'
import { createEventLog } from './modules/event-log/event-log.js'
import { createEventPruner } from './modules/event-log/event-pruner.js'
import { eventRepository } from './modules/event-log/event-repository.js'
import { createConversationService } from './modules/livechat/conversation-service.js'
import { createLivechatService } from './modules/livechat/livechat-service.js'
import { messageRepository } from './modules/livechat/message-repository.js'
import { createMessageWriter } from './modules/livechat/message-writer.js'
import { readRepository } from './modules/livechat/read-repository.js'
import { sessionRepository } from './modules/livechat/session-repository.js'
import { notificationRepository } from './modules/notifications/notification-repository.js'
import { createNotificationService } from './modules/notifications/notification-service.js'
import { createPresenceKeeper } from './modules/presence/presence-keeper.js'
import { presenceRepository } from './modules/presence/presence-repository.js'
import { createPresenceService } from './modules/presence/presence-service.js'
import { createQueueSweeper } from './modules/routing/queue-sweeper.js'
import { routingRepository } from './modules/routing/routing-repository.js'
import { createRoutingService } from './modules/routing/routing-service.js'
import { streamTokenRepository } from './modules/stream-tokens/stream-token-repository.js'
import { createStreamTokenService } from './modules/stream-tokens/stream-token-service.js'
import { createEventHub } from './modules/streams/event-hub.js'
import { createStreamAdmission } from './modules/streams/stream-admission.js'
import { createStreamRegistry } from './modules/streams/stream-registry.js'
import { tenantRepository } from './modules/tenants/tenant-repository.js'
import { createTenantService } from './modules/tenants/tenant-service.js'
import { replyRepository } from './modules/tickets/reply-repository.js'
import { ticketRepository } from './modules/tickets/ticket-repository.js'
import { createTicketService } from './modules/tickets/ticket-service.js'
import { openDatabase } from './platform/database.js'
import { createTransactions } from './platform/transactions.js'
import { idempotencyRepository } from './plugins/idempotency/idempotency-repository.js'
import { createIdempotencyService } from './plugins/idempotency/idempotency-service.js'

export type ServiceOptions = {
  /** `in-process` keeps events within this instance even on PostgreSQL: benchmarks use it to measure NOTIFY's cost. */
  eventBus?: 'shared' | 'in-process'
}

/**
 * The composition root: every service of one instance, built once, each from what it needs. The HTTP pipeline
 * (app.ts), development mode and the tools take their services from here, so none is built twice with another
 * cache or without the change events.
 */
export async function createServices(config: Config, log: FastifyBaseLogger, options: ServiceOptions = {}) {
  const database = await openDatabase(config)
  const { pool } = database
  const bus = createEventBus(database.notifications, options.eventBus ?? 'shared', (error) =>
    log.warn({ err: error }, 'event bus: a signal was not sent or not handled; streams catch up by polling'),
  )
  // Every unit of work starts here: in the request's transaction (an idempotent POST) or in its own.
  const transactions = createTransactions({ pool, onAfterCommitError: (error) => log.error({ err: error }, 'a side effect after a commit failed') })

  const tenants = createTenantService({
    transactions,
    tenantRepository,
    changed: (tenantId) => bus.publish({ kind: 'tenant-changed', tenantId }),
    cacheSeconds: config.TENANT_CACHE_SECONDS,
  })
  // A seat may have freed: the queue is served at once (a failure is left to the next sweep). `routing` is built
  // below; nothing calls this before the service answers requests.
  const serveQueue = (tenantId: number) =>
    void routing.serveQueue(tenantId).catch((error: unknown) => log.warn({ err: error, tenantId }, 'could not serve the queue; the next sweep retries'))
  // Every instance's tenant check follows a (de)activation, domain or capacity change made anywhere: the bus
  // delivers it here too. A capacity change may free seats.
  bus.subscribe((signal) => {
    if (signal.kind !== 'tenant-changed') return
    tenants.forget(signal.tenantId)
    serveQueue(signal.tenantId)
  })
  bus.onReconnect(() => tenants.forget())

  const presence = createPresenceService({ transactions, presenceRepository, ttlSeconds: config.PRESENCE_TTL_SECONDS, becameOnline: serveQueue })
  const presenceKeeper = createPresenceKeeper({ presence, ttlSeconds: config.PRESENCE_TTL_SECONDS, log })
  const events = createEventLog({ transactions, bus, eventRepository })
  const pruner = createEventPruner({ transactions, eventRepository, retentionHours: config.STREAM_RETENTION_HOURS, log })
  const notifications = createNotificationService({ transactions, notificationRepository, events })
  const tickets = createTicketService({ transactions, ticketRepository, replyRepository, notifications })
  const writeMessages = createMessageWriter({ sessionRepository, messageRepository, notifications, events })
  const livechat = createLivechatService({ transactions, sessionRepository, messageRepository, writeMessages, sendWaitMs: config.DB_ACQUIRE_TIMEOUT_MS })
  const routing = createRoutingService({
    transactions,
    routingRepository,
    sessionRepository,
    messageRepository,
    writeMessages,
    tickets,
    events,
    settings: {
      presenceTtlSeconds: config.PRESENCE_TTL_SECONDS,
      queueMaxWaitSeconds: config.QUEUE_MAX_WAIT_SECONDS,
      waitMs: config.DB_ACQUIRE_TIMEOUT_MS,
    },
  })
  const queueSweeper = createQueueSweeper({
    executor: transactions.executor,
    routingRepository,
    routing,
    // PGlite has one connection and no pool to wait for.
    poolFull: () => {
      const usage = database.poolUsage?.()
      return usage !== undefined && usage.inUse >= usage.size
    },
    log,
  })
  const conversation = createConversationService({ transactions, sessionRepository, messageRepository, readRepository, events })
  const idempotency = createIdempotencyService({
    transactions,
    idempotencyRepository,
    ttlHours: config.IDEMPOTENCY_TTL_HOURS,
    // A waiting retry gives up (409) a little before the response deadline would answer 503 for it.
    lockTimeoutMs: Math.round(config.RESPONSE_TIMEOUT_SECONDS * 800),
  })

  // Streams read committed events for everyone: from the pool, never from a request's transaction.
  const hub = createEventHub({ pool, eventRepository, bus, log })
  const streamRegistry = createStreamRegistry({
    pool,
    eventRepository,
    hub,
    holdPresence: presenceKeeper.hold,
    settings: { heartbeatSeconds: config.STREAM_HEARTBEAT_SECONDS, bufferBytes: config.STREAM_BUFFER_BYTES },
    log,
  })
  const streamAdmission = createStreamAdmission({
    pool,
    eventRepository,
    registry: streamRegistry,
    sessionTenant: livechat.sessionTenant,
    settings: { maxPerUser: config.STREAM_MAX_PER_USER, retentionHours: config.STREAM_RETENTION_HOURS },
  })

  return {
    database,
    transactions,
    idempotency,
    tenants,
    presence,
    notifications,
    tickets,
    livechat,
    routing,
    conversation,
    streams: { admission: streamAdmission, registry: streamRegistry },
    streamTokens: createStreamTokenService({ transactions, streamTokenRepository }),
    /** Ends every stream with a reconnect hint and stops the timers: before the server stops taking connections. */
    stop(): void {
      streamRegistry.closeAll('shutdown')
      hub.close()
      pruner.close()
      presenceKeeper.close()
      queueSweeper.close()
    },
    /** After the last request: the bus, then the database. */
    async close(): Promise<void> {
      await bus.close()
      await database.close()
    },
  }
}

export type Services = Awaited<ReturnType<typeof createServices>>
