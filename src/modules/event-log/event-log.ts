import type { Database } from '../../platform/database.js'
import type { EventBus } from './event-bus.js'
import { eventRepository } from './event-repository.js'
import type { EventDraft } from './stream-event.js'

declare const eventTransaction: unique symbol
/**
 * A transaction that stores the events emitted in it: only `EventLog.transaction` makes one, so code that
 * emits cannot be handed a plain transaction, where its events would be lost.
 */
export type EventTransaction = Database & { readonly [eventTransaction]: true }

/**
 * Transactions that produce events. Services emit events with the transaction they are working in; the
 * events are stored at its end, numbered under the tenant's head lock, and announced once it commits.
 * An event is stored if and only if what it tells of is. Inside a request's transaction (an idempotent
 * POST) the one here is a savepoint: `afterCommit` holds the announcement until the request's commit.
 */
export function createEventLog(db: Database, bus: EventBus, afterCommit: (announce: () => void) => void) {
  const pending = new WeakMap<Database, EventDraft[]>()

  return {
    async transaction<Result>(work: (tx: EventTransaction) => Promise<Result>): Promise<Result> {
      let announce = () => {}
      const result = await db.transaction(async (tx) => {
        const drafts: EventDraft[] = []
        pending.set(tx, drafts)
        const value = await work(tx as unknown as EventTransaction)
        if (drafts.length > 0) {
          const tenantId = drafts[0].tenantId
          if (drafts.some((draft) => draft.tenantId !== tenantId)) throw new Error('One transaction stores the events of one tenant')
          const events = await eventRepository.append(tx, tenantId, drafts)
          announce = () => bus.publish({ kind: 'appended', tenantId, head: events[events.length - 1].seq, events })
        }
        return value
      })
      afterCommit(announce)
      return result
    },

    /** Adds an event to the transaction, to be stored at its end. */
    emit(tx: EventTransaction, event: EventDraft): void {
      pending.get(tx)!.push(event)
    },

    /** Typing: to the streams open now, on every instance; nothing is stored. */
    sendEphemeral: (event: EventDraft): void => afterCommit(() => bus.publish({ kind: 'ephemeral', event })),
  }
}

export type EventLog = ReturnType<typeof createEventLog>
