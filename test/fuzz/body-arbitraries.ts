import fc from 'fast-check'
import { deepJson, hugeText, malformedText } from './odd-strings.js'
import { resolveReference, type JsonSchema } from './openapi-operations.js'
import { validValue, type UuidSource } from './schema-arbitrary.js'

/** A request body as sent: the exact text and Content-Type header (none when `contentType` is absent). */
export type RequestBody = { contentType?: string; text: string; kind: string }

const prototypeKeys = ['constructor', '__proto__', 'toString', 'valueOf', 'hasOwnProperty', 'prototype', 'isPrototypeOf', '__defineGetter__']

const anyJsonValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(42, -1, 0, 1.5, 1e308, true, false, null, '', 'text', [], {}, [1, 'a'], { a: 1 }),
  fc.jsonValue({ maxDepth: 2 }),
)

/** An object's members as key and JSON text of the value, in order. */
type Entries = [string, string][]

/** JSON text of an object's entries: keys may repeat or be `__proto__`, as an attacker writes them. */
const objectText = (entries: Entries): string => `{${entries.map(([key, value]) => `${JSON.stringify(key)}:${value}`).join(',')}}`
const jsonText = (value: fc.Arbitrary<unknown>): fc.Arbitrary<string> => value.map((item) => JSON.stringify(item))

const json = (text: string, kind: string): RequestBody => ({ contentType: 'application/json', text, kind })

const dereference = (schema: JsonSchema): JsonSchema => (schema.$ref ? dereference(resolveReference(schema.$ref)) : schema)

/** Values at and just past the edges of a property's schema. */
function boundaryValues(schema: JsonSchema): unknown[] {
  const resolved = dereference(schema)
  if (resolved.oneOf) return resolved.oneOf.flatMap(boundaryValues)
  if (resolved.enum) return [...resolved.enum.map((value: string) => value.toLowerCase()), `${resolved.enum[0]} `, '']
  if (resolved.type === 'integer') {
    const { minimum = -(2 ** 31), maximum = 2 ** 31 - 1 } = resolved
    return [minimum - 1, minimum, maximum, maximum + 1, 2 ** 53 + 2, -(2 ** 53) - 2, 0.5, 1e21, '1']
  }
  if (resolved.format === 'uuid') {
    return ['00000000-0000-0000-0000-000000000000', 'urn:uuid:00000000-0000-0000-0000-000000000000', '{00000000-0000-0000-0000-000000000000}', '0'.repeat(32), 'not-a-uuid']
  }
  if (resolved.type === 'string') {
    const { minLength = 0, maxLength = 1000 } = resolved
    return ['x'.repeat(Math.max(0, minLength - 1)), 'x'.repeat(maxLength), 'x'.repeat(maxLength + 1), '😀'.repeat(maxLength + 1)]
  }
  return [null]
}

// Past HTTP_MAX_BODY_BYTES (1 MiB by default): 413.
const overLimitBody = `{"message":"${'x'.repeat(1_100_000)}"}`

const invalidJsonTexts = [
  '{',
  '{"message":}',
  "{'message':'x'}",
  '{"message":"x",}',
  '{"message":"x"} {"message":"y"}',
  '{"message":"x"}garbage',
  'NaN',
  '\uFEFF{}',
  '/* comment */ {}',
  '{"message":"\\x41"}',
  '{"message":"\\u12"}',
  '\u0000',
  '{"__proto__":{"admin":true}}',
  '{"constructor":{"prototype":{"admin":true}}}',
]

const otherContentTypes: [string, (text: string) => string][] = [
  ['text/plain', (text) => text],
  ['application/x-www-form-urlencoded', () => 'message=hello&status=ONLINE'],
  ['multipart/form-data; boundary=x', () => '--x\r\nContent-Disposition: form-data; name="message"\r\n\r\nhello\r\n--x--'],
  ['application/xml', () => '<message>hello</message>'],
  ['application/json; charset=utf-16', (text) => text],
  ['application/jsonp', (text) => text],
  ['application/vnd.api+json', (text) => text],
  ['APPLICATION/JSON', (text) => text],
  ['application/json, text/plain', (text) => text],
  ['', (text) => text],
]

/** Invalid bodies built around valid ones: each breaks one thing, so a failure names what broke it. */
function invalidBodies(schema: JsonSchema, valid: fc.Arbitrary<Record<string, unknown>>): fc.Arbitrary<RequestBody> {
  const properties: Record<string, JsonSchema> = dereference(schema).properties ?? {}
  const names = Object.keys(properties)
  const required: string[] = dereference(schema).required ?? []
  const entries = valid.map((value) => Object.entries(value).map(([key, item]): [string, string] => [key, JSON.stringify(item)]))
  const withProperty = (value: fc.Arbitrary<string>, kind: string) =>
    fc
      .tuple(entries, names.length > 0 ? fc.constantFrom(...names) : fc.constant('message'), value)
      .map(([object, name, replacement]) => json(objectText([...object.filter(([key]) => key !== name), [name, replacement]]), kind))
  const mutations: fc.Arbitrary<RequestBody>[] = [
    withProperty(jsonText(anyJsonValue), 'wrong type'),
    withProperty(jsonText(hugeText), 'huge string'),
    withProperty(jsonText(malformedText), 'malformed text'),
    withProperty(deepJson, 'deeply nested value'),
    fc
      .tuple(entries, fc.oneof(fc.constantFrom(...prototypeKeys), fc.string({ maxLength: 20 })), jsonText(anyJsonValue))
      .map(([object, key, value]) => json(objectText([...object, [key, value]]), `unknown key ${JSON.stringify(key)}`)),
    entries.filter((object) => object.length > 0).map((object) => json(objectText([...object, object[0]]), 'duplicate key')),
    fc.constantFrom('[]', 'null', '"x"', '1', 'true', '[{}]').map((text) => json(text, 'not an object')),
    fc.constantFrom(...invalidJsonTexts).map((text) => json(text, 'invalid JSON')),
    deepJson.map((text) => json(text, 'deep JSON')),
    fc.constant(json(overLimitBody, 'over the body limit')),
    fc
      .tuple(valid, fc.constantFrom(...otherContentTypes))
      .map(([value, [contentType, text]]) => ({ ...(contentType && { contentType }), text: text(JSON.stringify(value)), kind: `Content-Type "${contentType}"` })),
  ]
  for (const name of names) {
    mutations.push(withProperty(jsonText(fc.constantFrom(...boundaryValues(properties[name]))), `boundary of ${name}`))
  }
  if (required.length > 0) {
    mutations.push(
      fc.tuple(entries, fc.constantFrom(...required)).map(([object, name]) => json(objectText(object.filter(([key]) => key !== name)), `${name} missing`)),
    )
  }
  return fc.oneof(...mutations)
}

/** Valid and invalid bodies; for an operation that takes none, no body and bodies it must refuse or ignore. */
export function bodyArbitraries(body: { required: boolean; schema: JsonSchema } | undefined, uuid: UuidSource) {
  if (!body) return { valid: fc.constant(undefined), invalid: unexpectedBody }
  const valid = validValue(body.schema, 'requestBody', uuid) as fc.Arbitrary<Record<string, unknown>>
  const validBody = valid.map((value) => json(JSON.stringify(value), 'valid'))
  return {
    valid: body.required ? validBody : fc.oneof(validBody, fc.constant(undefined), fc.constant(json('', 'empty under application/json'))),
    invalid: invalidBodies(body.schema, valid),
  }
}

/** Bodies sent to operations that take none: POSTs must refuse them, GETs ignore them. */
const unexpectedBody: fc.Arbitrary<RequestBody> = fc.oneof(
  fc.constantFrom('{}', '{"reason":"done"}', '[]', 'null').map((text) => json(text, 'body where none is taken')),
  deepJson.map((text) => json(text, 'deep JSON where no body is taken')),
  fc.constant({ contentType: 'text/plain', text: 'hello', kind: 'text where no body is taken' }),
  fc.constant({ text: 'hello', kind: 'untyped body where none is taken' }),
)
