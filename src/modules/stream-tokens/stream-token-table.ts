import { index, integer, pgTable, text, timestamp } from 'drizzle-orm/pg-core'

/** Single-use tokens for EventSource, which cannot send headers; only a hash of the token is kept. */
export const streamTokens = pgTable(
  'stream_tokens',
  {
    tokenHash: text('token_hash').primaryKey(),
    userId: integer('user_id').notNull(),
    roles: text('roles').array().notNull(),
    // The tenant given when the token was made, or NULL for an agent stream over `tenantIds`.
    tenantId: integer('tenant_id'),
    tenantIds: integer('tenant_ids').array().notNull(),
    path: text('path').notNull(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    // When the bearer token it was made with expires: the stream it opens ends then.
    credentialExpiresAt: timestamp('credential_expires_at', { withTimezone: true }).notNull(),
    usedAt: timestamp('used_at', { withTimezone: true }),
  },
  (table) => [index('stream_tokens_expiry').on(table.expiresAt)],
)
