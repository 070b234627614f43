import type { Actor } from '../../platform/actor.js'
import { databaseUnavailableCode, PoolAcquireTimeoutError } from '../../platform/database-errors.js'
import { DomainError, NotFoundError } from '../../platform/domain-errors.js'
import type { Outcome } from '../../platform/group-commit.js'
import { newId } from '../../platform/ids.js'
import type { Transaction, Transactions } from '../../platform/transactions.js'
import { sessionAssigned, sessionChanged, sessionQueued } from '../event-log/event-drafts.js'
import type { EventLog } from '../event-log/event-log.js'
import { ActiveSessionExistsError, AgentOfflineError, SessionClosedError, SessionStartRaceError } from '../livechat/livechat-errors.js'
import type { MessageRepository } from '../livechat/message-repository.js'
import type { MessageWriter } from '../livechat/message-writer.js'
import type { ChatSession, SessionRecord, SessionRepository } from '../livechat/session-repository.js'
import type { PresenceService } from '../presence/presence-service.js'
import type { TicketService } from '../tickets/ticket-service.js'
import { chooseAgent } from './agent-choice.js'
import { AgentAtCapacityError, NoAgentOnlineError, NotRequesterError, NotSessionAgentError, RequesterHasSessionError } from './routing-errors.js'
import type { AgentLoad, RoutingRepository } from './routing-repository.js'

export type RoutingService = ReturnType<typeof createRoutingService>

type Dependencies = {
  transactions: Pick<Transactions, 'run' | 'groupCommit'>
  routingRepository: RoutingRepository
  sessionRepository: SessionRepository
  messageRepository: Pick<MessageRepository, 'transcript'>
  writeMessages: MessageWriter
  presence: Pick<PresenceService, 'effectiveIn'>
  tickets: Pick<TicketService, 'fileMissedChat' | 'fileQueueTimeout'>
  events: Pick<EventLog, 'emit'>
  settings: {
    presenceTtlSeconds: number
    queueMaxWaitSeconds: number
    /** Longest a routing decision may wait for its transaction to start (DB_ACQUIRE_TIMEOUT_MS): then 503, undone. */
    waitMs: number
  }
}

type Routed = { tenantId: number; decide: (tx: Transaction) => Promise<unknown> }

// Decisions of one tenant that arrive together share one transaction, and so one hold of the routing lock and
// one commit, up to this many.
const maxDecisionsPerCommit = 64

/**
 * Who has which session. Every decision of a tenant (a start on either side, a close, an assignment, serving the
 * queue) is made under the tenant's routing lock, so no agent goes over capacity, no session is given twice, and
 * the queue is served in arrival order, whichever instance decides. Decisions that arrive together are made one
 * after the other in one transaction and committed together. A decision refuses (a DomainError) before it writes.
 */
export function createRoutingService(dependencies: Dependencies) {
  const { transactions, routingRepository, sessionRepository, messageRepository, writeMessages, presence, tickets, events, settings } = dependencies
  const decisions = transactions.groupCommit<Routed, unknown>({
    keyOf: (routed) => routed.tenantId,
    maxBatchSize: maxDecisionsPerCommit,
    maxBatchesInFlight: 1,
    maxWaitMs: settings.waitMs,
    waitedTooLong: () => new PoolAcquireTimeoutError(settings.waitMs),
    write: async (tx, batch) => {
      await routingRepository.lock(tx, batch[0].tenantId)
      const outcomes: Outcome<unknown>[] = []
      for (const routed of batch) {
        try {
          outcomes.push({ ok: true, value: await routed.decide(tx) })
        } catch (error) {
          if (!(error instanceof DomainError)) throw error
          outcomes.push({ ok: false, error })
        }
      }
      return outcomes
    },
    failsEveryItem: (error) => databaseUnavailableCode(error) !== undefined,
  })
  const decide = <Result>(tenantId: number, decision: (tx: Transaction) => Promise<Result>): Promise<Result> =>
    decisions.submit({ tenantId, decide: decision }) as Promise<Result>

  async function existing(tx: Transaction, tenantId: number, sessionId: string): Promise<SessionRecord> {
    const session = await sessionRepository.findById(tx, tenantId, sessionId)
    if (!session) throw new NotFoundError('Session')
    return session
  }

  /** Gives the session to the agent, and counts it in their load for the rest of this decision. */
  async function giveTo(tx: Transaction, tenantId: number, session: SessionRecord, agent: AgentLoad): Promise<SessionRecord & { agent_id: number }> {
    const assigned = (await sessionRepository.assign(tx, tenantId, session.id, agent.agentId))!
    await routingRepository.markAssigned(tx, tenantId, agent.agentId)
    agent.open++
    agent.lastAssignedAt = Date.now()
    const previousAgentId = session.status === 'OPEN' ? session.agent_id : null
    for (const draft of sessionAssigned({ ...assigned, agent_id: agent.agentId }, previousAgentId)) events.emit(tx, draft)
    return { ...assigned, agent_id: agent.agentId }
  }

  /** A queued chat that waited too long: CLOSED, as a ticket with its subject and messages. */
  async function fileAsTicket(tx: Transaction, tenantId: number, waiting: { id: string; requesterId: number; subject: string | null }) {
    const messages = await messageRepository.transcript(tx, tenantId, waiting.id)
    const ticket = await tickets.fileQueueTimeout(tx, { tenantId, requesterId: waiting.requesterId, subject: waiting.subject, messages })
    const closed = await sessionRepository.close(tx, tenantId, waiting.id, ticket.id)
    if (closed) events.emit(tx, sessionChanged(closed))
  }

  /**
   * Serves the queue as far as seats allow, oldest first, after filing those that waited too long. Every session
   * left in the queue from position `movedFrom` on (its place changed) hears its new position.
   */
  async function serveQueue(tx: Transaction, tenantId: number, movedFrom = Number.POSITIVE_INFINITY): Promise<void> {
    const expired = await routingRepository.expiredQueue(tx, tenantId, settings.queueMaxWaitSeconds)
    for (const waiting of expired) await fileAsTicket(tx, tenantId, waiting)
    const queue = await sessionRepository.queue(tx, tenantId)
    if (expired.length > 0) movedFrom = 1
    if (queue.length === 0) return
    const [capacity, loads] = await Promise.all([
      routingRepository.capacity(tx, tenantId),
      routingRepository.onlineAgentLoads(tx, tenantId, settings.presenceTtlSeconds),
    ])
    let served = 0
    for (const session of queue) {
      const agent = chooseAgent(loads, capacity)
      if (!agent) break
      await giveTo(tx, tenantId, session, agent)
      served++
    }
    if (served > 0) movedFrom = 1
    queue.slice(served).forEach((session, index) => {
      const position = index + 1
      if (position >= movedFrom) events.emit(tx, sessionQueued({ ...session, queue_position: position }))
    })
  }

  /** A session an agent starts (the seed's rules): not refused for capacity, but counted in it. */
  async function startAsAgent(tx: Transaction, tenantId: number, requester: Actor, request: { agentId: number; subject?: string; message?: string }) {
    const { agentId } = request
    const open = await sessionRepository.findOpenByAgent(tx, tenantId, agentId)
    if (open) throw new ActiveSessionExistsError(open.id)
    if ((await presence.effectiveIn(tx, tenantId, agentId)).status !== 'ONLINE') {
      return { offlineTicket: await tickets.fileMissedChat(tx, { tenantId, key: { source: 'LIVECHAT_OFFLINE', agentId }, requester, ...request }) }
    }
    const session = await sessionRepository.insertOpen(tx, tenantId, newId(), agentId)
    // Under the routing lock only a start from outside it (an older instance during a rolling upgrade) can win the index.
    if (!session) throw new SessionStartRaceError()
    events.emit(tx, sessionChanged(session))
    return { session: await withFirstMessage(tx, tenantId, session, requester, request.message) }
  }

  async function withFirstMessage(tx: Transaction, tenantId: number, session: SessionRecord, sender: Actor, text: string | undefined): Promise<SessionRecord> {
    if (text === undefined) return session
    const [sent] = await writeMessages(tx, tenantId, [{ sessionId: session.id, sender, text }])
    if (!sent.ok) throw sent.error
    return sent.value.session
  }

  /** A chat a tenant user asks for: assigned to the least busy ONLINE agent, queued, or filed as a ticket. */
  async function startAsRequester(tx: Transaction, tenantId: number, requester: Actor, request: { subject?: string; message?: string }) {
    const live = await sessionRepository.findLiveByRequester(tx, tenantId, requester.userId)
    if (live) throw new RequesterHasSessionError(live.id)
    const loads = await routingRepository.onlineAgentLoads(tx, tenantId, settings.presenceTtlSeconds)
    if (loads.length === 0) {
      const key = { source: 'LIVECHAT_NO_AGENT', requesterId: requester.userId } as const
      return { noAgentTicket: await tickets.fileMissedChat(tx, { tenantId, key, requester, ...request }) }
    }
    const [capacity, queue] = await Promise.all([routingRepository.capacity(tx, tenantId), sessionRepository.queue(tx, tenantId)])
    const free = chooseAgent(loads, capacity)
    // Behind those already waiting, even when a seat has just freed: the queue is served first come, first served.
    const agent = queue.length === 0 ? free : undefined
    const inserted = await sessionRepository.insertRequested(tx, tenantId, {
      id: newId(),
      agentId: agent?.agentId ?? null,
      requesterId: requester.userId,
      subject: request.subject ?? null,
    })
    if (agent) {
      await routingRepository.markAssigned(tx, tenantId, agent.agentId)
      for (const draft of sessionAssigned({ ...inserted, agent_id: agent.agentId }, null)) events.emit(tx, draft)
    } else {
      events.emit(tx, sessionQueued(inserted))
    }
    const session = await withFirstMessage(tx, tenantId, inserted, requester, request.message)
    if (agent || !free) return { session }
    await serveQueue(tx, tenantId)
    return { session: (await sessionRepository.findById(tx, tenantId, session.id))! }
  }

  return {
    /**
     * Starts an OPEN session with the agent. When the agent is offline, a ticket keeps the request, in the same
     * transaction as that decision, and the 400 names it.
     */
    async startSession(tenantId: number, requester: Actor, request: { agentId: number; subject?: string; message?: string }): Promise<SessionRecord> {
      const outcome = await decide(tenantId, (tx) => startAsAgent(tx, tenantId, requester, request))
      // Thrown after the commit, so the ticket stays.
      if (outcome.offlineTicket) throw new AgentOfflineError(request.agentId, outcome.offlineTicket.id)
      return outcome.session
    },

    /** A tenant user asks for a chat: the session OPEN or QUEUED, or (no agent ONLINE) a 400 naming the ticket filed. */
    async requestChat(tenantId: number, requester: Actor, request: { subject?: string; message?: string }): Promise<SessionRecord> {
      const outcome = await decide(tenantId, (tx) => startAsRequester(tx, tenantId, requester, request))
      if (outcome.noAgentTicket) throw new NoAgentOnlineError(outcome.noAgentTicket.id)
      return outcome.session
    },

    /**
     * Closes an OPEN or QUEUED session; closing a closed one changes nothing. `requesterId`: only that tenant user's
     * own chat may be closed. A freed seat serves the queue; the sessions behind a queued one move up.
     */
    async close(tenantId: number, sessionId: string, requesterId?: number): Promise<void> {
      await decide(tenantId, async (tx) => {
        const session = await existing(tx, tenantId, sessionId)
        if (requesterId !== undefined && session.requester_id !== requesterId) throw new NotRequesterError()
        if (session.status === 'CLOSED') return
        const closed = (await sessionRepository.close(tx, tenantId, sessionId))!
        events.emit(tx, sessionChanged(closed))
        await serveQueue(tx, tenantId, session.queue_position ?? Number.POSITIVE_INFINITY)
      })
    },

    /** Takes a QUEUED session for the agent, or transfers an OPEN one from the caller, its agent, to them. */
    assign: (tenantId: number, sessionId: string, callerId: number, agentId: number): Promise<SessionRecord> =>
      decide(tenantId, async (tx) => {
        const session = await existing(tx, tenantId, sessionId)
        if (session.status === 'CLOSED') throw new SessionClosedError()
        if (session.status === 'OPEN' && session.agent_id !== callerId) throw new NotSessionAgentError(session.agent_id)
        if (session.agent_id === agentId) return session
        const [capacity, loads] = await Promise.all([
          routingRepository.capacity(tx, tenantId),
          routingRepository.onlineAgentLoads(tx, tenantId, settings.presenceTtlSeconds),
        ])
        const agent = loads.find((load) => load.agentId === agentId)
        if (!agent) throw new AgentOfflineError(agentId)
        if (agent.open >= capacity) throw new AgentAtCapacityError(agentId, capacity)
        const assigned = await giveTo(tx, tenantId, session, agent)
        await serveQueue(tx, tenantId, session.queue_position ?? Number.POSITIVE_INFINITY)
        return assigned
      }),

    /** Serves the tenant's queue now (an agent came ONLINE, capacity rose). */
    serveQueue: (tenantId: number): Promise<void> => decide(tenantId, (tx) => serveQueue(tx, tenantId)),

    /** The same, unless another decision of the tenant holds the lock (it serves the queue itself, or the next sweep will). */
    sweep: (tenantId: number): Promise<void> =>
      transactions.run(async (tx) => {
        if (await routingRepository.tryLock(tx, tenantId)) await serveQueue(tx, tenantId)
      }),
  }
}

export type { ChatSession }
