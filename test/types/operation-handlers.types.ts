// Type tests, checked by `npm run check` (tsc): each @ts-expect-error must meet an error, or tsc fails.
// They prove that openapi.yaml, through generated/routes.ts, holds the handlers to the contract.
import { failure, success } from '../../src/platform/envelope.js'
import type { OperationHandler, OperationHandlers } from '../../src/platform/operations.js'

const session = {
  id: '01a1fcaa-b9de-753c-be1a-3d14ae0282bf',
  tenant_id: 1,
  agent_id: 1,
  requester_id: null,
  status: 'OPEN' as const,
  queue_position: null,
  ticket_id: null,
  created_at: '2025-09-01T10:00:00Z',
  updated_at: '2025-09-01T10:00:00Z',
  unread_count: 0,
}

export const fitsTheSpec = (async (request, reply) =>
  reply.code(201).send(success(request, 'Session started', session))) satisfies OperationHandler<'startSession'>

export const wrongData = (async (request, reply) =>
  // @ts-expect-error a 201 of startSession carries a ChatSession, and a session status is OPEN, QUEUED or CLOSED
  reply.code(201).send(success(request, 'Session started', { ...session, status: 'PENDING' }))) satisfies OperationHandler<'startSession'>

export const undocumentedStatus = (async (request, reply) =>
  // @ts-expect-error startSession documents no 410
  reply.code(410).send(failure(request, 'LAST_EVENT_ID_EXPIRED', 'Conflict', {}))) satisfies OperationHandler<'startSession'>

export const bodyIsTyped = (async (request, reply) => {
  // @ts-expect-error SendMessageRequest has `message`, not `text`
  const text: string = request.body.text
  return reply.code(400).send(failure(request, 'VALIDATION_FAILED', text, {}))
}) satisfies OperationHandler<'sendMessage'>

export const unknownCode = (async (request, reply) =>
  // @ts-expect-error an error code outside openapi.yaml's ErrorCode does not compile
  reply.code(400).send(failure(request, 'SOMETHING_WRONG', 'Invalid body', {}))) satisfies OperationHandler<'sendMessage'>

declare const allButHealth: Omit<OperationHandlers, 'getHealth'>
// @ts-expect-error an operation of the spec without a handler does not compile
export const incomplete: OperationHandlers = allButHealth

declare const healthHandler: OperationHandler<'getHealth'>
// @ts-expect-error a handler without an operation in the spec does not compile
export const extra = { getHealth: healthHandler, getWeather: healthHandler } satisfies OperationHandlers<'getHealth'>
