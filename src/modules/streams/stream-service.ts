import type { FastifyBaseLogger } from 'fastify'
import type { ServerResponse } from 'node:http'
import type { Database } from '../../platform/database.js'
import { NotFoundError, PermissionError } from '../../platform/domain-errors.js'
import { eventRepository } from './event-repository.js'
import type { EventHub } from './event-hub.js'
import { OpenStream } from './open-stream.js'
import { EventStreamConnection, type StreamEndReason } from './stream-connection.js'
import { InvalidLastEventIdError, ResumeExpiredError, TooManyStreamsError } from './stream-errors.js'
import type { Side, StreamAudience } from './stream-event.js'
import { parsePosition } from './stream-position.js'

export type StreamSettings = { heartbeatSeconds: number; maxPerUser: number; bufferBytes: number; retentionHours: number }

type Dependencies = {
  db: Database
  hub: EventHub
  /** The tenant, among `tenantIds`, that has the session; `undefined` when none has. */
  sessionTenant: (tenantIds: number[], sessionId: string) => Promise<number | undefined>
  /** Keeps an agent's ONLINE presence from lapsing while `release` is not called. */
  holdPresence: (tenantIds: number[], agentId: number) => () => void
  settings: StreamSettings
  log: FastifyBaseLogger
}

export type StreamRequest = {
  side: Side
  userId: number
  /** The tenant of the header or stream token; absent for an agent stream over `tokenTenantIds`. */
  tenantId?: number
  tokenTenantIds: number[]
  sessionId?: string
  lastEventId?: string
  /** When the caller's credentials expire (ms since the epoch): the stream ends then. */
  expiresAt: number
}

/** A stream checked and ready to start: everything that could be a 4xx has been decided. */
export type StreamPlan = { audience: StreamAudience; tenantIds: number[]; resumeFrom?: Map<number, number>; expiresAt: number }

const retryMilliseconds = 3000
// setTimeout holds at most 2^31-1 ms; a stream that outlives it ends early, and its client reconnects.
const maxTimerMilliseconds = 2_147_483_647

export function createStreamService({ db, hub, sessionTenant, holdPresence, settings, log }: Dependencies) {
  const openByUser = new Map<number, number>()
  const streams = new Map<EventStreamConnection, OpenStream>()
  let closing = false

  const heartbeat = setInterval(() => {
    for (const stream of streams.values()) stream.heartbeat()
  }, settings.heartbeatSeconds * 1000).unref()

  /** The ids a resume may start from, checked against what this stream could have sent. */
  async function resumePoint(request: StreamRequest, tenantIds: number[]): Promise<Map<number, number> | undefined> {
    if (request.lastEventId === undefined) return undefined
    const position = parsePosition(request.lastEventId)
    if (!position) throw new InvalidLastEventIdError('Not an event id this service sent')
    if (position.side !== request.side || position.userId !== request.userId) {
      throw new InvalidLastEventIdError("An event id of another user's stream")
    }
    if ([...position.seqByTenant.keys()].some((tenantId) => !request.tokenTenantIds.includes(tenantId))) {
      throw new InvalidLastEventIdError("An event id of another tenant's stream")
    }
    // A stream of one tenant (or one session) resumes only from an id that names it; a stream over all the
    // token's tenants starts the ones its id does not name from now (they were not active, or not listed).
    const single = request.tenantId !== undefined || request.sessionId !== undefined
    if (single && !position.seqByTenant.has(tenantIds[0])) throw new InvalidLastEventIdError("An event id of another tenant's stream")
    const heads = new Map((await eventRepository.heads(db, tenantIds)).map((head) => [head.tenantId, head]))
    const resumeFrom = new Map<number, number>()
    for (const tenantId of tenantIds) {
      const seq = position.seqByTenant.get(tenantId)
      if (seq === undefined) continue
      const head = heads.get(tenantId)
      if (seq > (head?.head ?? 0)) throw new InvalidLastEventIdError('An event id this stream has not sent yet')
      if (seq < (head?.prunedThrough ?? 0)) throw new ResumeExpiredError(settings.retentionHours)
      resumeFrom.set(tenantId, seq)
    }
    return resumeFrom
  }

  async function streamTenants(request: StreamRequest): Promise<number[]> {
    if (request.tenantId !== undefined) return [request.tenantId]
    const active = (await eventRepository.heads(db, request.tokenTenantIds)).filter((head) => head.active).map((head) => head.tenantId)
    if (active.length === 0) throw new PermissionError('X-Tenant-ID', 'None of the tenants of the token is active')
    return active
  }

  return {
    /** Decides everything that answers 4xx, before any byte of the stream is sent. */
    async prepare(request: StreamRequest): Promise<StreamPlan> {
      let tenantIds = await streamTenants(request)
      if (request.sessionId !== undefined) {
        const tenantId = await sessionTenant(tenantIds, request.sessionId)
        if (tenantId === undefined) throw new NotFoundError('Session', 'session_id')
        tenantIds = [tenantId]
      }
      const resumeFrom = await resumePoint(request, tenantIds)
      if ((openByUser.get(request.userId) ?? 0) >= settings.maxPerUser) throw new TooManyStreamsError(settings.maxPerUser)
      const audience: StreamAudience = { side: request.side, userId: request.userId, sessionId: request.sessionId }
      return { audience, tenantIds, resumeFrom, expiresAt: request.expiresAt }
    },

    /** Streams on `response` until the client leaves, the credentials expire or the server stops. */
    start(plan: StreamPlan, response: ServerResponse, headers: Record<string, string | number | string[] | undefined>): void {
      const userId = plan.audience.userId
      const connection = new EventStreamConnection(response, settings.bufferBytes, () =>
        log.info({ userId }, 'stream closed: the client fell more than STREAM_BUFFER_BYTES behind'),
      )
      const stream = new OpenStream(plan, connection, { db, hub, bufferBytes: settings.bufferBytes })
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

    /** Ends every stream with a reason the client can act on (on shutdown: reconnect, to another instance). */
    closeAll(reason: StreamEndReason): void {
      closing = true
      clearInterval(heartbeat)
      for (const connection of streams.keys()) connection.end(reason)
    },
  }
}

export type StreamService = ReturnType<typeof createStreamService>
