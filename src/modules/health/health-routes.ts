import { databaseAnswers, type Database } from '../../platform/database.js'
import { failure, success } from '../../platform/envelope.js'
import type { OperationHandlers } from '../../platform/operations.js'

export const healthRoutes = (db: Database) =>
  ({
    async getHealth(request, reply) {
      if (await databaseAnswers(db)) return reply.code(200).send(success(request, 'OK', { status: 'ok' as const }))
      return reply.code(503).send(failure(request, 'Database unavailable', { database: ['The database does not answer'] }))
    },
  }) satisfies OperationHandlers<'getHealth'>
