import { NotFoundError, PermissionError } from '../../platform/domain-errors.js'
import type { Pool } from '../../platform/transactions.js'
import type { EventRepository } from '../event-log/event-repository.js'
import { InvalidLastEventIdError, ResumeExpiredError, TooManyStreamsError } from './stream-errors.js'
import type { StreamPlan, StreamRequest, StreamSettings } from './stream-plan.js'
import { parsePosition } from './stream-position.js'
import type { StreamRegistry } from './stream-registry.js'

type Dependencies = {
  /** Streams are GETs: they never run in a request's transaction. */
  pool: Pool
  eventRepository: Pick<EventRepository, 'heads'>
  registry: Pick<StreamRegistry, 'openCountOf'>
  /** The tenant, among `tenantIds`, that has the session; `undefined` when none has. */
  sessionTenant: (tenantIds: number[], sessionId: string) => Promise<number | undefined>
  settings: Pick<StreamSettings, 'maxPerUser' | 'retentionHours'>
}

/** Decides whether a stream may open, and from where, before any byte of it is sent: every refusal is a 4xx. */
export function createStreamAdmission({ pool, eventRepository, registry, sessionTenant, settings }: Dependencies) {
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
    const heads = new Map((await eventRepository.heads(pool, tenantIds)).map((head) => [head.tenantId, head]))
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
    const active = (await eventRepository.heads(pool, request.tokenTenantIds)).filter((head) => head.active).map((head) => head.tenantId)
    if (active.length === 0) throw new PermissionError('X-Tenant-ID', 'None of the tenants of the token is active')
    return active
  }

  return {
    async prepare(request: StreamRequest): Promise<StreamPlan> {
      let tenantIds = await streamTenants(request)
      if (request.sessionId !== undefined) {
        const tenantId = await sessionTenant(tenantIds, request.sessionId)
        if (tenantId === undefined) throw new NotFoundError('Session', 'session_id')
        tenantIds = [tenantId]
      }
      const resumeFrom = await resumePoint(request, tenantIds)
      if (registry.openCountOf(request.userId) >= settings.maxPerUser) throw new TooManyStreamsError(settings.maxPerUser)
      const audience = { side: request.side, userId: request.userId, sessionId: request.sessionId }
      return { audience, tenantIds, resumeFrom, expiresAt: request.expiresAt }
    },
  }
}

export type StreamAdmission = ReturnType<typeof createStreamAdmission>
