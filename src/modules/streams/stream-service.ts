import type { FastifyBaseLogger } from 'fastify'
import type { ServerResponse } from 'node:http'
import type { Database } from '../../platform/database.js'
import { NotFoundError, PermissionError } from '../../platform/domain-errors.js'
import { eventRepository } from './event-repository.js'
import type { EventHub, HubListener } from './event-hub.js'
import { EventStreamConnection, type StreamEndReason } from './stream-connection.js'
import { InvalidLastEventIdError, ResumeExpiredError, TooManyStreamsError } from './stream-errors.js'
import type { EphemeralEvent, Side, StoredEvent, StreamAudience } from './stream-event.js'
import { formatPosition, parsePosition, type StreamPosition } from './stream-position.js'

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

const replayBatch = 500
const retryMilliseconds = 3000
// setTimeout holds at most 2^31-1 ms; a stream that outlives it ends early, and its client reconnects.
const maxTimerMilliseconds = 2_147_483_647

export function createStreamService({ db, hub, sessionTenant, holdPresence, settings, log }: Dependencies) {
  const openByUser = new Map<number, number>()
  const streams = new Set<EventStreamConnection>()

  const heartbeat = setInterval(() => {
    for (const stream of streams) stream.write(': keep-alive\n\n')
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

  /** One open stream: positions per tenant, replay first, then live events in order, none twice. */
  async function run(plan: StreamPlan, connection: EventStreamConnection, closed: Promise<void>): Promise<void> {
    const position: StreamPosition = { side: plan.audience.side, userId: plan.audience.userId, seqByTenant: new Map() }
    let replaying = true
    let buffered: StoredEvent[] = []
    let bufferedBytes = 0
    const send = (event: StoredEvent) => {
      if (event.seq <= (position.seqByTenant.get(event.tenantId) ?? Infinity)) return
      position.seqByTenant.set(event.tenantId, event.seq)
      return connection.write(EventStreamConnection.frame(event.type, event.data, formatPosition(position)))
    }
    const listener: HubListener = {
      audience: plan.audience,
      receive(event) {
        if (!replaying) return void send(event)
        buffered.push(event)
        bufferedBytes += Buffer.byteLength(event.data)
        if (bufferedBytes > settings.bufferBytes) connection.destroy()
      },
      receiveEphemeral: (event: EphemeralEvent) => void connection.write(EventStreamConnection.frame(event.type, event.data)),
      tenantInactive(tenantId) {
        position.seqByTenant.delete(tenantId)
        if (position.seqByTenant.size === 0 || plan.tenantIds.length === 1) connection.end('tenant_inactive')
      },
    }
    const releasePresence = plan.audience.side === 'agent' ? holdPresence(plan.tenantIds, plan.audience.userId) : () => {}
    try {
      const liveFrom = await hub.subscribe(listener, plan.tenantIds)
      for (const [tenantId, seq] of liveFrom) position.seqByTenant.set(tenantId, plan.resumeFrom?.get(tenantId) ?? seq)
      if (position.seqByTenant.size === 0) return connection.end('tenant_inactive')
      const resumeFrom = formatPosition(position)
      const ready = JSON.stringify({ type: 'stream.ready', resume_from: resumeFrom, tenant_ids: [...position.seqByTenant.keys()] })
      if (!(await connection.writeAndDrain(EventStreamConnection.frame('stream.ready', ready, resumeFrom)))) return
      for (const [tenantId, liveSeq] of liveFrom) {
        let after = position.seqByTenant.get(tenantId)!
        while (after < liveSeq && !connection.closed) {
          const events = await eventRepository.after(db, tenantId, { afterSeq: after, throughSeq: liveSeq, limit: replayBatch }, plan.audience)
          if (events.length === 0) break
          for (const event of events) {
            position.seqByTenant.set(tenantId, event.seq)
            if (!(await connection.writeAndDrain(EventStreamConnection.frame(event.type, event.data, formatPosition(position))))) return
          }
          after = events[events.length - 1].seq
        }
      }
      replaying = false
      for (const event of buffered) send(event)
      buffered = []
      await closed
    } finally {
      hub.unsubscribe(listener)
      releasePresence()
    }
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
      openByUser.set(userId, (openByUser.get(userId) ?? 0) + 1)
      streams.add(connection)
      const expiry = setTimeout(() => connection.end('credentials_expired'), Math.min(Math.max(plan.expiresAt - Date.now(), 0), maxTimerMilliseconds))
      const closed = new Promise<void>((resolve) =>
        response.once('close', () => {
          clearTimeout(expiry)
          streams.delete(connection)
          const open = (openByUser.get(userId) ?? 1) - 1
          if (open === 0) openByUser.delete(userId)
          else openByUser.set(userId, open)
          resolve()
        }),
      )
      connection.open(headers, retryMilliseconds)
      run(plan, connection, closed).catch((error) => {
        log.error({ err: error, userId }, 'stream failed; the client will resume')
        connection.destroy()
      })
    },

    /** Ends every stream with a reason the client can act on (on shutdown: reconnect, to another instance). */
    closeAll(reason: StreamEndReason): void {
      clearInterval(heartbeat)
      for (const stream of streams) stream.end(reason)
    },

    openStreams: (): number => streams.size,
  }
}

export type StreamService = ReturnType<typeof createStreamService>
