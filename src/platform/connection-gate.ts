import type { PendingQuery, Row, Sql } from 'postgres'
import { PoolAcquireTimeoutError } from './database-errors.js'

export type PoolUsage = { size: number; inUse: number; waiting: number }

type Waiter = { resolve: () => void; timer: NodeJS.Timeout }

/** `size` slots, taken in arrival order; a caller that waits longer than `acquireTimeoutMs` gives up. */
function createSlots(size: number, acquireTimeoutMs: number) {
  let inUse = 0
  // A Set keeps arrival order and forgets a waiter that gave up in constant time.
  const waiters = new Set<Waiter>()

  function acquire(): Promise<void> {
    if (inUse < size) {
      inUse++
      return Promise.resolve()
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        timer: setTimeout(() => {
          waiters.delete(waiter)
          reject(new PoolAcquireTimeoutError(acquireTimeoutMs))
        }, acquireTimeoutMs),
      }
      waiters.add(waiter)
    })
  }

  function release(): void {
    const [next] = waiters
    if (!next) return void inUse--
    // The slot passes straight to the longest waiter.
    waiters.delete(next)
    clearTimeout(next.timer)
    next.resolve()
  }

  return {
    async use<T>(work: () => Promise<T>): Promise<T> {
      await acquire()
      try {
        return await work()
      } finally {
        release()
      }
    },
    usage: (): PoolUsage => ({ size, inUse, waiting: waiters.size }),
  }
}

/**
 * The postgres.js client as drizzle gets it, with a bounded wait for a connection, which postgres.js lacks
 * (it queues without limit). Each query (`unsafe`) and each transaction (`begin`, for its whole length)
 * takes one of `size` slots, as many as the pool has connections; waiting longer than `acquireTimeoutMs`
 * fails with PoolAcquireTimeoutError. Those are the only two ways drizzle's postgres-js session reaches the
 * client; queries inside a transaction use the transaction's own connection and are not gated again.
 */
export function gateClient(client: Sql, size: number, acquireTimeoutMs: number): { client: Sql; usage: () => PoolUsage } {
  const slots = createSlots(size, acquireTimeoutMs)

  // postgres.js runs a query when it is awaited; drizzle awaits either it or its `.values()`. The slot is
  // taken only then, and held until the answer is in; awaited again, the query does not run again.
  function unsafe(query: string, parameters?: unknown[], options?: object): PendingQuery<Row[]> {
    let running: Promise<unknown> | undefined
    const run = (values: boolean) =>
      (running ??= slots.use(async () => {
        const pending = client.unsafe(query, parameters as never, options)
        return values ? await pending.values() : await pending
      }))
    const lazy = {
      values: () => run(true),
      then: (onFulfilled?: (rows: unknown) => unknown, onRejected?: (error: unknown) => unknown) => run(false).then(onFulfilled, onRejected),
    }
    return lazy as unknown as PendingQuery<Row[]>
  }

  const begin = (...args: unknown[]) => slots.use(() => (client.begin as (...args: unknown[]) => Promise<unknown>)(...args))

  const gated = new Proxy(client, {
    get: (target, property, receiver) => (property === 'unsafe' ? unsafe : property === 'begin' ? begin : Reflect.get(target, property, receiver)),
  })
  return { client: gated, usage: slots.usage }
}
