import { and, eq, sql } from 'drizzle-orm'
import { rowsOf } from '../../platform/database.js'
import type { Executor, Transaction } from '../../platform/transactions.js'
import { idempotencyKeys } from './idempotency-table.js'

/** Whose key it is: keys of different users, or of one user in different tenants, never meet. */
export type KeyScope = { userId: number; tenantId: number; key: string }

export type StoredResponse = { statusCode: number; body: string }

const ofScope = (scope: KeyScope) =>
  and(eq(idempotencyKeys.userId, scope.userId), eq(idempotencyKeys.tenantId, scope.tenantId), eq(idempotencyKeys.key, scope.key))

const olderThan = (hours: number) => sql`${idempotencyKeys.createdAt} < now() - make_interval(hours => ${hours})`

export const idempotencyRepository = {
  /**
   * Takes the key in `tx`, or says it is taken. A key held by a transaction still running makes this wait
   * until that one ends (at most `lockTimeoutMs`, then PostgreSQL's lock_timeout error): after a commit
   * the key is taken, after a rollback (a crash) it is ours. A key older than `ttlHours` is taken over.
   */
  async claim(tx: Transaction, scope: KeyScope, requestHash: string, ttlHours: number, lockTimeoutMs: number): Promise<boolean> {
    // One round trip: the CTE sets the transaction's lock_timeout before the insert can wait. It stays for
    // the rest of the transaction: a statement of the request waiting that long would meet the response
    // deadline's 503 anyway.
    const result = await tx.execute(sql`
      with bounded as materialized (select set_config('lock_timeout', ${`${lockTimeoutMs}ms`}, true))
      insert into ${idempotencyKeys} (user_id, tenant_id, key, request_hash)
      select ${scope.userId}::int, ${scope.tenantId}::int, ${scope.key}::text, ${requestHash}::text from bounded
      on conflict (user_id, tenant_id, key) do update
        set request_hash = excluded.request_hash, status_code = null, response_body = null, created_at = now()
        where ${olderThan(ttlHours)}
      returning 1`)
    return rowsOf(result).length === 1
  },

  /** The committed request that holds the key. */
  async find(executor: Executor, scope: KeyScope): Promise<{ requestHash: string; response: StoredResponse } | undefined> {
    const [row] = await executor
      .select({ requestHash: idempotencyKeys.requestHash, statusCode: idempotencyKeys.statusCode, body: idempotencyKeys.responseBody })
      .from(idempotencyKeys)
      .where(ofScope(scope))
    return row && { requestHash: row.requestHash, response: { statusCode: row.statusCode!, body: row.body! } }
  },

  async storeResponse(tx: Transaction, scope: KeyScope, response: StoredResponse): Promise<void> {
    await tx.update(idempotencyKeys).set({ statusCode: response.statusCode, responseBody: response.body }).where(ofScope(scope))
  },

  /** Deletes the keys older than `hours`; returns how many. */
  async prune(tx: Transaction, hours: number): Promise<number> {
    const result = await tx.execute(sql`
      with deleted as (delete from ${idempotencyKeys} where ${olderThan(hours)} returning 1)
      select count(*)::int as count from deleted`)
    return rowsOf<{ count: number }>(result)[0].count
  },
}

export type IdempotencyRepository = typeof idempotencyRepository
