import fc from 'fast-check'
import type { FuzzWorld, IdKind } from './fuzz-world.js'
import type { JsonSchema, Operation, Parameter } from './openapi-operations.js'
import { resolveReference } from './openapi-operations.js'
import { validValue } from './schema-arbitrary.js'

/** Valid and invalid values of one part of a request. */
export type Part<T> = { valid: fc.Arbitrary<T>; invalid: fc.Arbitrary<T> }

const dereference = (schema: JsonSchema): JsonSchema => (schema.$ref ? dereference(resolveReference(schema.$ref)) : schema)

/** Percent-encodes text for a URL; a lone surrogate becomes its CESU-8 bytes, which no UTF-8 decoder accepts. */
export function encodeComponent(text: string): string {
  let encoded = ''
  for (const character of text) {
    const code = character.codePointAt(0)!
    if (code < 0xd800 || code > 0xdfff) encoded += encodeURIComponent(character)
    else encoded += [0xe0 | (code >> 12), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f)].map((byte) => `%${byte.toString(16).toUpperCase()}`).join('')
  }
  return encoded
}

/** Which seeded ids a uuid parameter or property names, so valid requests reach real rows. */
export function idKindOf(operation: Operation, name: string): IdKind {
  const { path, operationId } = operation
  if (name === 'message_id') return 'message'
  if (name === 'session_id') return 'session'
  if (name === 'cursor') {
    if (path.endsWith('/messages')) return 'message'
    if (path.endsWith('/replies')) return 'reply'
    if (path.startsWith('/tickets')) return 'ticket'
    if (path.startsWith('/notifications')) return 'notification'
    return 'session'
  }
  // Updates and closes go to rows set aside for them; the other sessions and tickets stay open for writes.
  if (path.startsWith('/tickets')) return operationId === 'updateTicket' ? 'mutableTicket' : 'ticket'
  if (path.startsWith('/notifications')) return 'notification'
  if (operationId === 'closeSession') return 'closableSession'
  // Chats tenant users asked for: the fuzz's tenant users may leave theirs; others', no caller can close, are
  // for agents to keep or transfer.
  if (operationId === 'closeClientSession') return 'requestedSession'
  if (operationId === 'assignSession') return 'assignableSession'
  return 'session'
}

/** Ids of the caller's tenant mostly, of the other tenant sometimes (each must be 404 or 400), and unknown ones. */
export function uuidSource(world: FuzzWorld, operation: Operation) {
  return (name: string): fc.Arbitrary<string> => {
    const kind = idKindOf(operation, name)
    return fc.oneof(
      { arbitrary: fc.constantFrom(...world.a[kind]), weight: 6 },
      { arbitrary: fc.constantFrom(...world.b[kind]), weight: 2 },
      { arbitrary: fc.uuid(), weight: 1 },
    )
  }
}

/** Text values of a path or query parameter that its schema refuses, or that probe the parser. */
function invalidTexts(schema: JsonSchema): fc.Arbitrary<string> {
  const resolved = dereference(schema)
  const common = fc.oneof(
    fc.constantFrom('', ' ', 'null', 'undefined', '[]', '{}', '..', '%', '%zz', '\uD800', '\u0000', '😀', '\u202Eabc', "1' or '1'='1"),
    fc.string({ unit: 'grapheme', maxLength: 30 }),
    fc.integer({ min: 20, max: 20_000 }).map((length) => '9'.repeat(length)),
  )
  if (resolved.format === 'uuid') {
    return fc.oneof(common, fc.uuid().map((id) => `urn:uuid:${id}`), fc.uuid().map((id) => `${id} `), fc.uuid().map((id) => `{${id}}`), fc.uuid().map((id) => id.replaceAll('-', '')))
  }
  if (resolved.type === 'integer') {
    const { minimum = 1, maximum = 2 ** 31 - 1 } = resolved
    return fc.oneof(common, fc.constantFrom(String(minimum - 1), String(maximum + 1), '-1', '1.5', '1e400', 'NaN', 'Infinity', '-0', String(2 ** 53 + 2)))
  }
  if (resolved.type === 'boolean') return fc.oneof(common, fc.constantFrom('yes', '2', 'TRUE', 'on'))
  if (resolved.enum) return fc.oneof(common, fc.constantFrom(...resolved.enum.map((value: string) => value.toLowerCase()), `${resolved.enum[0]}x`))
  return fc.oneof(common, fc.constant('x'.repeat((resolved.maxLength ?? 1000) + 1)))
}

/** A valid value of a path or query parameter, as text. */
function validText(world: FuzzWorld, operation: Operation, parameter: Parameter): fc.Arbitrary<string> {
  if (parameter.name === 'agent_id') {
    return fc.oneof(fc.constantFrom(...world.usersByRole.SUPPORT_AGENT), fc.integer({ min: 1, max: 2 ** 31 - 1 })).map(String)
  }
  // The tenant list's cursor is a tenant id.
  if (parameter.name === 'cursor' && dereference(parameter.schema).type === 'integer') {
    return fc.constantFrom(world.tenantA, world.tenantB, world.scratchTenant).map(String)
  }
  // Updates stay away from A and B: deactivating them would turn the rest of the run into 403s.
  if (parameter.name === 'tenant_id') return fc.oneof(fc.constant(world.scratchTenant), fc.integer({ min: 1_000_000, max: 2 ** 31 - 1 })).map(String)
  return validValue(parameter.schema, `${operation.operationId} ${parameter.name}`, uuidSource(world, operation), parameter.name).map(String)
}

const isStreamPosition = (parameter: Parameter) => parameter.schema.$ref === '#/components/schemas/StreamPosition'

/**
 * Stream positions in the form the service writes them (`a12:3-41,7-0`: side and user, then tenant and event
 * number pairs), for any user and side, naming tenant A, B or unknown ones, at event numbers from 0 to far
 * past the head. Most are someone else's and must be 400; those of the caller resume, and must replay
 * nothing of another tenant.
 */
function streamPositionArbitrary(world: FuzzWorld): fc.Arbitrary<string> {
  const tenant = fc.constantFrom(world.tenantA, world.tenantA, world.tenantB, world.scratchTenant, 999_999)
  const seq = fc.oneof(fc.constantFrom(0, 1, 2 ** 53 - 1, 999_999_999_999_999), fc.integer({ min: 0, max: 300 }))
  const side = fc.oneof(
    fc.constantFrom(...world.usersByRole.SUPPORT_AGENT).map((user) => `a${user}`),
    fc.constantFrom(...world.usersByRole.TENANT_USER).map((user) => `c${user}`),
  )
  return fc
    .tuple(side, fc.array(fc.tuple(tenant, seq), { minLength: 1, maxLength: 3 }))
    .map(([who, pairs]) => `${who}:${pairs.map(([tenantId, number]) => `${tenantId}-${number}`).join(',')}`)
}

/** Valid and invalid values of a path or query parameter, percent-encoded; invalid ones sometimes raw (`%zz`). */
export function parameterArbitraries(world: FuzzWorld, operation: Operation, parameter: Parameter): Part<string> {
  // Printable ASCII may go unencoded (`%zz` is a malformed URL); what would address another route never does.
  const raw = (text: string) => (/^[\x21-\x7E]*$/.test(text) && !/[/?#&=]/.test(text) ? text : encodeComponent(text))
  // An empty, `.` or `..` segment is another URL (`/a//b`, `/a/../b`), not a value of this parameter.
  const invalid = invalidTexts(parameter.schema).filter((text) => parameter.in !== 'path' || !['', '.', '..'].includes(text))
  return {
    valid: (isStreamPosition(parameter) ? streamPositionArbitrary(world) : validText(world, operation, parameter)).map(encodeComponent),
    invalid: fc.tuple(invalid, fc.boolean()).map(([text, encoded]) => (encoded ? encodeComponent(text) : raw(text))),
  }
}

/** Header parameters (Idempotency-Key, Last-Event-ID): printable ASCII, valid or past their limits. */
export function headerParameterArbitraries(world: FuzzWorld, parameter: Parameter): Part<string> {
  const schema = dereference(parameter.schema)
  const pattern = schema.pattern === undefined ? undefined : new RegExp(schema.pattern, 'u')
  const printableCharacter = fc.integer({ min: 0x20, max: 0x7e }).map((code) => String.fromCharCode(code))
  const printable = fc
    .string({ unit: printableCharacter, minLength: schema.minLength ?? 1, maxLength: Math.min(schema.maxLength ?? 100, 100) })
    .filter((text) => pattern?.test(text) ?? true)
  const invalid = fc.constantFrom('', ' ', 'a b', '\t', 'x'.repeat((schema.maxLength ?? 2000) + 1), 'x'.repeat(8000))
  if (isStreamPosition(parameter)) return { valid: streamPositionArbitrary(world), invalid: fc.oneof(printable, invalid) }
  return {
    // A few keys come again and again, so replays, and reuse with another request, happen.
    valid: fc.oneof(fc.uuid(), fc.constantFrom('fuzz-key-1', 'fuzz-key-2', 'fuzz-key-3'), printable),
    invalid,
  }
}
