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

/**
 * A decision, made at once against the batch's state: it refuses (throws a DomainError) before anything is
 * written, or changes the state and returns its writes, which go out on the connection in decision order.
 */
type Decision<Result> = (tx: Transaction, state: RoutingState) => Promise<Result>
type Routed = { tenantId: number; involved: Involved; decision: Decision<unknown> }

// Decisions of one tenant that arrive together share one transaction, and so one hold of the routing lock, one
// reading of the tenant's routing state and one commit, up to this many.
const maxDecisionsPerCommit = 64

/** Keeps what a write stored (its timestamps above all) in the state's object for the session. */
const stored = (session: SessionRecord, row: SessionRecord | undefined): SessionRecord => {
  if (row) Object.assign(session, { created_at: row.created_at, updated_at: row.updated_at })
  return session
}

/**
 * Who has which session. Every decision of a tenant (a start on either side, a close, an assignment, serving the
 * queue) is made under the tenant's routing lock, so no agent goes over capacity, no session is given twice, and
 * the queue is served in arrival order, whichever instance decides. Decisions that arrive together are made in
 * memory one after the other, on one reading of the tenant's agents and queue and of the sessions they are about;
 * their writes are sent one after the other without waiting for each, and commit together.
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
    // One object per session: a queued session the batch is about is the queue's own.
    const byId = new Map([...sessions, ...queue].map((session) => [session.id, session]))
    const state: RoutingState = { capacity, agents, queue, sessions: byId, movedFrom: Number.POSITIVE_INFINITY, newlyQueued: new Set() }
    for (const waiting of expired) await fileAsTicket(tx, state, tenantId, waiting)
    return state
  }

  /** Every session in the queue whose position moved in the batch, or that joined it, hears where it is. */
  function tellPositions(tx: Transaction, state: RoutingState): void {
    state.queue.forEach((session, index) => {
      const position = index + 1
      session.queue_position = position
      if (position >= state.movedFrom || state.newlyQueued.has(session.id)) events.emit(tx, sessionQueued({ ...session }))
    })
  }

  /** Makes the decisions of one tenant in its routing lock, in order; each comes to its result or its refusal. */
  async function decideAll(tx: Transaction, tenantId: number, batch: Omit<Routed, 'tenantId'>[]): Promise<Outcome<unknown>[]> {
    const state = await readState(
      tx,
      tenantId,
      batch.map((routed) => routed.involved),
    )
    const made = batch.map(({ decision }): Promise<unknown> | DomainError => {
      try {
        return decision(tx, state)
      } catch (error) {
        if (error instanceof DomainError) return error
        throw error
      }
    })
    // A write that fails loses the transaction: the batch fails, and is made again decision by decision.
    const results = await Promise.all(made.map((one) => (one instanceof DomainError ? undefined : one)))
    tellPositions(tx, state)
    return made.map((one, index) => (one instanceof DomainError ? { ok: false, error: one } : { ok: true, value: results[index] }))
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

  /** Gives the session to the agent: at once in the state, then in the database, which tells who hears of it. */
  function giveTo(tx: Transaction, state: RoutingState, session: SessionRecord, agent: AgentLoad): Promise<SessionRecord> {
    const previousAgentId = session.status === 'OPEN' ? session.agent_id : null
    leaveQueue(state, session)
    countRelease(state, previousAgentId)
    countAssignment(state, agent)
    Object.assign(session, { agent_id: agent.agentId, status: 'OPEN', queue_position: null })
    return sessionRepository.assign(tx, session.tenant_id, session.id, agent.agentId).then((assigned) => {
      for (const draft of sessionAssigned({ ...assigned!, agent_id: agent.agentId }, previousAgentId)) events.emit(tx, draft)
      return stored(session, assigned)
    })
  }

  /** A queued chat that waited too long: CLOSED, as a ticket with its subject and messages. */
  async function fileAsTicket(tx: Transaction, state: RoutingState, tenantId: number, waiting: { id: string; requesterId: number; subject: string | null }) {
    const messages = await messageRepository.transcript(tx, tenantId, waiting.id)
    const ticket = await tickets.fileQueueTimeout(tx, { tenantId, requesterId: waiting.requesterId, subject: waiting.subject, messages })
    const closed = await sessionRepository.close(tx, tenantId, waiting.id, ticket.id)
    const session = sessionOf(state, waiting.id)
    if (!closed || !session) return
    leaveQueue(state, session)
    Object.assign(session, closed)
    events.emit(tx, sessionChanged(closed))
  }

  /** Serves the queue, oldest first, as far as seats allow. */
  function serveQueue(tx: Transaction, state: RoutingState): Promise<unknown> {
    const assignments: Promise<unknown>[] = []
    for (let agent = chooseAgent(state.agents, state.capacity); agent && state.queue.length > 0; agent = chooseAgent(state.agents, state.capacity)) {
      assignments.push(giveTo(tx, state, state.queue[0], agent))
    }
    return Promise.all(assignments)
  }

  /** The session after its first message, if it has one. */
  function withFirstMessage(tx: Transaction, written: Promise<SessionRecord>, sender: Actor, text: string | undefined): Promise<SessionRecord> {
    if (text === undefined) return written
    return written.then(async (session) => {
      const [sent] = await writeMessages(tx, session.tenant_id, [{ sessionId: session.id, sender, text }])
      if (!sent.ok) throw sent.error
      return stored(session, sent.value.session)
    })
  }

  /** A session an agent starts (the seed's rules): not refused for capacity, but counted in it. */
  const startAsAgent =
    (tenantId: number, requester: Actor, request: { agentId: number; subject?: string; message?: string }): Decision<{ session?: SessionRecord; offlineTicketId?: string }> =>
    (tx, state) => {
      const { agentId } = request
      const open = agentStartedSessionOf(state, agentId)
      if (open) throw new ActiveSessionExistsError(open.id)
      const agent = state.agents.find((load) => load.agentId === agentId)
      if (!agent) {
        return tickets
          .fileMissedChat(tx, { tenantId, key: { source: 'LIVECHAT_OFFLINE', agentId }, requester, ...request })
          .then((ticket) => ({ offlineTicketId: ticket.id }))
      }
      const session = newSession({ tenantId, agentId, requesterId: null })
      state.sessions.set(session.id, session)
      agent.open++
      const inserted = sessionRepository.insertOpen(tx, tenantId, session.id, agentId).then((row) => {
        // Under the routing lock only a start from outside it (an older instance during a rolling upgrade) can win the index.
        if (!row) throw new SessionStartRaceError()
        events.emit(tx, sessionChanged(row))
        return stored(session, row)
      })
      return withFirstMessage(tx, inserted, requester, request.message).then(() => ({ session }))
    }

  /** A chat a tenant user asks for: assigned to the least busy ONLINE agent, queued, or filed as a ticket. */
  const startAsRequester =
    (tenantId: number, requester: Actor, request: { subject?: string; message?: string }): Decision<{ session?: SessionRecord; noAgentTicketId?: string }> =>
    (tx, state) => {
      const live = liveSessionOf(state, requester.userId)
      if (live) throw new RequesterHasSessionError(live.id)
      if (state.agents.length === 0) {
        const key = { source: 'LIVECHAT_NO_AGENT', requesterId: requester.userId } as const
        return tickets.fileMissedChat(tx, { tenantId, key, requester, ...request }).then((ticket) => ({ noAgentTicketId: ticket.id }))
      }
      // Behind those already waiting, even when a seat has just freed: the queue is served first come, first served.
      const agent = state.queue.length === 0 ? chooseAgent(state.agents, state.capacity) : undefined
      const session = newSession({ tenantId, agentId: agent?.agentId ?? null, requesterId: requester.userId })
      state.sessions.set(session.id, session)
      if (agent) countAssignment(state, agent)
      else {
        state.queue.push(session)
        state.newlyQueued.add(session.id)
      }
      const inserted = sessionRepository
        .insertRequested(tx, tenantId, { id: session.id, agentId: session.agent_id, requesterId: requester.userId, subject: request.subject ?? null })
        .then((row) => {
          if (row.agent_id !== null) for (const draft of sessionAssigned({ ...row, agent_id: row.agent_id }, null)) events.emit(tx, draft)
          return stored(session, row)
        })
      // Inserted before any assignment of it is sent: the queue is served after the insert went out.
      const served = agent ? undefined : serveQueue(tx, state)
      return Promise.all([withFirstMessage(tx, inserted, requester, request.message), served]).then(() => ({ session }))
    }

  /** A new session as the state holds it until its insert tells its timestamps. */
  function newSession({ tenantId, agentId, requesterId }: { tenantId: number; agentId: number | null; requesterId: number | null }): SessionRecord {
    return {
      id: newId(),
      tenant_id: tenantId,
      agent_id: agentId,
      requester_id: requesterId,
      status: agentId === null ? 'QUEUED' : 'OPEN',
      queue_position: null,
      ticket_id: null,
      created_at: '',
      updated_at: '',
    }
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
      decide(tenantId, { sessionId }, (tx, state) => {
        const session = existing(state, sessionId)
        if (requesterId !== undefined && session.requester_id !== requesterId) throw new NotRequesterError()
        if (session.status === 'CLOSED') return Promise.resolve(undefined)
        if (session.status === 'OPEN') countRelease(state, session.agent_id)
        leaveQueue(state, session)
        session.status = 'CLOSED'
        const closed = sessionRepository.close(tx, tenantId, sessionId).then((row) => {
          events.emit(tx, sessionChanged(row!))
          return stored(session, row)
        })
        return Promise.all([closed, serveQueue(tx, state)]).then(() => undefined)
      }),

    /** Takes a QUEUED session for the agent, or transfers an OPEN one from the caller, its agent, to them. */
    assign: (tenantId: number, sessionId: string, callerId: number, agentId: number): Promise<SessionRecord> =>
      decide(tenantId, { sessionId, agentId }, (tx, state) => {
        const session = existing(state, sessionId)
        if (session.status === 'CLOSED') throw new SessionClosedError()
        if (session.status === 'OPEN' && session.agent_id !== callerId) throw new NotSessionAgentError(session.agent_id)
        if (session.agent_id === agentId) return Promise.resolve(session)
        const agent = state.agents.find((load) => load.agentId === agentId)
        if (!agent) throw new AgentOfflineError(agentId)
        if (agent.open >= state.capacity) throw new AgentAtCapacityError(agentId, state.capacity)
        // A session an agent started stays one of its kind: its new agent may hold one such session, as its starter did.
        const startedByTarget = session.requester_id === null ? agentStartedSessionOf(state, agentId) : undefined
        if (startedByTarget) throw new ActiveSessionExistsError(startedByTarget.id)
        const assigned = giveTo(tx, state, session, agent)
        return Promise.all([assigned, serveQueue(tx, state)]).then(() => session)
      }),

    /** Serves the tenant's queue now (an agent came ONLINE, capacity rose). */
    serveQueue: (tenantId: number): Promise<unknown> => decide(tenantId, {}, (tx, state) => serveQueue(tx, state)),

    /** The same, unless another decision of the tenant holds the lock (it serves the queue itself, or the next sweep will). */
    sweep: (tenantId: number): Promise<void> =>
      transactions.run(async (tx) => {
        if (await routingRepository.tryLock(tx, tenantId)) await decideAll(tx, tenantId, [{ involved: {}, decision: (tx, state) => serveQueue(tx, state) }])
      }),
  }
}
