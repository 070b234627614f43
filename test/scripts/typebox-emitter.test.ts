import { Type, type TSchema } from '@sinclair/typebox'
import Ajv2020 from 'ajv/dist/2020.js'
import addFormats from 'ajv-formats'
import t from 'tap'
import { emitSchema, emitSchemas, type OpenApiDocument } from '../../scripts/generate/typebox-emitter.js'

// The TypeBox emitter behind `npm run generate`: what it translates must validate exactly as the spec's JSON
// Schema does, and whatever it does not translate must stop the generation with a message naming it.

// The emitted code is TypeScript: `Type.Unsafe<'A' | 'B'>(…)` loses its type argument to run as JavaScript.
const evaluate = (code: string): TSchema => new Function('Type', `return (${code.replace(/Type\.Unsafe<[^>]*>\(/g, 'Type.Unsafe(')})`)(Type) as TSchema

const ajv = () => {
  const instance = new Ajv2020.default({ strict: false, allErrors: true })
  addFormats.default(instance)
  return instance
}

const translated: [string, Record<string, unknown>, unknown[]][] = [
  ['a bounded string with a pattern', { type: 'string', minLength: 2, maxLength: 4, pattern: '^[a-z]+$' }, ['ab', 'abcd', 'a', 'abcde', 'AB', 3]],
  ['a formatted string', { type: 'string', format: 'uuid' }, ['01a21d2e-b09b-7768-8a2e-90b4717b67d4', 'nope']],
  ['an integer range', { type: 'integer', minimum: 1, maximum: 100 }, [1, 100, 0, 101, 1.5, '1']],
  ['an enum', { type: 'string', enum: ['OPEN', 'CLOSED'] }, ['OPEN', 'CLOSED', 'open', null]],
  ['a const', { const: 'message.created' }, ['message.created', 'other']],
  ['a type or null', { type: ['string', 'null'] }, ['x', null, 1]],
  ['oneOf with null', { oneOf: [{ type: 'integer' }, { type: 'null' }] }, [1, null, 'x']],
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
    const typebox = evaluate(emitSchema(schema))
    const expected = ajv().compile(schema)
    const actual = ajv().compile(typebox)
    t.same(
      samples.map((sample) => actual(sample)),
      samples.map((sample) => expected(sample)),
      what,
    )
  }
})

const refused: [string, Record<string, unknown>, RegExp][] = [
  ['nullable (OpenAPI 3.0)', { type: 'string', nullable: true }, /"nullable".*type: \[<type>, "null"\]/],
  ['allOf beside a type', { type: 'object', allOf: [{ $ref: '#/components/schemas/Tenant' }] }, /"allOf"/],
  ['allOf alone', { allOf: [{ $ref: '#/components/schemas/Tenant' }] }, /Unsupported schema/],
  ['prefixItems', { type: 'array', prefixItems: [{ type: 'string' }] }, /without an items schema/],
  ['not', { type: 'string', not: { const: 'x' } }, /"not"/],
  ['if / then', { type: 'string', if: { const: 'a' }, then: { minLength: 2 } }, /"if"/],
  ['patternProperties', { type: 'object', patternProperties: { '^x': { type: 'string' } } }, /"patternProperties"/],
  ['a misspelt keyword', { type: 'string', maxLenght: 3 }, /"maxLenght"/],
  ['anyOf with oneOf', { anyOf: [{ type: 'string' }], oneOf: [{ type: 'integer' }] }, /anyOf together with oneOf/],
  ['keywords beside a $ref', { $ref: '#/components/schemas/Tenant', maxLength: 3 }, /beside \$ref/],
  ['a $ref outside components/schemas', { $ref: 'other.yaml#/Tenant' }, /Unsupported \$ref/],
  ['properties with a schema for the others', { type: 'object', properties: { a: { type: 'string' } }, additionalProperties: { type: 'string' } }, /properties together/],
]

t.test('what it does not translate stops the generation, naming it', async (t) => {
  for (const [what, schema, message] of refused) t.throws(() => emitSchema(schema), message, what)
  t.throws(() => emitSchema({ type: 'object', properties: { inner: { type: 'integer', nullable: true } } }), /"nullable"/, 'also deep inside an object')
})

t.test('component schemas come out after the schemas they reference; a cycle is refused', async (t) => {
  const document = (schemas: Record<string, Record<string, unknown>>): OpenApiDocument => ({ paths: {}, components: { schemas } })
  const emitted = emitSchemas(
    document({
      Page: { type: 'object', properties: { items: { type: 'array', items: { $ref: '#/components/schemas/Item' } } } },
      Item: { type: 'object', properties: { id: { type: 'integer' } } },
    }),
  )
  t.ok(emitted.indexOf('export const Item') < emitted.indexOf('export const Page'), 'Item before Page')
  t.throws(() => emitSchemas(document({ A: { $ref: '#/components/schemas/B' }, B: { $ref: '#/components/schemas/A' } })), /Recursive schema/)
})
