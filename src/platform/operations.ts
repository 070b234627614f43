import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type {
  ContextConfigDefault,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerDefault,
  RouteGenericInterface,
  RouteHandlerMethod,
} from 'fastify'
import { operations } from '../../generated/routes.js'
import { pipelineStage } from './pipeline-stage.js'

export type OperationId = keyof typeof operations
export type OperationSecurity = (typeof operations)[OperationId]['security']

/** A handler typed by its operation's generated schemas: request parts in, every documented response out. */
export type OperationHandler<Id extends OperationId> = RouteHandlerMethod<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  RouteGenericInterface,
  ContextConfigDefault,
  (typeof operations)[Id]['schema'],
  TypeBoxTypeProvider
>

// Modules declare their handlers with `satisfies OperationHandlers<'a' | 'b'>`; app.ts joins them into the
// full map, so an operation without a handler, or a handler without an operation, does not compile.
export type OperationHandlers<Ids extends OperationId = OperationId> = { [Id in Ids]: OperationHandler<Id> }

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The operation of openapi.yaml the route serves; metrics are labelled with it. */
    operationId?: OperationId
    security?: OperationSecurity
    bodyRequired?: boolean
  }
}

/** Wraps an operation's handler: the idempotency layer wraps every POST's. */
export type HandlerWrapper = (operation: { operationId: OperationId; method: string }, handler: RouteHandlerMethod) => RouteHandlerMethod

/**
 * The routes of openapi.yaml, last of all: a route gets only the hooks added before it, and the error handler,
 * body parser and validator that were set then.
 */
export const operationRoutes = pipelineStage<{ handlers: OperationHandlers; wrapHandler: HandlerWrapper }>(
  'operations',
  ['user-rate-limit', 'error-handler', 'json-body', 'validation', 'idempotency'],
  async (app, { handlers, wrapHandler }) => {
    for (const [operationId, operation] of Object.entries(operations)) {
      const { method, url, schema, security, bodyRequired } = operation
      app.route({
        method,
        url,
        schema,
        config: { operationId: operationId as OperationId, security, bodyRequired },
        handler: wrapHandler({ operationId: operationId as OperationId, method }, handlers[operationId as OperationId] as RouteHandlerMethod),
      })
    }
  },
)
