import type { FastifyBaseLogger } from 'fastify'
import type { ServerResponse } from 'node:http'
import type { Pool } from '../../platform/transactions.js'
import type { EventRepository } from '../event-log/event-repository.js'
import type { EventHub } from './event-hub.js'
import { OpenStream } from './open-stream.js'
import { EventStreamConnection, type StreamEndReason } from './stream-connection.js'
import type { StreamPlan, StreamSettings } from './stream-plan.js'

type Dependencies = {
  /** Replays read committed events, never a request's transaction. */
  pool: Pool
  eventRepository: Pick<EventRepository, 'after'>
  hub: EventHub
  /** Keeps an agent's ONLINE presence from lapsing while `release` is not called. */
  holdPresence: (tenantIds: number[], agentId: number) => () => void
  settings: Pick<StreamSettings, 'heartbeatSeconds' | 'bufferBytes'>
  log: FastifyBaseLogger
}

const retryMilliseconds = 3000
// setTimeout holds at most 2^31-1 ms; a stream that outlives it ends early, and its client reconnects.
const maxTimerMilliseconds = 2_147_483_647

/** The streams this instance holds open: started from an admitted plan, kept alive by heartbeats, ended on shutdown. */
export function createStreamRegistry({ pool, eventRepository, hub, holdPresence, settings, log }: Dependencies) {
  const openByUser = new Map<number, number>()
  const streams = new Map<EventStreamConnection, OpenStream>()
  let closing = false

  const heartbeat = setInterval(() => {
    for (const stream of streams.values()) stream.heartbeat()
  }, settings.heartbeatSeconds * 1000).unref()

  return {
    /** Streams on `response` until the client leaves, the credentials expire or the server stops. */
    start(plan: StreamPlan, response: ServerResponse, headers: Record<string, string | number | string[] | undefined>): void {
      const userId = plan.audience.userId
      const connection = new EventStreamConnection(response, settings.bufferBytes, () =>
        log.info({ userId }, 'stream closed: the client fell more than STREAM_BUFFER_BYTES behind'),
      )
      const stream = new OpenStream(plan, connection, { pool, eventRepository, hub, bufferBytes: settings.bufferBytes })
      openByUser.set(userId, (openByUser.get(userId) ?? 0) + 1)
      streams.set(connection, stream)
      const expiry = setTimeout(
        () => connection.end('credentials_expired'),
        Math.min(Math.max(plan.expiresAt - Date.now(), 0), maxTimerMilliseconds),
      ).unref()
      const releasePresence = plan.audience.side === 'agent' ? holdPresence(plan.tenantIds, userId) : () => {}
      let released = false
      const release = () => {
        if (released) return
        released = true
        clearTimeout(expiry)
        releasePresence()
        streams.delete(connection)
        const open = (openByUser.get(userId) ?? 1) - 1
        if (open === 0) openByUser.delete(userId)
        else openByUser.set(userId, open)
      }
      const closed = new Promise<void>((resolve) => response.once('close', resolve)).then(release)
      // The client may have gone while the stream was being prepared; then 'close' has fired already.
      if (response.destroyed || !response.socket || response.socket.destroyed) {
        connection.destroy()
        return release()
      }
      connection.open(headers, retryMilliseconds)
      if (closing) return connection.end('shutdown')
      stream.run(closed).catch((error) => {
        log.error({ err: error, userId }, 'stream failed; the client will resume')
        connection.destroy()
      })
    },

    /** How many streams this instance holds open now. */
    openCount: (): number => streams.size,

    /** How many of them are the user's. */
    openCountOf: (userId: number): number => openByUser.get(userId) ?? 0,

    /** Ends every stream with a reason the client can act on (on shutdown: reconnect, to another instance). */
    closeAll(reason: StreamEndReason): void {
      closing = true
      clearInterval(heartbeat)
      for (const connection of streams.keys()) connection.end(reason)
    },
  }
}

export type StreamRegistry = ReturnType<typeof createStreamRegistry>
