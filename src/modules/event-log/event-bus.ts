import { randomUUID } from 'node:crypto'
import type { DatabaseNotifications } from '../../platform/database.js'
import type { EphemeralEvent, StoredEvent } from './stream-event.js'

/**
 * What instances tell each other. `appended` says a tenant's events up to `head` are committed; within
 * the instance that wrote them it also carries them, so that instance's streams need no query.
 */
export type BusSignal =
  | { kind: 'appended'; tenantId: number; head: number; events?: StoredEvent[] }
  | { kind: 'ephemeral'; event: EphemeralEvent }
  | { kind: 'tenant-changed'; tenantId: number }

export type EventBus = {
  publish: (signal: BusSignal) => void
  subscribe: (handler: (signal: BusSignal) => void) => void
  /** Called when the bus (re)connects: signals may have been missed, so listeners should catch up. */
  onReconnect: (handler: () => void) => void
  close: () => Promise<void>
}

/**
 * Calls every handler; one that throws is reported, and neither stops the others nor reaches the
 * publisher, whose transaction has committed already.
 */
function deliverTo(handlers: ((signal: BusSignal) => void)[], signal: BusSignal, onError: (error: unknown) => void): void {
  for (const handler of handlers) {
    try {
      handler(signal)
    } catch (error) {
      onError(error)
    }
  }
}

/** The embedded database serves one process, so its bus is in-process. */
export function createInProcessBus(onError: (error: unknown) => void): EventBus {
  const handlers: ((signal: BusSignal) => void)[] = []
  return {
    publish: (signal) => deliverTo(handlers, signal, onError),
    subscribe: (handler) => void handlers.push(handler),
    onReconnect: () => {},
    close: async () => {},
  }
}

const channel = 'livechat_events'
// NOTIFY refuses payloads of 8,000 bytes or more; batches are cut well below that.
const maxPayloadBytes = 7000

type Wire = { origin: string; heads?: [number, number][]; ephemeral?: EphemeralEvent[]; tenants?: number[] }

/**
 * Across instances through PostgreSQL LISTEN/NOTIFY. Signals are delivered in this instance at once, and
 * sent to the others after the commit, outside the writing transaction: a NOTIFY inside it would take a
 * database-wide lock at commit. Heads are coalesced per tenant and only ids travel, never bodies: a
 * receiving instance reads the rows. One NOTIFY is in flight at a time, so under load they batch.
 */
export function createPostgresBus(notifications: DatabaseNotifications, onError: (error: unknown) => void): EventBus {
  const origin = randomUUID()
  const handlers: ((signal: BusSignal) => void)[] = []
  const reconnectHandlers: (() => void)[] = []
  const deliver = (signal: BusSignal) => deliverTo(handlers, signal, onError)
  const pendingHeads = new Map<number, number>()
  let pendingEphemeral: EphemeralEvent[] = []
  const pendingTenants = new Set<number>()
  let flushing: Promise<void> | undefined
  let closed = false
  let listening = false

  /** What is pending, as NOTIFY payloads under the size limit. */
  function nextBatch(): string[] {
    type Entry = [keyof Omit<Wire, 'origin'>, unknown]
    const entries: Entry[] = [
      ...[...pendingHeads].map((head): Entry => ['heads', head]),
      ...pendingEphemeral.map((event): Entry => ['ephemeral', event]),
      ...[...pendingTenants].map((tenantId): Entry => ['tenants', tenantId]),
    ]
    pendingHeads.clear()
    pendingEphemeral = []
    pendingTenants.clear()
    const messages: string[] = []
    const emptySize = JSON.stringify({ origin }).length + 32
    let current: Record<string, unknown[]> = {}
    let size = emptySize
    for (const [key, value] of entries) {
      const bytes = Buffer.byteLength(JSON.stringify(value)) + 1
      if (size + bytes > maxPayloadBytes && size > emptySize) {
        messages.push(JSON.stringify({ origin, ...current }))
        current = {}
        size = emptySize
      }
      ;(current[key] ??= []).push(value)
      size += bytes
    }
    if (size > emptySize) messages.push(JSON.stringify({ origin, ...current }))
    return messages
  }

  async function flush(): Promise<void> {
    while (!closed) {
      const messages = nextBatch()
      if (messages.length === 0) break
      for (const message of messages) {
        try {
          await notifications.notify(channel, message)
        } catch (error) {
          // Other instances catch up by polling the heads; nothing is lost, it is only later.
          onError(error)
        }
      }
    }
    flushing = undefined
  }

  function receive(payload: string) {
    let wire: Wire
    try {
      wire = JSON.parse(payload) as Wire
    } catch (error) {
      // Someone else's NOTIFY on the channel; thrown here it would take the LISTEN connection down.
      return onError(error)
    }
    if (wire.origin === origin) return
    for (const [tenantId, head] of wire.heads ?? []) deliver({ kind: 'appended', tenantId, head })
    for (const event of wire.ephemeral ?? []) deliver({ kind: 'ephemeral', event })
    for (const tenantId of wire.tenants ?? []) deliver({ kind: 'tenant-changed', tenantId })
  }

  const subscription = notifications
    .listen(channel, receive, () => {
      // Called on the first LISTEN and after every reconnect of its connection.
      if (listening) reconnectHandlers.forEach((handler) => handler())
      listening = true
    })
    .catch(onError)

  return {
    publish(signal) {
      deliver(signal)
      if (signal.kind === 'appended') pendingHeads.set(signal.tenantId, Math.max(signal.head, pendingHeads.get(signal.tenantId) ?? 0))
      else if (signal.kind === 'ephemeral') pendingEphemeral.push(signal.event)
      else pendingTenants.add(signal.tenantId)
      flushing ??= flush()
    },
    subscribe: (handler) => void handlers.push(handler),
    onReconnect: (handler) => void reconnectHandlers.push(handler),
    async close() {
      await flushing
      closed = true
      const listener = await subscription
      // The database may have been closed first: then there is nothing left to unlisten.
      await listener?.unlisten().catch(() => {})
    },
  }
}

/** The bus that fits the database: NOTIFY where other instances can listen, in-process otherwise. */
export function createEventBus(notifications: DatabaseNotifications | undefined, kind: 'shared' | 'in-process', onError: (error: unknown) => void): EventBus {
  return notifications && kind === 'shared' ? createPostgresBus(notifications, onError) : createInProcessBus(onError)
}
