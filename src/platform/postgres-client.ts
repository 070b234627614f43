import type { PendingQuery, Row, Sql, TransactionSql } from 'postgres'
import { PoolAcquireTimeoutError } from './database-errors.js'

export type PoolUsage = { size: number; inUse: number; waiting: number }

type Settings = {
  /** As many slots as the pool has connections. */
  size: number
  acquireTimeoutMs: number
  /** DB_PREPARED_STATEMENTS */
  prepare: boolean
}

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

type Unsafe = (query: string, parameters?: unknown[], options?: Record<string, unknown>) => PendingQuery<Row[]>

/**
 * Every parameterised statement prepared: drizzle asks postgres.js for an unnamed statement unless a query is
 * built with `.prepare(name)`, so PostgreSQL would parse and plan each statement of each request again. Here
 * postgres.js names each distinct statement text once per connection and reuses it; statements without
 * parameters keep the simple protocol.
 */
const preparing =
  (client: Pick<Sql, 'unsafe'>): Unsafe =>
  (query, parameters, options) =>
    client.unsafe(query, parameters as never, parameters && parameters.length > 0 ? { ...options, prepare: true } : options)

const passing =
  (client: Pick<Sql, 'unsafe'>): Unsafe =>
  (query, parameters, options) =>
    client.unsafe(query, parameters as never, options)

/** A transaction's client as drizzle uses it: its statements, and its savepoints, which get the same kind of client. */
function transactionClient(transaction: TransactionSql, statementsOf: (client: Pick<Sql, 'unsafe'>) => Unsafe) {
  return {
    unsafe: statementsOf(transaction),
    savepoint: (callback: (client: unknown) => unknown) =>
      transaction.savepoint((inner) => callback(transactionClient(inner, statementsOf)) as Promise<unknown>),
  }
}

/**
 * The postgres.js pool as drizzle's postgres-js driver gets it: a plain object with the members that driver
 * uses, and nothing else: `options` (it installs its type parsers there), `unsafe` (every statement), `begin`
 * (a transaction; on a transaction's client, `savepoint`). Between them and the pool it adds what postgres.js
 * lacks:
 * - a bounded wait for a connection (postgres.js queues without limit): each statement outside a transaction
 *   and each transaction, for its whole length, takes one of `size` slots; waiting longer than
 *   `acquireTimeoutMs` fails with PoolAcquireTimeoutError. Statements inside a transaction use its connection
 *   and are not gated again;
 * - prepared statements, when `prepare` is set (DB_PREPARED_STATEMENTS).
 * Drizzle's type asks for the whole client (`Sql`), hence the one cast where this is handed to it.
 */
export function createPostgresClient(pool: Sql, { size, acquireTimeoutMs, prepare }: Settings) {
  const slots = createSlots(size, acquireTimeoutMs)
  const statementsOf = prepare ? preparing : passing
  const statement = statementsOf(pool)

  // postgres.js runs a query when it is awaited; drizzle awaits either it or its `.values()`. The slot is
  // taken only then, and held until the answer is in; awaited again, the query does not run again.
  const unsafe: Unsafe = (query, parameters, options) => {
    let running: Promise<unknown> | undefined
    const run = (values: boolean) =>
      (running ??= slots.use(async () => {
        const pending = statement(query, parameters, options)
        return values ? await pending.values() : await pending
      }))
    const lazy = {
      values: () => run(true),
      then: (onFulfilled?: (rows: unknown) => unknown, onRejected?: (error: unknown) => unknown) => run(false).then(onFulfilled, onRejected),
    }
    return lazy as unknown as PendingQuery<Row[]>
  }

  const client = {
    options: pool.options,
    unsafe,
    begin: (callback: (client: unknown) => unknown) =>
      slots.use(() => pool.begin((transaction) => callback(transactionClient(transaction, statementsOf)) as Promise<unknown>)),
  }
  return { client: client as unknown as Sql, usage: slots.usage }
}
