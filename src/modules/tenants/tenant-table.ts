import { boolean, integer, pgTable, text, timestamp } from 'drizzle-orm/pg-core'

// Tenants are the distribution key of every other table, so this one is not tenant-owned itself.
export const tenants = pgTable('tenants', {
  id: integer('id').primaryKey().generatedAlwaysAsIdentity(),
  name: text('name').notNull(),
  active: boolean('active').notNull().default(true),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
})
