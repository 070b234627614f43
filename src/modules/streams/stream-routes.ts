import type { FastifyReply, FastifyRequest } from 'fastify'
import type { operations } from '../../../generated/openapi.js'
import { success } from '../../platform/envelope.js'
import type { OperationHandlers } from '../../platform/operations.js'
import type { Side } from '../event-log/stream-event.js'
import type { StreamAdmission } from './stream-admission.js'
import type { StreamRegistry } from './stream-registry.js'
import type { StreamTokenService } from '../stream-tokens/stream-token-service.js'

type Streams = { admission: StreamAdmission; registry: StreamRegistry }

// Both streams take the same query.
type StreamQuery = NonNullable<operations['streamAgentEvents']['parameters']['query']>

/** Everything that can be refused is refused in the envelope; only then does the stream take the socket. */
async function openStream(streams: Streams, request: FastifyRequest, query: StreamQuery, reply: FastifyReply, side: Side): Promise<void> {
  const header = request.headers['last-event-id']
  const plan = await streams.admission.prepare({
    side,
    userId: request.principal.userId,
    tenantId: request.tenantId,
    tokenTenantIds: request.principal.tenantIds,
    sessionId: query.session_id,
    lastEventId: typeof header === 'string' ? header : query.last_event_id,
    expiresAt: request.principal.expiresAt,
  })
  // The response deadline answered 503 while the stream was being prepared: the client retries.
  if (reply.sent) return
  // A HEAD (Fastify answers one for every GET) learns what the GET would answer; a stream has no end, so
  // starting one would leave the response open and block every later request on that connection.
  if (request.method === 'HEAD') {
    await reply.code(200).header('cache-control', 'no-cache, no-transform').type('text/event-stream; charset=utf-8').send()
    return
  }
  reply.hijack()
  streams.registry.start(plan, reply.raw, reply.getHeaders())
}

export const streamRoutes = (streams: Streams, streamTokens: StreamTokenService) =>
  ({
    streamAgentEvents: (request, reply) => openStream(streams, request, request.query, reply, 'agent'),
    streamClientEvents: (request, reply) => openStream(streams, request, request.query, reply, 'tenant'),
    async createStreamToken(request, reply) {
      const token = await streamTokens.issue(request.principal, request.tenantId, request.body?.path)
      return reply.code(201).send(success(request, 'Stream token issued', token))
    },
  }) satisfies OperationHandlers<'streamAgentEvents' | 'streamClientEvents' | 'createStreamToken'>
