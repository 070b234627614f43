import { AsyncLocalStorage } from 'node:async_hooks'
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core'
import { createGroupCommit, type GroupCommitOptions, type Outcome } from './group-commit.js'

/** Drizzle over either driver, as it comes: it can open transactions, which only the runner below does. */
export type Driver = PgDatabase<PgQueryResultHKT>

declare const poolBrand: unique symbol
declare const transactionBrand: unique symbol

/** The database: each statement on it commits by itself. Readers that serve everyone (stream feeds, health) hold it. */
export type Pool = Omit<Driver, 'transaction'> & { readonly [poolBrand]: true }

/**
 * An open transaction, or a savepoint in one: what is written through it commits together or not at all.
 * Only the runner makes one, so code that needs atomicity cannot be handed the pool by mistake.
 */
export type Transaction = Omit<Driver, 'transaction'> & { readonly [transactionBrand]: true }

/** Where a read may run: on the pool, or in a transaction whose writes it must see. */
export type Executor = Pool | Transaction

type Unit = {
  tx: Transaction
  /** Until the driver's transaction (or savepoint) has ended. */
  open: boolean
  /** The last statements of the unit, run after its work (the event log's numbering). */
  beforeCommit: (() => Promise<void>)[]
  /** Run once the outermost transaction the unit belongs to has committed; dropped on a rollback. */
  afterCommit: (() => void)[]
}

type Dependencies = {
  pool: Pool
  /** A side effect after a commit failed: it cannot fail what has been committed, so it is reported. */
  onAfterCommitError: (error: unknown) => void
}

/** The pool and the transactions are one drizzle type underneath; only the runner crosses that line. */
const driverOf = (executor: Executor) => executor as unknown as Driver

/**
 * The one runner of units of work. Each unit decides once, when it starts, where it runs: inside the
 * transaction of the request it belongs to (an idempotent POST, whose transaction the idempotency plugin
 * opens with `request`), as a savepoint there; otherwise in a transaction of its own. Services never ask
 * which: they call `run`, read with `executor()`, and submit to `groupCommit`.
 *
 * The request's transaction is carried in AsyncLocalStorage, here and nowhere else: it is opened by the HTTP
 * layer, which the services must not know about, and handing it through every route and service method would
 * make each of them choose again. Every other transaction is passed explicitly, as `tx`.
 */
export function createTransactions({ pool, onAfterCommitError }: Dependencies) {
  const units = new WeakMap<Transaction, Unit>()
  const requests = new AsyncLocalStorage<Unit>()
  // A request's transaction ends before its response leaves; timers the request started then get the pool.
  const requestUnit = (): Unit | undefined => {
    const unit = requests.getStore()
    return unit?.open ? unit : undefined
  }

  function runAfterCommit(callbacks: (() => void)[]): void {
    for (const callback of callbacks) {
      try {
        callback()
      } catch (error) {
        onAfterCommitError(error)
      }
    }
  }

  function openUnit(tx: Transaction): Unit {
    const unit = units.get(tx)
    if (!unit?.open) throw new Error('Not an open transaction of this runner')
    return unit
  }

  /** A transaction of its own when `parent` is undefined, else a savepoint in `parent`. */
  async function begin<Result>(parent: Unit | undefined, work: (unit: Unit) => Promise<Result>): Promise<Result> {
    let unit: Unit | undefined
    let result: Result
    try {
      result = await driverOf(parent?.tx ?? pool).transaction(async (driver) => {
        const tx = driver as unknown as Transaction
        unit = { tx, open: true, beforeCommit: [], afterCommit: [] }
        units.set(tx, unit)
        const value = await work(unit)
        for (const step of unit.beforeCommit) await step()
        return value
      })
    } finally {
      if (unit) unit.open = false
    }
    // Released into the parent, the callbacks wait for its commit; committed, they run now.
    if (parent) parent.afterCommit.push(...unit!.afterCommit)
    else runAfterCommit(unit!.afterCommit)
    return result
  }

  return {
    /**
     * A unit of work: a savepoint in the request's transaction when there is one, else a transaction of its own.
     * It looks for the request's transaction only: code already in a unit passes its `tx` on instead of calling
     * `run` again, which would open a second transaction beside the first.
     */
    run: <Result>(work: (tx: Transaction) => Promise<Result>): Promise<Result> => begin(requestUnit(), (unit) => work(unit.tx)),

    /** Where a read outside a unit of work goes: the request's transaction, whose writes it must see, else the pool. */
    executor: (): Executor => requestUnit()?.tx ?? pool,

    /**
     * Runs `callback` once what was written through `executor` has committed, with every transaction it is
     * part of (a request's included); at once for the pool. Dropped if any of them rolls back.
     */
    afterCommit(executor: Executor, callback: () => void): void {
      if (executor === pool) runAfterCommit([callback])
      else openUnit(executor as Transaction).afterCommit.push(callback)
    },

    /** Runs `step` in `tx` after its work, as its last statements. */
    beforeCommit(tx: Transaction, step: () => Promise<void>): void {
      openUnit(tx).beforeCommit.push(step)
    },

    /**
     * Group commit (platform/group-commit.ts) with `write` in a transaction per batch. A batch holds items of
     * several requests, so it is always a transaction of its own; an item submitted inside a request's
     * transaction is written in that transaction instead, alone, and commits with the request.
     */
    groupCommit<Item, Result>(
      options: Omit<GroupCommitOptions<Item, Result>, 'write'> & { write: (tx: Transaction, items: Item[]) => Promise<Outcome<Result>[]> },
    ) {
      const batches = createGroupCommit({ ...options, write: (items) => begin(undefined, (unit) => options.write(unit.tx, items)) })
      return {
        submit(item: Item): Promise<Result> {
          const request = requestUnit()
          if (!request) return batches.submit(item)
          return begin(request, async (unit) => {
            const [outcome] = await options.write(unit.tx, [item])
            if (!outcome.ok) throw outcome.error
            return outcome.value
          })
        },
      }
    },

    /**
     * The transaction a whole request runs in (the idempotency plugin's). `work` gets it, and `enter`, which
     * runs the request's handler so that every unit of work in it joins this transaction and every read sees
     * it. Side effects registered with `afterCommit` wait for its commit.
     */
    request: <Result>(work: (tx: Transaction, enter: <Handled>(handler: () => Handled) => Handled) => Promise<Result>): Promise<Result> =>
      begin(undefined, (unit) => work(unit.tx, (handler) => requests.run(unit, handler))),
  }
}

export type Transactions = ReturnType<typeof createTransactions>
