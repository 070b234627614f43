import type { OperationHandlers } from '../../platform/operations.js'
import type { Metrics } from './metrics.js'

export const metricsRoutes = (metrics: Metrics) =>
  ({
    async getMetrics(_request, reply) {
      const { contentType, text } = await metrics.exposition()
      return reply.code(200).type(contentType).send(text)
    },
  }) satisfies OperationHandlers<'getMetrics'>
