import type { FastifyBaseLogger } from 'fastify'
import type { Pool } from '../../platform/transactions.js'
import type { BusSignal, EventBus } from '../event-log/event-bus.js'
import type { EventRepository } from '../event-log/event-repository.js'
import { reaches, type EphemeralEvent, type StoredEvent, type StreamAudience } from '../event-log/stream-event.js'

/** A stream, as the hub sees it: whom it serves, and where to put what reaches it. */
export type HubListener = {
  audience: StreamAudience
  receive: (event: StoredEvent) => void
  /** An event of the tenant that is not for this listener: its position moves past it all the same. */
  pass: (tenantId: number, seq: number) => void
  receiveEphemeral: (event: EphemeralEvent) => void
  tenantInactive: (tenantId: number) => void
}

/** One tenant's events as this instance follows them: read once from the database for all its streams. */
type TenantFeed = {
  listeners: Set<HubListener>
  /** Every event up to here has been handed to the listeners, in order. */
  fetchedThrough: number
  /** The newest head announced: events up to here are committed. */
  wanted: number
  ready: Promise<boolean>
  /** `ready` has resolved true: `fetchedThrough` is a real position. */
  live: boolean
  fetching: boolean
}

const fetchBatch = 500
// A safety net under LISTEN/NOTIFY: a signal lost with a crashed instance or a dropped connection, or a
// tenant deactivated elsewhere, is noticed within this time.
const pollMilliseconds = 1000

type Dependencies = {
  /** Never a request's transaction: what the hub reads, it hands to every stream, so it reads committed rows only. */
  pool: Pool
  eventRepository: Pick<EventRepository, 'after' | 'heads'>
  bus: EventBus
  log: FastifyBaseLogger
}

/**
 * Fans a tenant's events out to this instance's streams. The writing instance hands its events over
 * directly; others learn of new heads from the bus and read the rows, once per tenant, not per stream.
 */
export function createEventHub({ pool, eventRepository, bus, log }: Dependencies) {
  const feeds = new Map<number, TenantFeed>()

  function hand(feed: TenantFeed, events: StoredEvent[]): void {
    if (!feed.live) return
    for (const event of events) {
      if (event.seq <= feed.fetchedThrough) continue
      if (event.seq !== feed.fetchedThrough + 1) return
      feed.fetchedThrough = event.seq
      for (const listener of feed.listeners) {
        if (reaches(event, listener.audience)) listener.receive(event)
        else listener.pass(event.tenantId, event.seq)
      }
    }
  }

  /** Reads what the feed has not handed over yet; one reader per feed, and a failure is retried by the poll. */
  async function catchUp(tenantId: number, feed: TenantFeed): Promise<void> {
    if (feed.fetching || !feed.live) return
    feed.fetching = true
    try {
      while (feed.wanted > feed.fetchedThrough && feeds.get(tenantId) === feed) {
        const events = await eventRepository.after(pool, tenantId, { afterSeq: feed.fetchedThrough, limit: fetchBatch })
        if (events.length === 0) break
        hand(feed, events)
      }
    } catch (error) {
      log.warn({ err: error, tenantId }, 'stream feed could not read events; the next poll retries')
    } finally {
      feed.fetching = false
    }
  }

  function dropTenant(tenantId: number, feed: TenantFeed): void {
    feeds.delete(tenantId)
    for (const listener of feed.listeners) listener.tenantInactive(tenantId)
  }

  async function poll(): Promise<void> {
    if (feeds.size === 0) return
    // Judged on the feeds as they were when asked: a feed made while the query ran is not in its answer.
    const polled = [...feeds]
    try {
      const heads = new Map((await eventRepository.heads(pool, polled.map(([tenantId]) => tenantId))).map((head) => [head.tenantId, head]))
      for (const [tenantId, feed] of polled) {
        if (feeds.get(tenantId) !== feed) continue
        const head = heads.get(tenantId)
        if (!head?.active) dropTenant(tenantId, feed)
        else {
          feed.wanted = Math.max(feed.wanted, head.head)
          if (feed.wanted > feed.fetchedThrough) void catchUp(tenantId, feed)
        }
      }
    } catch (error) {
      log.warn({ err: error }, 'stream feeds could not poll heads')
    }
  }

  function onSignal(signal: BusSignal): void {
    if (signal.kind === 'tenant-changed') return void poll()
    const tenantId = signal.kind === 'appended' ? signal.tenantId : signal.event.tenantId
    const feed = feeds.get(tenantId)
    if (!feed) return
    if (signal.kind === 'ephemeral') {
      for (const listener of feed.listeners) if (reaches(signal.event, listener.audience)) listener.receiveEphemeral(signal.event)
      return
    }
    feed.wanted = Math.max(feed.wanted, signal.head)
    if (signal.events) hand(feed, signal.events)
    if (feed.wanted > feed.fetchedThrough) void catchUp(tenantId, feed)
  }

  bus.subscribe(onSignal)
  bus.onReconnect(() => void poll())
  const timer = setInterval(() => void poll(), pollMilliseconds).unref()

  function feedOf(tenantId: number): TenantFeed {
    let feed = feeds.get(tenantId)
    if (!feed) {
      const created: TenantFeed = { listeners: new Set(), fetchedThrough: 0, wanted: 0, ready: Promise.resolve(false), live: false, fetching: false }
      created.ready = eventRepository.heads(pool, [tenantId]).then(([head]) => {
        if (!head?.active) return false
        created.fetchedThrough = head.head
        created.wanted = Math.max(created.wanted, head.head)
        created.live = true
        if (created.wanted > created.fetchedThrough) void catchUp(tenantId, created)
        return true
      })
      // A failed start is the subscriber's to report; the feed is forgotten so the next one tries afresh.
      created.ready.catch(() => feeds.get(tenantId) === created && feeds.delete(tenantId))
      feeds.set(tenantId, (feed = created))
    }
    return feed
  }

  return {
    /**
     * Starts handing the tenants' events to `listener` and returns, per tenant, the event number from which
     * it will: events up to there must be read from the database. Tenants that are inactive or unknown are
     * left out of the answer. Rejects when the database could not be asked.
     */
    async subscribe(listener: HubListener, tenantIds: number[]): Promise<Map<number, number>> {
      const subscribed = tenantIds.map((tenantId) => [tenantId, feedOf(tenantId)] as const)
      subscribed.forEach(([, feed]) => feed.listeners.add(listener))
      const outcomes = await Promise.allSettled(subscribed.map(([, feed]) => feed.ready))
      const failed = outcomes.find((outcome) => outcome.status === 'rejected')
      if (failed) throw (failed as PromiseRejectedResult).reason
      const from = new Map<number, number>()
      subscribed.forEach(([tenantId, feed], index) => {
        if ((outcomes[index] as PromiseFulfilledResult<boolean>).value) from.set(tenantId, feed.fetchedThrough)
        else if (feeds.get(tenantId) === feed) feeds.delete(tenantId)
      })
      return from
    },

    /** Stops handing over the tenants' events; a feed nobody listens to any more is forgotten. */
    unsubscribe(listener: HubListener, tenantIds: number[]): void {
      for (const tenantId of tenantIds) {
        const feed = feeds.get(tenantId)
        if (feed?.listeners.delete(listener) && feed.listeners.size === 0) feeds.delete(tenantId)
      }
    },

    close: () => clearInterval(timer),
  }
}

export type EventHub = ReturnType<typeof createEventHub>
