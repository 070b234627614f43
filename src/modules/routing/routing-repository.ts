import { and, asc, eq, sql } from 'drizzle-orm'
import { rowsOf } from '../../platform/database.js'
import type { Executor, Transaction } from '../../platform/transactions.js'
import { chatSessions, sessionStatusIs } from '../livechat/livechat-tables.js'
import { agentPresence } from '../presence/presence-table.js'
import { tenants } from '../tenants/tenant-table.js'

/** An ONLINE agent as routing weighs them: how many OPEN sessions they have here, and when they were last given one. */
export type AgentLoad = { agentId: number; open: number; lastAssignedAt: number | null }

// The first key of the tenant's routing lock (the second is the tenant id): "rout" in ASCII.
const routingLockClass = 0x726f7574

export const routingRepository = {
  /**
   * Holds the tenant's routing lock until the transaction ends: who gets which session is decided one decision
   * at a time per tenant, on every instance. A transaction-level advisory lock, so it needs no row and ends
   * with the commit, also through a transaction-pooling PgBouncer.
   */
  async lock(tx: Transaction, tenantId: number): Promise<void> {
    await tx.execute(sql`select pg_advisory_xact_lock(${routingLockClass}, ${tenantId})`)
  },

  /** The same lock, only if no one holds it: a sweep leaves a tenant to whoever is routing there already. */
  async tryLock(tx: Transaction, tenantId: number): Promise<boolean> {
    const result = await tx.execute(sql`select pg_try_advisory_xact_lock(${routingLockClass}, ${tenantId}) as locked`)
    return rowsOf<{ locked: boolean }>(result)[0].locked
  },

  async capacity(executor: Executor, tenantId: number): Promise<number> {
    const [row] = await executor.select({ capacity: tenants.agentCapacity }).from(tenants).where(eq(tenants.id, tenantId))
    return row?.capacity ?? 0
  },

  /** The tenant's ONLINE agents (a presence call within `ttlSeconds`) with their OPEN sessions here. */
  async onlineAgentLoads(executor: Executor, tenantId: number, ttlSeconds: number): Promise<AgentLoad[]> {
    const rows = await executor
      .select({
        agentId: agentPresence.agentId,
        // Qualified by hand: drizzle leaves the outer columns bare in a one-table select, and bare they would
        // mean the subquery's own.
        open: sql<number>`(select count(*) from ${chatSessions} s
          where s.tenant_id = agent_presence.tenant_id and s.agent_id = agent_presence.agent_id and s.status = 'OPEN')`.mapWith(Number),
        lastAssignedAt: sql<Date | string | null>`(select max(s.assigned_at) from ${chatSessions} s
          where s.tenant_id = agent_presence.tenant_id and s.agent_id = agent_presence.agent_id and s.assigned_at is not null)`,
      })
      .from(agentPresence)
      .where(
        and(
          eq(agentPresence.tenantId, tenantId),
          eq(agentPresence.status, 'ONLINE'),
          // The clock, not the transaction's start: the lock may have been waited for.
          sql`${agentPresence.updatedAt} > clock_timestamp() - make_interval(secs => ${ttlSeconds})`,
        ),
      )
    return rows.map((row) => ({ agentId: row.agentId, open: row.open, lastAssignedAt: row.lastAssignedAt === null ? null : new Date(row.lastAssignedAt).getTime() }))
  },

  /** Tenants with a queue: those a sweep looks at. */
  async tenantsWithQueue(executor: Executor): Promise<number[]> {
    const rows = await executor.selectDistinct({ tenantId: chatSessions.tenantId }).from(chatSessions).where(sessionStatusIs.QUEUED)
    return rows.map((row) => row.tenantId)
  },

  /** The QUEUED sessions that have waited `seconds` or more, oldest first. */
  async expiredQueue(executor: Executor, tenantId: number, seconds: number): Promise<{ id: string; requesterId: number; subject: string | null }[]> {
    const rows = await executor
      .select({ id: chatSessions.id, requesterId: chatSessions.requesterId, subject: chatSessions.subject })
      .from(chatSessions)
      .where(
        and(
          eq(chatSessions.tenantId, tenantId),
          sessionStatusIs.QUEUED,
          sql`${chatSessions.createdAt} <= clock_timestamp() - make_interval(secs => ${seconds})`,
        ),
      )
      .orderBy(asc(chatSessions.createdAt), asc(chatSessions.id))
    // Only tenant users' requests are ever QUEUED.
    return rows.map((row) => ({ ...row, requesterId: row.requesterId! }))
  },
}

export type RoutingRepository = typeof routingRepository
