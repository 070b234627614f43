import { componentErrors, specErrors } from '../helpers/spec-validator.js'
import type { FuzzWorld } from './fuzz-world.js'
import { safeRequestId, type FuzzRequest } from './request-arbitraries.js'
import type { FuzzResponse } from './send-request.js'

/** Every string and `tenant_id` in a body, with where it sits. */
function* walk(value: unknown, path = ''): Generator<{ path: string; key: string; value: unknown }> {
  if (typeof value !== 'object' || value === null) return
  for (const [key, child] of Object.entries(value)) {
    yield { path: `${path}/${key}`, key, value: child }
    yield* walk(child, `${path}/${key}`)
  }
}

/** What of tenant B (or of a tenant the caller does not act for) a successful answer shows. */
function leaks(body: unknown, request: FuzzRequest, world: FuzzWorld): string[] {
  // The platform admin manages tenants: their ids and names are the subject of /admin, not a leak.
  if (request.caller.admin && request.operation.path.startsWith('/admin')) return []
  const visible = request.caller.visibleTenants
  const idsOfB = visible.includes(world.tenantB) ? [] : Object.values(world.b).flat()
  const problems: string[] = []
  for (const { path, key, value } of walk(body)) {
    if (key === 'tenant_id' && value !== null && !visible.includes(value as number)) problems.push(`${path} is ${value}; the caller acts for [${visible}]`)
    if (key === 'tenant_ids' && Array.isArray(value) && value.some((id) => !visible.includes(id))) problems.push(`${path} is [${value}]; the caller acts for [${visible}]`)
    if (typeof value !== 'string' || visible.includes(world.tenantB)) continue
    for (const id of idsOfB) if (value.includes(id)) problems.push(`${path} holds ${id}, an id of tenant B`)
    if (value.includes(world.secretOfB)) problems.push(`${path} holds text of tenant B`)
  }
  return problems
}

function jsonOf(text: string): { value?: unknown; error?: string } {
  try {
    return { value: JSON.parse(text) }
  } catch (error) {
    return { error: (error as Error).message }
  }
}

/**
 * What is wrong with a response by openapi.yaml and the tenant rules; empty when nothing is. Never a 5xx; a
 * status the operation documents, with its media type; a JSON body valid against the documented schema (the
 * error envelope for every failure); a stream that opens with a valid event; nothing of another tenant.
 */
export function responseProblems(request: FuzzRequest, response: FuzzResponse, world: FuzzWorld): string[] {
  const { operationId, responses } = request.operation
  const { status, contentType, body } = response
  const problems: string[] = []
  if (status >= 500) problems.push(`status ${status}, a server error`)
  if (request.caller.mustBeRefused && status < 400) problems.push(`status ${status} for a caller that must be refused (${request.caller.kind})`)
  if (!responses.has(status)) return [...problems, `status ${status} is not documented for ${operationId}: ${body.slice(0, 500)}`]
  const sentId = request.headers['x-request-id']
  const echoed = sentId !== undefined && safeRequestId.test(sentId)
  if (echoed ? response.requestId !== sentId : response.requestId === undefined || response.requestId === sentId) {
    problems.push(`X-Request-ID ${JSON.stringify(sentId)} answered with ${JSON.stringify(response.requestId)}`)
  }
  const mediaType = responses.get(status)
  if (!contentType?.startsWith(mediaType ?? '')) problems.push(`Content-Type ${contentType}, documented ${mediaType}`)
  if (request.method === 'HEAD') return body === '' ? problems : [...problems, `a HEAD answered a body: ${body.slice(0, 200)}`]
  if (mediaType === 'text/event-stream') {
    const first = (response.events?.[0] ?? {}) as { type?: string }
    if (first.type !== 'stream.ready') problems.push(`the stream opened with ${JSON.stringify(first)}, not stream.ready`)
    for (const event of response.events ?? []) {
      const errors = componentErrors('StreamEvent', event)
      if (errors.length > 0) problems.push(`event ${JSON.stringify(event)}: ${errors.join('; ')}`)
    }
    return [...problems, ...leaks(response.events, request, world)]
  }
  if (mediaType !== 'application/json') return problems
  const parsed = jsonOf(body)
  if (parsed.error !== undefined) return [...problems, `body is not JSON (${parsed.error}): ${body.slice(0, 500)}`]
  const errors = [...specErrors(operationId, status, parsed.value), ...(status >= 400 ? componentErrors('ErrorResponse', parsed.value) : [])]
  // A replay's body is the first response's, stored whole: its meta names the first request.
  const meta = (parsed.value as { meta?: { request_id?: string } }).meta
  if (meta && !response.replayed && meta.request_id !== response.requestId) {
    errors.push(`meta.request_id ${meta.request_id} is not the X-Request-ID header ${response.requestId}`)
  }
  if (errors.length > 0) problems.push(`body does not match openapi.yaml (${errors.join('; ')}): ${body.slice(0, 500)}`)
  if (status < 300) problems.push(...leaks(parsed.value, request, world))
  return problems
}
