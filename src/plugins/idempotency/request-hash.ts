import { createHash } from 'node:crypto'

/**
 * JSON with object keys in code-point order, so `{"a":1,"b":2}` and `{"b":2,"a":1}` are one request.
 * Objects are walked as entry lists: no key of the request is ever used to index an object.
 */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value).sort(([left], [right]) => (left < right ? -1 : left > right ? 1 : 0))
    return `{${entries.map(([key, child]) => `${JSON.stringify(key)}:${canonicalJson(child)}`).join(',')}}`
  }
  return JSON.stringify(value) ?? 'null'
}

/** What makes two requests with one Idempotency-Key the same request: operation, path parameters and body. */
export function requestHash(operationId: string, params: unknown, body: unknown): string {
  return createHash('sha256')
    .update(canonicalJson([operationId, params ?? {}, body ?? null]))
    .digest('hex')
}
