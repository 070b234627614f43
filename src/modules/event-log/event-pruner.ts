import type { FastifyBaseLogger } from 'fastify'
import type { Transactions } from '../../platform/transactions.js'
import type { EventRepository } from './event-repository.js'

// Often enough that the log stays near its retention; every instance prunes, and a second pass finds nothing.
const pruneEveryMilliseconds = 10 * 60 * 1000

type Dependencies = {
  transactions: Pick<Transactions, 'run'>
  eventRepository: Pick<EventRepository, 'prune'>
  retentionHours: number
  log: FastifyBaseLogger
}

/** Keeps the stored events of the last `retentionHours`: what a reconnecting stream may still ask for. */
export function createEventPruner({ transactions, eventRepository, retentionHours, log }: Dependencies) {
  const prune = () =>
    transactions.run((tx) => eventRepository.prune(tx, retentionHours)).then(
      (deleted) => deleted > 0 && log.info({ deleted }, 'expired stream events deleted'),
      (error) => log.warn({ err: error }, 'could not delete expired stream events; the next pass retries'),
    )
  const timer = setInterval(() => void prune(), pruneEveryMilliseconds).unref()
  return { close: () => clearInterval(timer) }
}
