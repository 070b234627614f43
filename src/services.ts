import type { FastifyBaseLogger } from 'fastify'
import type { Config } from './config.js'
import { createEventBus } from './modules/event-log/event-bus.js'
import { createEventLog } from './modules/event-log/event-log.js'
import { createEventPruner } from './modules/event-log/event-pruner.js'
import { createConversationService } from './modules/livechat/conversation-service.js'
import { createLivechatService } from './modules/livechat/livechat-service.js'
import { createNotificationService } from './modules/notifications/notification-service.js'
import { createPresenceKeeper } from './modules/presence/presence-keeper.js'
import { createPresenceService } from './modules/presence/presence-service.js'
import { createStreamTokenService } from './modules/stream-tokens/stream-token-service.js'
import { createEventHub } from './modules/streams/event-hub.js'
import { createStreamAdmission } from './modules/streams/stream-admission.js'
import { createStreamRegistry } from './modules/streams/stream-registry.js'
import { createTenantService } from './modules/tenants/tenant-service.js'
import { createTicketService } from './modules/tickets/ticket-service.js'
import { openDatabase } from './platform/database.js'
import { createRequestTransactions } from './platform/request-transaction.js'

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
  const bus = createEventBus(database.notifications, options.eventBus ?? 'shared', (error) =>
    log.warn({ err: error }, 'event bus: a signal was not sent or not handled; streams catch up by polling'),
  )
  // Services get the ambient database: an idempotent POST runs their queries in its own transaction.
  const requestTransactions = createRequestTransactions(database.db, (error) => log.error({ err: error }, 'a side effect after a commit failed'))
  const { db, afterCommit, inRequestTransaction } = requestTransactions

  const tenants = createTenantService(db, {
    changed: (tenantId) => afterCommit(() => bus.publish({ kind: 'tenant-changed', tenantId })),
    cacheSeconds: config.TENANT_CACHE_SECONDS,
  })
  // Every instance's tenant check follows a (de)activation or domain change made anywhere: the bus delivers it here too.
  bus.subscribe((signal) => signal.kind === 'tenant-changed' && tenants.forget(signal.tenantId))
  bus.onReconnect(() => tenants.forget())

  const presence = createPresenceService(db, config.PRESENCE_TTL_SECONDS)
  const presenceKeeper = createPresenceKeeper(presence, config.PRESENCE_TTL_SECONDS, log)
  const events = createEventLog(db, bus, afterCommit)
  const pruner = createEventPruner(db, config.STREAM_RETENTION_HOURS, log)
  const notifications = createNotificationService({ db, events })
  const tickets = createTicketService({ db, notifications, events })
  const livechat = createLivechatService({ db, presence, tickets, notifications, events, inRequestTransaction, sendWaitMs: config.DB_ACQUIRE_TIMEOUT_MS })
  const conversation = createConversationService({ db, events })

  const hub = createEventHub(db, bus, log)
  const streamRegistry = createStreamRegistry({
    db,
    hub,
    holdPresence: presenceKeeper.hold,
    settings: { heartbeatSeconds: config.STREAM_HEARTBEAT_SECONDS, bufferBytes: config.STREAM_BUFFER_BYTES },
    log,
  })
  const streamAdmission = createStreamAdmission({
    db,
    registry: streamRegistry,
    sessionTenant: livechat.sessionTenant,
    settings: { maxPerUser: config.STREAM_MAX_PER_USER, retentionHours: config.STREAM_RETENTION_HOURS },
  })

  return {
    database,
    requestTransactions,
    tenants,
    presence,
    notifications,
    tickets,
    livechat,
    conversation,
    streams: { admission: streamAdmission, registry: streamRegistry },
    streamTokens: createStreamTokenService(db),
    /** Ends every stream with a reconnect hint and stops the timers: before the server stops taking connections. */
    stop(): void {
      streamRegistry.closeAll('shutdown')
      hub.close()
      pruner.close()
      presenceKeeper.close()
    },
    /** After the last request: the bus, then the database. */
    async close(): Promise<void> {
      await bus.close()
      await database.close()
    },
  }
}

export type Services = Awaited<ReturnType<typeof createServices>>
