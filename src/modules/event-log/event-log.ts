import type { Executor, Transaction, Transactions } from '../../platform/transactions.js'
import type { EventBus } from './event-bus.js'
import type { EventRepository } from './event-repository.js'
import type { EventDraft } from './stream-event.js'

type Dependencies = {
  transactions: Pick<Transactions, 'beforeCommit' | 'afterCommit'>
  bus: EventBus
  eventRepository: Pick<EventRepository, 'append'>
}

/**
 * Events of what transactions write. Services emit events with the transaction they are working in; the
 * events are stored as its last statement, numbered under the tenant's head lock, and announced once it (and
 * the request's transaction it may be part of) commits. An event is stored if and only if what it tells of is.
 * Every transaction the runner makes can carry events, so there is no transaction in which they would be lost.
 */
export function createEventLog({ transactions, bus, eventRepository }: Dependencies) {
  const pending = new WeakMap<Transaction, EventDraft[]>()

  async function store(tx: Transaction): Promise<void> {
    const drafts = pending.get(tx)!
    const tenantId = drafts[0].tenantId
    if (drafts.some((draft) => draft.tenantId !== tenantId)) throw new Error('One transaction stores the events of one tenant')
    const events = await eventRepository.append(tx, tenantId, drafts)
    transactions.afterCommit(tx, () => bus.publish({ kind: 'appended', tenantId, head: events[events.length - 1].seq, events }))
  }

  return {
    /** Adds an event to the transaction, to be stored at its end. */
    emit(tx: Transaction, event: EventDraft): void {
      const drafts = pending.get(tx)
      if (drafts) return void drafts.push(event)
      pending.set(tx, [event])
      transactions.beforeCommit(tx, () => store(tx))
    },

    /** Typing: to the streams open now, on every instance, once what `executor` wrote is committed; nothing is stored. */
    sendEphemeral: (executor: Executor, event: EventDraft): void => transactions.afterCommit(executor, () => bus.publish({ kind: 'ephemeral', event })),
  }
}

export type EventLog = ReturnType<typeof createEventLog>
