import type { FastifyPluginAsync, FastifyPluginOptions } from 'fastify'
import { fastifyPlugin } from 'fastify-plugin'

/** The parts of the request pipeline whose order matters (app.ts registers them, in this order). */
export type StageName =
  | 'request-id'
  | 'shutdown-gate'
  | 'response-deadline'
  | 'service-lifecycle'
  | 'metrics'
  | 'error-handler'
  | 'cors'
  | 'json-body'
  | 'validation'
  | 'address-rate-limit'
  | 'authentication'
  | 'user-rate-limit'
  | 'docs'
  | 'console'
  | 'idempotency'
  | 'operations'

/**
 * A plugin of the pipeline, sharing the app's scope (its hooks and decorators reach every route), that names
 * the stages it must follow. Fastify hooks of one kind run in the order they were added, and a route gets only
 * the hooks added before it; so a stage registered before one it follows refuses to start the app
 * ("The dependency '…' of plugin '…' is not registered") instead of answering in the wrong order.
 */
export function pipelineStage<Options extends FastifyPluginOptions = Record<never, never>>(
  name: StageName,
  follows: readonly StageName[],
  plugin: FastifyPluginAsync<Options>,
): FastifyPluginAsync<Options> {
  return fastifyPlugin(plugin, { name, dependencies: [...follows], fastify: '5.x' })
}
