import type { FastifyBaseLogger } from 'fastify'
import type { Config } from '../../config.js'
import type { Database } from '../../platform/database.js'
import type { EventBus } from './event-bus.js'
import { createEventHub } from './event-hub.js'
import { createEventPruner } from './event-pruner.js'
import { createStreamService, type StreamService } from './stream-service.js'
import { createStreamTokenService } from './stream-token-service.js'

type Dependencies = {
  db: Database
  bus: EventBus
  sessionTenant: Parameters<typeof createStreamService>[0]['sessionTenant']
  holdPresence: Parameters<typeof createStreamService>[0]['holdPresence']
  config: Pick<Config, 'STREAM_HEARTBEAT_SECONDS' | 'STREAM_MAX_PER_USER' | 'STREAM_BUFFER_BYTES' | 'STREAM_RETENTION_HOURS'>
  log: FastifyBaseLogger
}

/** The event streams of one instance: its hub, its streams, stream tokens, and the pruning of old events. */
export function createStreaming({ db, bus, sessionTenant, holdPresence, config, log }: Dependencies) {
  const hub = createEventHub(db, bus, log)
  const pruner = createEventPruner(db, config.STREAM_RETENTION_HOURS, log)
  const streams: StreamService = createStreamService({
    db,
    hub,
    sessionTenant,
    holdPresence,
    settings: {
      heartbeatSeconds: config.STREAM_HEARTBEAT_SECONDS,
      maxPerUser: config.STREAM_MAX_PER_USER,
      bufferBytes: config.STREAM_BUFFER_BYTES,
      retentionHours: config.STREAM_RETENTION_HOURS,
    },
    log,
  })
  return {
    streams,
    streamTokens: createStreamTokenService(db),
    /** Ends every stream with a reconnect hint and stops the timers; before the server stops taking connections. */
    close(): void {
      streams.closeAll('shutdown')
      hub.close()
      pruner.close()
    },
  }
}
