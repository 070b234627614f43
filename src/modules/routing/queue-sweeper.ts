import type { FastifyBaseLogger } from 'fastify'
import type { Executor } from '../../platform/transactions.js'
import type { RoutingRepository } from './routing-repository.js'
import type { RoutingService } from './routing-service.js'

type Dependencies = {
  executor: () => Executor
  routingRepository: Pick<RoutingRepository, 'tenantsWithQueue'>
  routing: Pick<RoutingService, 'sweep'>
  /** Whether every pool connection is taken: a sweep then waits for the next turn rather than queue behind requests. */
  poolFull: () => boolean
  log: FastifyBaseLogger
}

// Often enough that a chat never waits a second longer than QUEUE_MAX_WAIT_SECONDS, nor longer than a second
// for a seat that freed without a decision of its own (an agent's presence renewed by their open stream).
const sweepEveryMilliseconds = 500

/**
 * On every instance, twice a second: each tenant with a queue has it served, and its chats that waited too long
 * filed as tickets, unless another decision of that tenant is under way (which serves it itself).
 */
export function createQueueSweeper({ executor, routingRepository, routing, poolFull, log }: Dependencies) {
  let sweeping = false
  async function sweep(): Promise<void> {
    if (sweeping || poolFull()) return
    sweeping = true
    try {
      for (const tenantId of await routingRepository.tenantsWithQueue(executor())) {
        // One tenant's failure leaves the others served.
        await routing.sweep(tenantId).catch((error: unknown) => log.warn({ err: error, tenantId }, 'could not serve the queue; the next sweep retries'))
      }
    } catch (error) {
      log.warn({ err: error }, 'could not find the queues to serve; the next sweep retries')
    } finally {
      sweeping = false
    }
  }
  const timer = setInterval(() => void sweep(), sweepEveryMilliseconds).unref()
  return { close: () => clearInterval(timer) }
}
