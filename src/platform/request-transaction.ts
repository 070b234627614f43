import { AsyncLocalStorage } from 'node:async_hooks'
import type { Database } from './database.js'

type Ambient = { tx: Database; open: boolean; afterCommit: (() => void)[] }

/** The transaction a request runs in, as its owner (the idempotency layer) holds it. */
export type RequestTransaction = {
  /** Runs `work` with this transaction as the ambient one: the services' queries go into it. */
  run: <Result>(work: () => Result) => Result
  /**
   * Ends the ambient context: later queries (timers the request started, say) go to the pool. After a
   * commit the `afterCommit` callbacks run; after a rollback they are dropped.
   */
  end: (committed: boolean) => void
}

/**
 * Lets one request's whole handler run in a transaction it does not know about. Services are given
 * `db`, a stand-in for the database whose every property is read from the ambient transaction when the
 * current request has one, and from the database otherwise; their own `db.transaction` calls then become
 * savepoints inside it. Side effects that must wait for the commit go through `afterCommit`.
 */
export function createRequestTransactions(database: Database, onCallbackError: (error: unknown) => void) {
  const storage = new AsyncLocalStorage<Ambient>()
  const current = () => {
    const ambient = storage.getStore()
    return ambient?.open ? ambient : undefined
  }

  const db = new Proxy(database, {
    get(target, property) {
      const executor = current()?.tx ?? target
      const value: unknown = Reflect.get(executor, property, executor)
      return typeof value === 'function' ? value.bind(executor) : value
    },
  })

  return {
    db,

    /** Whether the current request runs in a transaction of its own, which every query of it must join. */
    inRequestTransaction: (): boolean => current() !== undefined,

    /** Runs `callback` once what was written so far is committed: at once outside a request transaction. */
    afterCommit(callback: () => void): void {
      const ambient = current()
      if (ambient) ambient.afterCommit.push(callback)
      else callback()
    },

    begin(tx: Database): RequestTransaction {
      const ambient: Ambient = { tx, open: true, afterCommit: [] }
      return {
        run: (work) => storage.run(ambient, work),
        end(committed) {
          ambient.open = false
          if (!committed) return
          for (const callback of ambient.afterCommit) {
            try {
              callback()
            } catch (error) {
              onCallbackError(error)
            }
          }
        },
      }
    },
  }
}

export type RequestTransactions = ReturnType<typeof createRequestTransactions>
