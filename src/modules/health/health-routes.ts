import { databaseAnswers } from '../../platform/database.js'
import type { ErrorCode, ErrorMap } from '../../platform/domain-errors.js'
import { failure, success } from '../../platform/envelope.js'
import type { OperationHandlers } from '../../platform/operations.js'
import type { Pool } from '../../platform/transactions.js'
import { retryAfterSeconds } from '../../plugins/service-unavailable.js'

type Dependencies = {
  pool: Pool
  /** True from the first shutdown signal: a load balancer should stop sending traffic here. */
  isShuttingDown: () => boolean
  /** How long the database may take to answer before it counts as down; within the response deadline. */
  databaseTimeoutMs: number
}

export const healthRoutes = ({ pool, isShuttingDown, databaseTimeoutMs }: Dependencies) => {
  /** Why this instance should get no traffic now, or undefined when it should. */
  async function unreadiness(): Promise<{ code: ErrorCode; message: string; errors: ErrorMap } | undefined> {
    if (isShuttingDown()) return { code: 'SHUTTING_DOWN', message: 'Shutting down', errors: { _: ['This instance is shutting down; use another'] } }
    if (!(await databaseAnswers(pool, databaseTimeoutMs))) return { code: 'DATABASE_UNAVAILABLE', message: 'Database unavailable', errors: { database: ['The database does not answer'] } }
    return undefined
  }
  const getReadiness: OperationHandlers<'getReadiness'>['getReadiness'] = async (request, reply) => {
    const problem = await unreadiness()
    if (!problem) return reply.code(200).send(success(request, 'OK', { status: 'ok' as const }))
    return reply.code(503).header('retry-after', retryAfterSeconds).send(failure(request, problem.code, problem.message, problem.errors))
  }
  return {
    getReadiness,
    // The path probes used before readiness and liveness were told apart: readiness, as it always was. The
    // two operations document the same responses, so one handler serves both.
    getHealth: getReadiness as unknown as OperationHandlers<'getHealth'>['getHealth'],
    async getLiveness(request, reply) {
      return reply.code(200).send(success(request, 'OK', { status: 'ok' as const }))
    },
  } satisfies OperationHandlers<'getHealth' | 'getReadiness' | 'getLiveness'>
}
