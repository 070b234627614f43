// Emits TypeBox source for the JSON Schema subset openapi.yaml uses. Whatever it does not translate is refused
// with its JSON pointer, so a new keyword in the spec cannot be silently dropped from the route schemas.
import { pointerTo, Refusal } from './refusal.js'

export type JsonSchema = { [keyword: string]: unknown }

/** Where a schema sits in openapi.yaml, and the component schemas a `$ref` there may name. */
type Site = { pointer: string; componentNames: ReadonlySet<string> }

const schemaPrefix = '#/components/schemas/'
// Keywords that shape the TypeBox call itself; each shape below takes some of them and refuses the others.
const shapeKeywords = new Set(['type', 'properties', 'required', 'items', '$ref', 'enum', 'const', 'anyOf', 'oneOf'])
const ignoredKeywords = new Set(['example', 'examples'])
// Keywords passed to TypeBox as options, which Ajv then applies as JSON Schema says. Any other keyword is
// refused: passed through, it would reach Ajv untranslated (an `allOf` with a `$ref` that nothing resolves) or
// be dropped (`nullable`, which OpenAPI 3.1 no longer has).
const optionKeywords = new Set([
  'description',
  'title',
  'default',
  'deprecated',
  'readOnly',
  'writeOnly',
  'format',
  'pattern',
  'minLength',
  'maxLength',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'multipleOf',
  'minItems',
  'maxItems',
  'uniqueItems',
  'minProperties',
  'maxProperties',
  'additionalProperties',
  'discriminator',
])
const advice: Record<string, [problem: string, instead: string]> = {
  nullable: ['is not OpenAPI 3.1', 'write type: [<type>, "null"], or oneOf with {type: "null"}'],
  allOf: ['is not translated', 'write the combined object out, or reference one schema'],
  prefixItems: ['is not translated (tuples)', 'use items'],
}
// Beside a $ref, OpenAPI 3.1 allows annotations; anything else would change the schema and is refused.
const annotationKeywords = new Set(['$ref', 'description', 'summary', 'title', 'example', 'examples', 'deprecated'])
const literalTypes = new Set(['string', 'number', 'boolean'])
const scalarCalls: Record<string, string> = {
  string: 'Type.String',
  integer: 'Type.Integer',
  number: 'Type.Number',
  boolean: 'Type.Boolean',
  null: 'Type.Null',
}

/**
 * The options of a schema (the keywords TypeBox passes on as they are) once the keywords its shape takes are
 * set aside; a shape keyword the shape does not take, or an unknown keyword, is refused.
 */
function optionsOf(schema: JsonSchema, site: Site, shape: string, taken: readonly string[]): JsonSchema {
  const options: JsonSchema = {}
  for (const [keyword, value] of Object.entries(schema)) {
    if (taken.includes(keyword) || ignoredKeywords.has(keyword)) continue
    const at = pointerTo(site.pointer, keyword)
    if (shapeKeywords.has(keyword) || (keyword === 'additionalProperties' && typeof value !== 'boolean')) {
      throw new Refusal(at, keyword, `does not apply to a schema shaped by ${shape}`, 'write one schema per shape and combine them with oneOf')
    }
    if (!optionKeywords.has(keyword)) {
      const [problem, instead] = advice[keyword] ?? [
        'is not a keyword the emitter translates',
        'use one it translates (the shape and option keywords of scripts/generate/schema-emitter.ts), or teach it this one',
      ]
      throw new Refusal(at, keyword, problem, instead)
    }
    options[keyword] = value
  }
  return options
}

function withOptions(call: string, args: string, options: JsonSchema): string {
  const emittedOptions = Object.keys(options).length === 0 ? '' : JSON.stringify(options)
  return `${call}(${[args, emittedOptions].filter(Boolean).join(', ')})`
}

/** The TypeBox expression of a schema found at `pointer`, whose `$ref`s may name the schemas in `componentNames`. */
export function emitSchema(schema: JsonSchema, pointer: string, componentNames: ReadonlySet<string>): string {
  return emitAt(schema, { pointer, componentNames })
}

function emitAt(schema: JsonSchema, site: Site): string {
  const child = (...tokens: (string | number)[]): Site => ({ ...site, pointer: pointerTo(site.pointer, ...tokens) })
  if ('$ref' in schema) return emitReference(schema, site)
  if ('const' in schema) return emitLiteral(schema, site)
  if (Array.isArray(schema.enum)) {
    // Kept as a JSON Schema `enum` (not a union of literals) so a bad value gets one clear error.
    const union = schema.enum.map((value) => JSON.stringify(value)).join(' | ')
    const options = optionsOf(schema, site, 'enum', ['enum', 'type'])
    return `Type.Unsafe<${union}>(${JSON.stringify({ type: schema.type, enum: schema.enum, ...options })})`
  }
  if ('anyOf' in schema && 'oneOf' in schema) {
    throw new Refusal(site.pointer, 'anyOf', 'is not translated beside oneOf', 'write one list of alternatives')
  }
  // TypeBox has no oneOf; a union (anyOf) means the same as long as the branches are disjoint, as the
  // spec's `X or null` ones are.
  const combinator = 'anyOf' in schema ? 'anyOf' : 'oneOf' in schema ? 'oneOf' : undefined
  if (combinator) {
    const variants = (schema[combinator] as JsonSchema[]).map((variant, index) => emitAt(variant, child(combinator, index)))
    return withOptions('Type.Union', `[${variants.join(', ')}]`, optionsOf(schema, site, combinator, [combinator]))
  }
  if (Array.isArray(schema.type)) {
    const members = schema.type.map((type, index) => {
      if (!Object.hasOwn(scalarCalls, type)) {
        throw new Refusal(child('type', index).pointer, 'type', `lists ${type}, which is translated only on its own`, `write oneOf: [{type: ${type}, …}, …]`)
      }
      return `${scalarCalls[type]}()`
    })
    return withOptions('Type.Union', `[${members.join(', ')}]`, optionsOf(schema, site, 'a list of types', ['type']))
  }
  if (typeof schema.type === 'string' && Object.hasOwn(scalarCalls, schema.type)) {
    return withOptions(scalarCalls[schema.type], '', optionsOf(schema, site, `type: ${schema.type}`, ['type']))
  }
  if (schema.type === 'array') {
    const options = optionsOf(schema, site, 'type: array', ['type', 'items'])
    if (typeof schema.items !== 'object' || schema.items === null || Array.isArray(schema.items)) {
      throw new Refusal(child('items').pointer, 'items', 'of an array must be one schema', 'write items: <the schema of every item>')
    }
    return withOptions('Type.Array', emitAt(schema.items as JsonSchema, child('items')), options)
  }
  if (schema.type === 'object') return emitObject(schema, site)
  if (!('type' in schema)) {
    // A keyword it does not translate (allOf alone) is the better name for what is wrong.
    optionsOf(schema, site, 'no type', [...shapeKeywords])
    throw new Refusal(site.pointer, 'type', 'is missing', 'give the schema a type, const, enum, anyOf, oneOf or $ref')
  }
  throw new Refusal(child('type').pointer, 'type', `${String(schema.type)} is not a JSON Schema type`, 'write string, integer, number, boolean, null, array or object')
}

function emitReference(schema: JsonSchema, site: Site): string {
  const at = pointerTo(site.pointer, '$ref')
  const extra = Object.keys(schema).filter((keyword) => !annotationKeywords.has(keyword))
  if (extra.length > 0) {
    const others = extra.length > 1 ? ` (nor are ${extra.slice(1).join(', ')})` : ''
    throw new Refusal(pointerTo(site.pointer, extra[0]), extra[0], `is not translated beside $ref${others}`, 'define a component schema with it, or drop it')
  }
  const ref = schema.$ref
  if (typeof ref !== 'string' || !ref.startsWith(schemaPrefix) || ref.slice(schemaPrefix.length).includes('/')) {
    throw new Refusal(at, '$ref', `to ${String(ref)} is not to a component schema`, `refer to a whole schema, as ${schemaPrefix}<Name>`)
  }
  const name = ref.slice(schemaPrefix.length)
  if (!site.componentNames.has(name)) {
    throw new Refusal(at, '$ref', `names ${ref}, which does not exist`, `define ${name} under components/schemas, or correct the name`)
  }
  return name
}

// TypeBox writes a literal's type from the value: only a string, a number or a boolean, and a `type` beside it
// that says otherwise would be dropped.
function emitLiteral(schema: JsonSchema, site: Site): string {
  const value = schema.const
  const valueType = typeof value
  if (!literalTypes.has(valueType)) {
    throw new Refusal(pointerTo(site.pointer, 'const'), 'const', `${JSON.stringify(value)} is not a string, number or boolean`, 'write type: "null" for null, or enum for other values')
  }
  const sameType = schema.type === valueType || (schema.type === 'integer' && Number.isInteger(value))
  if ('type' in schema && !sameType) {
    throw new Refusal(pointerTo(site.pointer, 'type'), 'type', `${String(schema.type)} is not the type of const ${JSON.stringify(value)}`, 'drop type, or make them agree')
  }
  return withOptions('Type.Literal', JSON.stringify(value), optionsOf(schema, site, 'const', ['const', 'type']))
}

function emitObject(schema: JsonSchema, site: Site): string {
  const { properties = {}, additionalProperties, required = [] } = schema as {
    properties?: Record<string, JsonSchema>
    additionalProperties?: boolean | JsonSchema
    required?: string[]
  }
  if (typeof additionalProperties === 'object') {
    const record = pointerTo(site.pointer, 'additionalProperties')
    const emitted = emitAt(additionalProperties, { ...site, pointer: record })
    const options = optionsOf(schema, site, 'type: object with an additionalProperties schema (a map)', ['type', 'additionalProperties'])
    return withOptions('Type.Record', `Type.String(), ${emitted}`, options)
  }
  required.forEach((name, index) => {
    if (!(name in properties)) {
      throw new Refusal(pointerTo(site.pointer, 'required', index), 'required', `names ${JSON.stringify(name)}, which is not among the properties`, `declare ${name} under properties`)
    }
  })
  const members = Object.entries(properties).map(([name, property]) => ({
    name,
    type: emitAt(property, { ...site, pointer: pointerTo(site.pointer, 'properties', name) }),
    required: required.includes(name),
  }))
  return withOptions('Type.Object', emitMembers(members), optionsOf(schema, site, 'type: object', ['type', 'properties', 'required']))
}

type Member = { name: string; type: string; required: boolean }

const emitMembers = (members: Member[]): string =>
  `{ ${members.map(({ name, type, required }) => `${JSON.stringify(name)}: ${required ? type : `Type.Optional(${type})`}`).join(', ')} }`

/** `Type.Object` of members already emitted (the parameters of one location, which are not one schema). */
export const emitObjectType = (members: Member[]): string => `Type.Object(${emitMembers(members)})`

/** The component schemas each `$ref` inside a schema names, with the pointer of that `$ref`. */
function referencesIn(value: unknown, pointer: string, found: [name: string, pointer: string][] = []) {
  if (Array.isArray(value)) value.forEach((item, index) => referencesIn(item, pointerTo(pointer, index), found))
  else if (typeof value === 'object' && value !== null) {
    for (const [key, child] of Object.entries(value)) {
      if (key === '$ref' && typeof child === 'string' && child.startsWith(schemaPrefix)) {
        found.push([child.slice(schemaPrefix.length), pointerTo(pointer, key)])
      } else referencesIn(child, pointerTo(pointer, key), found)
    }
  }
  return found
}

/** Component schemas as `export const Name = Type…`, each after the schemas it references. */
export function emitComponentSchemas(schemas: Record<string, JsonSchema>): string {
  const componentNames = new Set(Object.keys(schemas))
  const pointerOf = (name: string) => pointerTo('#/components/schemas', name)
  const ordered: string[] = []
  // A $ref to a schema that does not exist is left to emitSchema, which refuses it where it stands.
  const visit = (name: string, path: string[]) => {
    if (ordered.includes(name)) return
    for (const [dependency, at] of referencesIn(schemas[name], pointerOf(name))) {
      if (!componentNames.has(dependency)) continue
      const cycle = [...path, name, dependency]
      if (cycle.indexOf(dependency) < cycle.length - 1) {
        throw new Refusal(at, '$ref', `closes the cycle ${cycle.slice(cycle.indexOf(dependency)).join(' -> ')}, and recursive schemas are not translated`, 'break the cycle, e.g. refer to the other object by its id')
      }
      visit(dependency, [...path, name])
    }
    ordered.push(name)
  }
  for (const name of componentNames) {
    if (!/^[A-Za-z_$][\w$]*$/.test(name)) {
      throw new Refusal(pointerOf(name), name, 'is not a TypeScript identifier, which each component schema becomes', 'name it in letters, digits and _')
    }
    visit(name, [])
  }
  return ordered.map((name) => `export const ${name} = ${emitSchema(schemas[name], pointerOf(name), componentNames)}\n`).join('\n')
}
