import type { Transactions } from '../../platform/transactions.js'
import type { IdempotencyRepository, KeyScope, StoredResponse } from './idempotency-repository.js'

/** What a request with an Idempotency-Key does. */
export type Claim =
  | { kind: 'replay'; response: StoredResponse }
  | { kind: 'reused' }
  | { kind: 'in-progress' }
  | {
      kind: 'claimed'
      /** Runs the request's handler inside the transaction that holds the key. */
      run: <Result>(handler: () => Promise<Result>) => Promise<Result>
      /**
       * Gives the response the request is about to send. Below 500 it is stored and everything committed
       * (resolves `committed`; rejects if the commit fails); 5xx rolls everything back (`rolled-back`).
       */
      finish: (response: StoredResponse) => Promise<'committed' | 'rolled-back'>
    }

type Dependencies = {
  transactions: Pick<Transactions, 'request' | 'run'>
  idempotencyRepository: IdempotencyRepository
  ttlHours: number
  /** How long a retry waits for the first request with its key to finish before it is 409. */
  lockTimeoutMs: number
}

// PostgreSQL's SQLSTATE for lock_timeout.
const lockNotAvailable = '55P03'
// Drizzle wraps the driver's error; postgres.js throws its own from a failed transaction.
const isLockTimeout = (error: unknown) => {
  const { code, cause } = error as { code?: string; cause?: { code?: string } }
  return (cause?.code ?? code) === lockNotAvailable
}

/** Thrown inside the transaction to roll it back without it being an error. */
class RollBack extends Error {}

/**
 * Exactly once without a "processing" state a crash could leave behind: the key is taken by the first
 * statement of the transaction the whole request runs in, and its response stored by the last. A retry
 * meanwhile waits on the key's row lock, then replays the committed response; if the first process died,
 * its transaction died with it (key, message and all), and the retry runs for real.
 */
export function createIdempotencyService({ transactions, idempotencyRepository, ttlHours, lockTimeoutMs }: Dependencies) {
  return {
    begin(scope: KeyScope, requestHash: string): Promise<Claim> {
      return new Promise<Claim>((decide, fail) => {
        let respond: (response: StoredResponse) => void = () => {}
        const responded = new Promise<StoredResponse>((resolve) => (respond = resolve))
        let handlerSettled: Promise<unknown> = Promise.resolve()

        const transaction = transactions.request(async (tx, enter) => {
          if (!(await idempotencyRepository.claim(tx, scope, requestHash, ttlHours, lockTimeoutMs))) {
            const holder = await idempotencyRepository.find(tx, scope)
            // Absent only if it expired and was pruned between the two statements: as good as in progress.
            if (!holder) return decide({ kind: 'in-progress' })
            return decide(holder.requestHash === requestHash ? { kind: 'replay', response: holder.response } : { kind: 'reused' })
          }
          decide({
            kind: 'claimed',
            run(handler) {
              const running = enter(handler)
              handlerSettled = running.catch(() => {})
              return running
            },
            finish(response) {
              respond(response)
              return outcome
            },
          })
          const response = await responded
          if (response.statusCode >= 500) {
            // A deadline's 503 may come while the handler still works in this transaction: it ends first.
            // (Otherwise the handler has sent the response and is done; its promise, which takes on the
            // reply's `then`, settles only once the response is out, so it is not waited for here.)
            await handlerSettled
            throw new RollBack()
          }
          await idempotencyRepository.storeResponse(tx, scope, response)
        })

        const outcome = transaction.then(
          () => 'committed' as const,
          (error: unknown) => {
            if (error instanceof RollBack) return 'rolled-back' as const
            throw error
          },
        )
        // Before a decision, a failure is the claim's; after one, `finish` reports it (a second call is a no-op).
        outcome.catch((error: unknown) => (isLockTimeout(error) ? decide({ kind: 'in-progress' }) : fail(error)))
      })
    },

    /** Deletes the keys older than the TTL; returns how many. */
    prune: (): Promise<number> => transactions.run((tx) => idempotencyRepository.prune(tx, ttlHours)),
  }
}

export type IdempotencyService = ReturnType<typeof createIdempotencyService>
