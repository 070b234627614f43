import t from 'tap'
import { emitComponentSchemas, emitSchema, type JsonSchema } from '../../../scripts/generate/schema-emitter.js'
import { assertRefused, loadEmitted, validatorOf } from '../../helpers/emitted-typebox.js'

// The schema half of `npm run generate`: what it translates must validate exactly as the spec's JSON Schema
// does, and whatever it does not translate must stop the generation with the JSON pointer of the node.

const at = '#/components/schemas/Sample'
const componentNames = new Set(['Tenant'])
const emit = (schema: JsonSchema) => emitSchema(schema, at, componentNames)
const evaluate = (schema: JsonSchema) => loadEmitted(`export const Sample = ${emit(schema)}\n`).Sample

const translated: [string, JsonSchema, unknown[]][] = [
  ['a bounded string with a pattern', { type: 'string', minLength: 2, maxLength: 4, pattern: '^[a-z]+$' }, ['ab', 'abcd', 'a', 'abcde', 'AB', 3]],
  ['a formatted string', { type: 'string', format: 'uuid' }, ['01a21d2e-b09b-7768-8a2e-90b4717b67d4', 'nope']],
  ['an integer range', { type: 'integer', minimum: 1, maximum: 100 }, [1, 100, 0, 101, 1.5, '1']],
  ['an enum', { type: 'string', enum: ['OPEN', 'CLOSED'] }, ['OPEN', 'CLOSED', 'open', null]],
  ['a const', { const: 'message.created' }, ['message.created', 'other']],
  ['a const with its type', { type: 'string', const: 'message.created' }, ['message.created', 'other', 1]],
  ['a type or null', { type: ['string', 'null'] }, ['x', null, 1]],
  ['oneOf with null', { oneOf: [{ type: 'integer' }, { type: 'null' }] }, [1, null, 'x']],
  ['anyOf', { anyOf: [{ type: 'integer' }, { type: 'string', maxLength: 1 }] }, [1, 'x', 'xy', null]],
  ['an array', { type: 'array', items: { type: 'integer' }, minItems: 1 }, [[1], [], ['a'], 'x']],
  [
    'a closed object with optional members',
    { type: 'object', required: ['id'], additionalProperties: false, properties: { id: { type: 'integer' }, name: { type: 'string' } } },
    [{ id: 1 }, { id: 1, name: 'a' }, { name: 'a' }, { id: 1, extra: true }, null],
  ],
  ['a map', { type: 'object', additionalProperties: { type: 'array', items: { type: 'string' } } }, [{ a: ['x'] }, { a: [1] }, {}]],
  ['an object with a minimum of properties', { type: 'object', minProperties: 1 }, [{}, { a: 1 }]],
]

t.test('what it translates validates as the JSON Schema does', async (t) => {
  for (const [what, schema, samples] of translated) {
    const expected = validatorOf(schema)
    const actual = validatorOf(evaluate(schema))
    t.same(
      samples.map((sample) => actual(sample)),
      samples.map((sample) => expected(sample)),
      what,
    )
  }
})

// One per construct: the schema, the pointer and keyword the refusal must lead with, and its advice.
const refused: [string, JsonSchema, string, string, RegExp][] = [
  ['nullable (OpenAPI 3.0), deep inside an object', { type: 'object', properties: { status: { type: 'string', nullable: true } } }, `${at}/properties/status/nullable`, 'nullable', /type: \[<type>, "null"\]/],
  ['a property name with / and ~, escaped as RFC 6901 says', { type: 'object', properties: { 'a/b~c': { type: 'string', nullable: true } } }, `${at}/properties/a~1b~0c/nullable`, 'nullable', /oneOf/],
  ['allOf beside a type', { type: 'object', allOf: [{ $ref: '#/components/schemas/Tenant' }] }, `${at}/allOf`, 'allOf', /write the combined object out/],
  ['allOf alone', { allOf: [{ $ref: '#/components/schemas/Tenant' }] }, `${at}/allOf`, 'allOf', /write the combined object out/],
  ['prefixItems', { type: 'array', prefixItems: [{ type: 'string' }] }, `${at}/prefixItems`, 'prefixItems', /use items/],
  ['an array without items', { type: 'array' }, `${at}/items`, 'items', /write items/],
  ['not', { type: 'string', not: { const: 'x' } }, `${at}/not`, 'not', /teach it/],
  ['if / then', { type: 'string', if: { const: 'a' }, then: { minLength: 2 } }, `${at}/if`, 'if', /teach it/],
  ['patternProperties', { type: 'object', patternProperties: { '^x': { type: 'string' } } }, `${at}/patternProperties`, 'patternProperties', /teach it/],
  ['a misspelt keyword, in an array item', { type: 'array', items: { type: 'string', maxLenght: 3 } }, `${at}/items/maxLenght`, 'maxLenght', /teach it/],
  ['anyOf with oneOf', { anyOf: [{ type: 'string' }], oneOf: [{ type: 'integer' }] }, at, 'anyOf', /one list of alternatives/],
  ['a keyword in a oneOf alternative', { oneOf: [{ type: 'string' }, { type: 'integer', nullable: true }] }, `${at}/oneOf/1/nullable`, 'nullable', /type: \[<type>, "null"\]/],
  ['a type beside oneOf, which its shape does not take', { type: 'object', oneOf: [{ type: 'string' }] }, `${at}/type`, 'type', /combine them with oneOf/],
  ['object in a list of types', { type: ['object', 'null'], properties: { a: { type: 'string' } } }, `${at}/type/0`, 'type', /write oneOf/],
  ['items beside a list of types', { type: ['string', 'null'], items: { type: 'string' } }, `${at}/items`, 'items', /combine them with oneOf/],
  ['properties beside an additionalProperties schema', { type: 'object', properties: { a: { type: 'string' } }, additionalProperties: { type: 'string' } }, `${at}/properties`, 'properties', /combine them with oneOf/],
  ['required naming no property', { type: 'object', required: ['id', 'name'], properties: { id: { type: 'integer' } } }, `${at}/required/1`, 'required', /declare name under properties/],
  ['a null const', { const: null }, `${at}/const`, 'const', /type: "null"/],
  ['a const whose type says otherwise', { type: 'integer', const: 'x' }, `${at}/type`, 'type', /make them agree/],
  ['no type', { description: 'anything' }, at, 'type', /give the schema a type/],
  ['a type JSON Schema does not have', { type: 'text' }, `${at}/type`, 'type', /write string, integer/],
  ['keywords beside a $ref', { $ref: '#/components/schemas/Tenant', maxLength: 3 }, `${at}/maxLength`, 'maxLength', /define a component schema with it/],
  ['a $ref outside components/schemas', { $ref: 'other.yaml#/Tenant' }, `${at}/$ref`, '$ref', /#\/components\/schemas\/<Name>/],
  ['a $ref into a component', { $ref: '#/components/schemas/Tenant/properties/id' }, `${at}/$ref`, '$ref', /a whole schema/],
  ['a dangling $ref', { type: 'object', properties: { owner: { $ref: '#/components/schemas/Missing' } } }, `${at}/properties/owner/$ref`, '$ref', /names #\/components\/schemas\/Missing, which does not exist.*define Missing under components\/schemas/],
]

for (const [what, schema, pointer, keyword, says] of refused) {
  t.test(`refused: ${what}`, async (t) => assertRefused(t, () => emit(schema), { pointer, keyword, says }))
}

t.test('component schemas come out after the schemas they reference', async (t) => {
  const emitted = emitComponentSchemas({
    Page: { type: 'object', properties: { items: { type: 'array', items: { $ref: '#/components/schemas/Item' } } } },
    Item: { type: 'object', required: ['id'], properties: { id: { type: 'integer' } } },
  })
  t.ok(emitted.indexOf('export const Item') < emitted.indexOf('export const Page'), 'Item before Page')
  const { Page } = loadEmitted(emitted)
  t.same([{ items: [{ id: 1 }] }, { items: [{}] }].map(validatorOf(Page)), [true, false], 'and Page validates its items as Item')
})

t.test('refused: a recursive schema, at the $ref that closes the cycle', async (t) => {
  const schemas = {
    A: { type: 'object', properties: { b: { $ref: '#/components/schemas/B' } } },
    B: { type: 'object', properties: { a: { $ref: '#/components/schemas/A' } } },
  }
  assertRefused(t, () => emitComponentSchemas(schemas), { pointer: '#/components/schemas/B/properties/a/$ref', keyword: '$ref', says: /cycle A -> B -> A.*break the cycle/ })
})

t.test('refused: a component schema named as no TypeScript constant can be', async (t) => {
  assertRefused(t, () => emitComponentSchemas({ 'Chat-Session': { type: 'string' } }), { pointer: '#/components/schemas/Chat-Session', keyword: 'Chat-Session', says: /letters, digits and _/ })
})

t.test('refused: a dangling $ref between component schemas, where it stands', async (t) => {
  const schemas = { Page: { type: 'array', items: { $ref: '#/components/schemas/Item' } } }
  assertRefused(t, () => emitComponentSchemas(schemas), { pointer: '#/components/schemas/Page/items/$ref', keyword: '$ref', says: /#\/components\/schemas\/Item, which does not exist/ })
})
