// Type tests, checked by `npm run check` (tsc): each @ts-expect-error must meet an error, or tsc fails.
// They prove that the pool and a transaction cannot stand in for each other by accident, and that only the
// runner of platform/transactions.ts opens transactions.
import type { EventLog } from '../../src/modules/event-log/event-log.js'
import type { EventDraft } from '../../src/modules/event-log/stream-event.js'
import { sessionRepository } from '../../src/modules/livechat/session-repository.js'
import type { Driver, Executor, Pool, Transaction, Transactions } from '../../src/platform/transactions.js'

declare const pool: Pool
declare const tx: Transaction
declare const executor: Executor
declare const driver: Driver
declare const transactions: Transactions
declare const events: EventLog
declare const draft: EventDraft

// A write that must commit with what else its unit writes takes a transaction.
export const closeInTransaction = () => sessionRepository.close(tx, 1, 'session')
// @ts-expect-error the pool, where each statement commits alone, is not a transaction
export const closeOnPool = () => sessionRepository.close(pool, 1, 'session')
// @ts-expect-error nor is an executor, which may be the pool
export const closeOnExecutor = () => sessionRepository.close(executor, 1, 'session')
// @ts-expect-error nor drizzle's database as it comes, unbranded
export const closeOnDriver = () => sessionRepository.close(driver, 1, 'session')

// A read runs on either.
export const readOnPool = () => sessionRepository.findById(pool, 1, 'session')
export const readInTransaction = () => sessionRepository.findById(tx, 1, 'session')

// @ts-expect-error an event is stored with what it tells of: it cannot be emitted on the pool
export const emitOnPool = () => events.emit(pool, draft)

// @ts-expect-error a reader that serves every stream must not be handed a request's transaction
export const feedReadsTransaction: Pool = tx

// Transactions come from the runner only.
export const unitOfWork = () => transactions.run((tx) => sessionRepository.close(tx, 1, 'session'))
// @ts-expect-error the pool opens none beside it
export const openedOnPool = () => pool.transaction(async () => {})
// @ts-expect-error nor does a transaction open a savepoint beside it
export const savepointBeside = () => tx.transaction(async () => {})
