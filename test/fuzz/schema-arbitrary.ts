import fc from 'fast-check'
import { resolveReference, type JsonSchema } from './openapi-operations.js'
import { oddValidText } from './odd-strings.js'

/** Where a uuid the schema asks for comes from: the caller knows which seeded ids a property names. */
export type UuidSource = (propertyName: string) => fc.Arbitrary<string>

const annotations = new Set(['description', 'example', 'examples', 'title', 'default', 'discriminator'])
const keywords = new Set([
  ...annotations,
  '$ref', 'type', 'const', 'enum', 'oneOf', 'anyOf', 'format', 'minLength', 'maxLength', 'pattern', 'minimum', 'maximum',
  'properties', 'required', 'additionalProperties', 'minProperties', 'items', 'minItems', 'maxItems',
])

/** Length as JSON Schema counts it: code points, not UTF-16 units. */
export const codePointLength = (text: string): number => [...text].length

function stringArbitrary(schema: JsonSchema, where: string, property: string, uuid: UuidSource): fc.Arbitrary<string> {
  if (schema.format === 'uuid') return uuid(property)
  if (schema.format !== undefined) throw new Error(`${where}: no arbitrary for format "${schema.format}"`)
  const minLength: number = schema.minLength ?? 0
  const maxLength: number = schema.maxLength ?? 1000
  const pattern = schema.pattern === undefined ? undefined : new RegExp(schema.pattern, 'u')
  const ordinary = fc.string({ unit: 'grapheme', minLength, maxLength: Math.min(maxLength, 40) })
  // The longest text allowed, in characters that take one, two or several UTF-16 units or bytes.
  const longest = fc.constantFrom('x', 'é', '😀', 'ﬀ', '\u05D0').map((character) => character.repeat(maxLength))
  const odd = oddValidText.map((text) => text.slice(0, maxLength))
  return fc
    .oneof({ arbitrary: ordinary, weight: 4 }, { arbitrary: odd, weight: 2 }, { arbitrary: longest, weight: 1 })
    .filter((text) => codePointLength(text) >= minLength && codePointLength(text) <= maxLength && (pattern?.test(text) ?? true))
}

function objectArbitrary(schema: JsonSchema, where: string, uuid: UuidSource): fc.Arbitrary<Record<string, unknown>> {
  if (schema.additionalProperties !== undefined && schema.additionalProperties !== false) {
    throw new Error(`${where}: only additionalProperties: false is fuzzed`)
  }
  const properties: Record<string, JsonSchema> = schema.properties ?? {}
  const model = Object.fromEntries(
    Object.entries(properties).map(([name, property]) => [name, validValue(property, `${where}/properties/${name}`, uuid, name)]),
  )
  const minProperties: number = schema.minProperties ?? 0
  return fc
    .record(model, { requiredKeys: schema.required ?? [] })
    .filter((value) => Object.keys(value).length >= minProperties) as fc.Arbitrary<Record<string, unknown>>
}

/**
 * Values valid against a JSON schema of the subset openapi.yaml uses for requests. A keyword outside that
 * subset stops the suite with its schema path, so a new construct in the spec cannot go unfuzzed unnoticed.
 */
export function validValue(schema: JsonSchema, where: string, uuid: UuidSource, property = ''): fc.Arbitrary<unknown> {
  for (const keyword of Object.keys(schema)) {
    if (!keywords.has(keyword)) throw new Error(`${where}: no arbitrary for keyword "${keyword}"`)
  }
  if (schema.$ref) return validValue(resolveReference(schema.$ref), schema.$ref, uuid, property)
  if ('const' in schema) return fc.constant(schema.const)
  if (schema.enum) return fc.constantFrom(...schema.enum)
  const alternatives: JsonSchema[] | undefined = schema.oneOf ?? schema.anyOf
  if (alternatives) return fc.oneof(...alternatives.map((alternative, index) => validValue(alternative, `${where}/oneOf/${index}`, uuid, property)))
  switch (schema.type) {
    case 'string':
      return stringArbitrary(schema, where, property, uuid)
    case 'integer':
      return fc.integer({ min: schema.minimum ?? -(2 ** 31), max: schema.maximum ?? 2 ** 31 - 1 })
    case 'boolean':
      return fc.boolean()
    case 'null':
      return fc.constant(null)
    case 'object':
      return objectArbitrary(schema, where, uuid)
    case 'array':
      return fc.array(validValue(schema.items ?? {}, `${where}/items`, uuid, property), { minLength: schema.minItems, maxLength: schema.maxItems ?? 5 })
  }
  throw new Error(`${where}: no arbitrary for type ${JSON.stringify(schema.type)}`)
}
