import client from '@platformatic/prom-client'
import type { FastifyRequest } from 'fastify'
import fastifyMetrics from 'fastify-metrics'
import { pipelineStage } from '../../platform/pipeline-stage.js'
import type { PoolUsage } from '../../platform/postgres-client.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** What /metrics serves (fastify-metrics takes the name `metrics` for itself). */
    metricsExposition: Metrics
  }
}

type Sources = {
  openStreams: () => number
  /** Absent on PGlite, which has no pool: the pool gauges are left out there. */
  poolUsage?: () => PoolUsage
}

export type Metrics = { exposition: () => Promise<{ contentType: string; text: string }> }

// Prometheus's default buckets: 5 ms to 10 s, around the 5 s RESPONSE_TIMEOUT_SECONDS.
const latencyBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
const unknownRoute = '__unknown__'

// Process metrics (CPU, memory, event loop, GC) describe the process, not one app. They are collected once per
// process: each collection starts a GC observer and an event-loop monitor that are never stopped, and tests
// build hundreds of apps in one process.
let processRegistry: client.Registry | undefined
function processMetrics(): client.Registry {
  if (!processRegistry) {
    processRegistry = new client.Registry()
    client.collectDefaultMetrics({ register: processRegistry })
  }
  return processRegistry
}

/** The operationId; a route outside openapi.yaml (the docs) by its pattern; a URL that matches no route, never by itself. */
const operationLabel = (request: FastifyRequest): string => request.routeOptions.config.operationId ?? request.routeOptions.url ?? unknownRoute

/**
 * Request metrics through fastify-metrics, into a registry of this app's own (no global registry: several apps
 * in one process do not clash), with gauges read at scrape time. It comes before CORS, the rate limits and
 * authentication, so that their time and their refusals are counted.
 */
export const metrics = pipelineStage<Sources>('metrics', ['response-deadline'], async (app, sources) => {
  const registry = new client.Registry()
  // fastify-metrics is typed for @prometheus-io/client; @platformatic/prom-client is its drop-in, with the same
  // API under other type names: hence `as never` for the client and the registry.
  // The plugin is the CommonJS module's `default` export.
  await app.register(fastifyMetrics.default, {
    // No route of the plugin's own: openapi.yaml's getMetrics operation serves the metrics.
    endpoint: null,
    promClient: client as never,
    defaultMetrics: { enabled: false },
    routeMetrics: {
      enabled: { histogram: true, summary: false },
      // Requests that match no route are counted too, all under one label.
      registeredRoutesOnly: false,
      overrides: {
        labels: { route: 'operation', getRouteLabel: operationLabel },
        histogram: { help: 'Request duration in seconds, by operation, method and status code', buckets: latencyBuckets, registers: [registry as never] },
        // The plugin makes the summary even when it is off; registered nowhere, it costs nothing.
        summary: { registers: [] },
      },
    },
  })
  new client.Gauge({
    name: 'livechat_event_streams_open',
    help: 'Event streams open on this instance',
    registers: [registry],
    collect() {
      this.set(sources.openStreams())
    },
  })
  const { poolUsage } = sources
  if (poolUsage) {
    const poolGauge = (name: string, help: string, read: (usage: PoolUsage) => number) =>
      new client.Gauge({ name, help, registers: [registry], collect() { this.set(read(poolUsage())) } })
    poolGauge('livechat_db_pool_connections', 'Connections the PostgreSQL pool may hold (DB_POOL_MAX)', (usage) => usage.size)
    poolGauge('livechat_db_pool_connections_in_use', 'Pool connections running a query or a transaction', (usage) => usage.inUse)
    poolGauge('livechat_db_pool_waiting', 'Queries and transactions waiting for a pool connection', (usage) => usage.waiting)
  }
  const registries = [processMetrics(), registry]
  app.decorate('metricsExposition', {
    async exposition() {
      const merged = client.Registry.merge(registries)
      return { contentType: merged.contentType, text: await merged.metrics() }
    },
  } satisfies Metrics)
})
