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
import type { SessionRecord, SessionRepository } from '../livechat/session-repository.js'
import type { TicketService } from '../tickets/ticket-service.js'
import { chooseAgent } from './agent-choice.js'
import { AgentAtCapacityError, NoAgentOnlineError, NotRequesterError, NotSessionAgentError, RequesterHasSessionError } from './routing-errors.js'
import type { AgentLoad, RoutingRepository } from './routing-repository.js'
import {
  agentStartedSessionOf,
  countAssignment,
  countRelease,
  leaveQueue,
  liveSessionOf,
  remember,
  sessionOf,
  type Involved,
  type RoutingState,
} from './routing-state.js'

export type RoutingService = ReturnType<typeof createRoutingService>

type Dependencies = {
  transactions: Pick<Transactions, 'run' | 'groupCommit'>
  routingRepository: RoutingRepository
  sessionRepository: SessionRepository
  messageRepository: Pick<MessageRepository, 'transcript'>
  writeMessages: MessageWriter
  tickets: Pick<TicketService, 'fileMissedChat' | 'fileQueueTimeout'>
  events: Pick<EventLog, 'emit'>
  settings: {
    presenceTtlSeconds: number
    queueMaxWaitSeconds: number
    /** Longest a routing decision may wait for its transaction to start (DB_ACQUIRE_TIMEOUT_MS): then 503, undone. */
    waitMs: number
  }
}

type Decision<Result> = (tx: Transaction, state: RoutingState) => Promise<Result>
type Routed = { tenantId: number; involved: Involved; decision: Decision<unknown> }

// Decisions of one tenant that arrive together share one transaction, and so one hold of the routing lock, one
// reading of the tenant's routing state and one commit, up to this many.
const maxDecisionsPerCommit = 64

/**
 * Who has which session. Every decision of a tenant (a start on either side, a close, an assignment, serving the
 * queue) is made under the tenant's routing lock, so no agent goes over capacity, no session is given twice, and
 * the queue is served in arrival order, whichever instance decides. Decisions that arrive together are made one
 * after the other in one transaction, on one reading of the tenant's agents and queue, and committed together.
 * A decision refuses (a DomainError) before it writes.
 */
export function createRoutingService(dependencies: Dependencies) {
  const { transactions, routingRepository, sessionRepository, messageRepository, writeMessages, tickets, events, settings } = dependencies

  /** The sessions the decisions are about, read in one statement (none for a batch that only serves the queue). */
  async function involvedSessions(tx: Transaction, tenantId: number, involved: Involved[]): Promise<SessionRecord[]> {
    const present = <Key>(keys: (Key | undefined)[]) => [...new Set(keys.filter((key): key is Key => key !== undefined))]
    const keys = {
      ids: present(involved.map((one) => one.sessionId)),
      requesterIds: present(involved.map((one) => one.requesterId)),
      agentIds: present(involved.map((one) => one.agentId)),
    }
    if (keys.ids.length + keys.requesterIds.length + keys.agentIds.length === 0) return []
    return sessionRepository.involved(tx, tenantId, keys)
  }

  /**
   * Takes the tenant's routing lock and reads its routing state, and what the decisions are about, in one round trip
   * (the reads queue behind the lock on the connection); files the chats that waited too long on the way.
   */
  async function readState(tx: Transaction, tenantId: number, involved: Involved[]): Promise<RoutingState> {
    const [, capacity, agents, queue, expired, sessions] = await Promise.all([
      routingRepository.lock(tx, tenantId),
      routingRepository.capacity(tx, tenantId),
      routingRepository.onlineAgentLoads(tx, tenantId, settings.presenceTtlSeconds),
      sessionRepository.queue(tx, tenantId),
      routingRepository.expiredQueue(tx, tenantId, settings.queueMaxWaitSeconds),
      involvedSessions(tx, tenantId, involved),
    ])
    const state: RoutingState = { capacity, agents, queue, sessions: new Map(sessions.map((session) => [session.id, session])) }
    for (const waiting of expired) {
      leaveQueue(state, waiting.id)
      await fileAsTicket(tx, state, tenantId, waiting)
    }
    if (expired.length > 0) tellPositions(tx, state, 1)
    return state
  }

  /** Runs decisions of one tenant in its routing lock, in order; each comes to its result or its refusal. */
  async function decideAll(tx: Transaction, tenantId: number, batch: Omit<Routed, 'tenantId'>[]): Promise<Outcome<unknown>[]> {
    const state = await readState(
      tx,
      tenantId,
      batch.map((routed) => routed.involved),
    )
    const outcomes: Outcome<unknown>[] = []
    for (const { decision } of batch) {
      try {
        outcomes.push({ ok: true, value: await decision(tx, state) })
      } catch (error) {
        if (!(error instanceof DomainError)) throw error
        outcomes.push({ ok: false, error })
      }
    }
    return outcomes
  }

  const batches = transactions.groupCommit<Routed, unknown>({
    keyOf: (routed) => routed.tenantId,
    maxBatchSize: maxDecisionsPerCommit,
    maxBatchesInFlight: 1,
    maxWaitMs: settings.waitMs,
    waitedTooLong: () => new PoolAcquireTimeoutError(settings.waitMs),
    write: (tx, batch) => decideAll(tx, batch[0].tenantId, batch),
    failsEveryItem: (error) => databaseUnavailableCode(error) !== undefined,
  })
  const decide = <Result>(tenantId: number, involved: Involved, decision: Decision<Result>): Promise<Result> =>
    batches.submit({ tenantId, involved, decision }) as Promise<Result>

  function existing(state: RoutingState, sessionId: string): SessionRecord {
    const session = sessionOf(state, sessionId)
    if (!session) throw new NotFoundError('Session')
    return session
  }

  /** Every session in the queue from `from` on hears its position (it moved). */
  function tellPositions(tx: Transaction, state: RoutingState, from: number): void {
    state.queue.forEach((session, index) => {
      if (index + 1 >= from) events.emit(tx, sessionQueued({ ...session, queue_position: index + 1 }))
    })
  }

  /** Gives the session to the agent. */
  async function giveTo(tx: Transaction, state: RoutingState, session: SessionRecord, agent: AgentLoad): Promise<SessionRecord & { agent_id: number }> {
    const assigned = (await sessionRepository.assign(tx, session.tenant_id, session.id, agent.agentId))!
    remember(state, assigned)
    countAssignment(state, agent)
    const previousAgentId = session.status === 'OPEN' ? session.agent_id : null
    countRelease(state, previousAgentId)
    for (const draft of sessionAssigned({ ...assigned, agent_id: agent.agentId }, previousAgentId)) events.emit(tx, draft)
    return { ...assigned, agent_id: agent.agentId }
  }

  /** A queued chat that waited too long: CLOSED, as a ticket with its subject and messages. */
  async function fileAsTicket(tx: Transaction, state: RoutingState, tenantId: number, waiting: { id: string; requesterId: number; subject: string | null }) {
    const messages = await messageRepository.transcript(tx, tenantId, waiting.id)
    const ticket = await tickets.fileQueueTimeout(tx, { tenantId, requesterId: waiting.requesterId, subject: waiting.subject, messages })
    const closed = await sessionRepository.close(tx, tenantId, waiting.id, ticket.id)
    if (!closed) return
    remember(state, closed)
    events.emit(tx, sessionChanged(closed))
  }

  /** Serves the queue, oldest first, as far as seats allow; those left from position `movedFrom` on hear where they are. */
  async function serveQueue(tx: Transaction, state: RoutingState, movedFrom = Number.POSITIVE_INFINITY): Promise<void> {
    let served = 0
    while (state.queue.length > 0) {
      const agent = chooseAgent(state.agents, state.capacity)
      if (!agent) break
      await giveTo(tx, state, state.queue.shift()!, agent)
      served++
    }
    tellPositions(tx, state, served > 0 ? 1 : movedFrom)
  }

  async function withFirstMessage(tx: Transaction, session: SessionRecord, sender: Actor, text: string | undefined): Promise<SessionRecord> {
    if (text === undefined) return session
    const [sent] = await writeMessages(tx, session.tenant_id, [{ sessionId: session.id, sender, text }])
    if (!sent.ok) throw sent.error
    return sent.value.session
  }

  /** A session an agent starts (the seed's rules): not refused for capacity, but counted in it. */
  const startAsAgent =
    (tenantId: number, requester: Actor, request: { agentId: number; subject?: string; message?: string }): Decision<{ session?: SessionRecord; offlineTicketId?: string }> =>
    async (tx, state) => {
      const { agentId } = request
      const open = agentStartedSessionOf(state, agentId)
      if (open) throw new ActiveSessionExistsError(open.id)
      const agent = state.agents.find((load) => load.agentId === agentId)
      if (!agent) {
        const ticket = await tickets.fileMissedChat(tx, { tenantId, key: { source: 'LIVECHAT_OFFLINE', agentId }, requester, ...request })
        return { offlineTicketId: ticket.id }
      }
      const session = await sessionRepository.insertOpen(tx, tenantId, newId(), agentId)
      // Under the routing lock only a start from outside it (an older instance during a rolling upgrade) can win the index.
      if (!session) throw new SessionStartRaceError()
      remember(state, session)
      agent.open++
      events.emit(tx, sessionChanged(session))
      return { session: await withFirstMessage(tx, session, requester, request.message) }
    }

  /** A chat a tenant user asks for: assigned to the least busy ONLINE agent, queued, or filed as a ticket. */
  const startAsRequester =
    (tenantId: number, requester: Actor, request: { subject?: string; message?: string }): Decision<{ session?: SessionRecord; noAgentTicketId?: string }> =>
    async (tx, state) => {
      const live = liveSessionOf(state, requester.userId)
      if (live) throw new RequesterHasSessionError(live.id)
      if (state.agents.length === 0) {
        const key = { source: 'LIVECHAT_NO_AGENT', requesterId: requester.userId } as const
        return { noAgentTicketId: (await tickets.fileMissedChat(tx, { tenantId, key, requester, ...request })).id }
      }
      // Behind those already waiting, even when a seat has just freed: the queue is served first come, first served.
      const agent = state.queue.length === 0 ? chooseAgent(state.agents, state.capacity) : undefined
      const inserted = await sessionRepository.insertRequested(tx, tenantId, {
        id: newId(),
        agentId: agent?.agentId ?? null,
        requesterId: requester.userId,
        subject: request.subject ?? null,
      })
      remember(state, inserted)
      if (agent) {
        countAssignment(state, agent)
        for (const draft of sessionAssigned({ ...inserted, agent_id: agent.agentId }, null)) events.emit(tx, draft)
        return { session: await withFirstMessage(tx, inserted, requester, request.message) }
      }
      const queued = { ...inserted, queue_position: state.queue.length + 1 }
      state.queue.push(queued)
      events.emit(tx, sessionQueued(queued))
      const session = await withFirstMessage(tx, queued, requester, request.message)
      if (!chooseAgent(state.agents, state.capacity)) return { session }
      await serveQueue(tx, state)
      return { session: (await sessionRepository.findById(tx, tenantId, session.id))! }
    }

  return {
    /**
     * Starts an OPEN session with the agent. When the agent is offline, a ticket keeps the request, in the same
     * transaction as that decision, and the 400 names it.
     */
    async startSession(tenantId: number, requester: Actor, request: { agentId: number; subject?: string; message?: string }): Promise<SessionRecord> {
      const { session, offlineTicketId } = await decide(tenantId, { agentId: request.agentId }, startAsAgent(tenantId, requester, request))
      // Thrown after the commit, so the ticket stays.
      if (offlineTicketId) throw new AgentOfflineError(request.agentId, offlineTicketId)
      return session!
    },

    /** A tenant user asks for a chat: the session OPEN or QUEUED, or (no agent ONLINE) a 400 naming the ticket filed. */
    async requestChat(tenantId: number, requester: Actor, request: { subject?: string; message?: string }): Promise<SessionRecord> {
      const { session, noAgentTicketId } = await decide(tenantId, { requesterId: requester.userId }, startAsRequester(tenantId, requester, request))
      if (noAgentTicketId) throw new NoAgentOnlineError(noAgentTicketId)
      return session!
    },

    /**
     * Closes an OPEN or QUEUED session; closing a closed one changes nothing. `requesterId`: only that tenant user's
     * own chat may be closed. A freed seat serves the queue; the sessions behind a queued one move up.
     */
    close: (tenantId: number, sessionId: string, requesterId?: number): Promise<void> =>
      decide(tenantId, { sessionId }, async (tx, state) => {
        const session = existing(state, sessionId)
        if (requesterId !== undefined && session.requester_id !== requesterId) throw new NotRequesterError()
        if (session.status === 'CLOSED') return
        const closed = (await sessionRepository.close(tx, tenantId, sessionId))!
        remember(state, closed)
        events.emit(tx, sessionChanged(closed))
        if (session.status === 'OPEN') countRelease(state, session.agent_id)
        await serveQueue(tx, state, leaveQueue(state, sessionId))
      }),

    /** Takes a QUEUED session for the agent, or transfers an OPEN one from the caller, its agent, to them. */
    assign: (tenantId: number, sessionId: string, callerId: number, agentId: number): Promise<SessionRecord> =>
      decide(tenantId, { sessionId }, async (tx, state) => {
        const session = existing(state, sessionId)
        if (session.status === 'CLOSED') throw new SessionClosedError()
        if (session.status === 'OPEN' && session.agent_id !== callerId) throw new NotSessionAgentError(session.agent_id)
        if (session.agent_id === agentId) return session
        const agent = state.agents.find((load) => load.agentId === agentId)
        if (!agent) throw new AgentOfflineError(agentId)
        if (agent.open >= state.capacity) throw new AgentAtCapacityError(agentId, state.capacity)
        const movedFrom = leaveQueue(state, sessionId)
        const assigned = await giveTo(tx, state, session, agent)
        await serveQueue(tx, state, movedFrom)
        return assigned
      }),

    /** Serves the tenant's queue now (an agent came ONLINE, capacity rose). */
    serveQueue: (tenantId: number): Promise<void> => decide(tenantId, {}, (tx, state) => serveQueue(tx, state)),

    /** The same, unless another decision of the tenant holds the lock (it serves the queue itself, or the next sweep will). */
    sweep: (tenantId: number): Promise<void> =>
      transactions.run(async (tx) => {
        if (await routingRepository.tryLock(tx, tenantId)) await decideAll(tx, tenantId, [{ involved: {}, decision: (tx, state) => serveQueue(tx, state) }])
      }),
  }
}
