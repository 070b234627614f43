import { index, integer, pgTable, primaryKey, smallint, text, timestamp } from 'drizzle-orm/pg-core'

/**
 * The first response to each `Idempotency-Key`, per user and tenant. A row is inserted as the first
 * statement of the transaction its request runs in and gets its response just before that commits, so
 * other transactions only ever see it complete; a request that dies takes its row with it.
 */
export const idempotencyKeys = pgTable(
  'idempotency_keys',
  {
    // 0 for operations that take no tenant (the admin API).
    tenantId: integer('tenant_id').notNull(),
    userId: integer('user_id').notNull(),
    key: text('key').notNull(),
    // sha256 of the operation, its path parameters and its body: the same key for another request is 422.
    requestHash: text('request_hash').notNull(),
    // NULL only inside the transaction of the request that holds the key.
    statusCode: smallint('status_code'),
    // The response body as it was sent, envelope and all.
    responseBody: text('response_body'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [primaryKey({ columns: [table.tenantId, table.userId, table.key] }), index('idempotency_keys_created').on(table.createdAt)],
)
