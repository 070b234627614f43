// Emits TypeBox source for the JSON Schema subset openapi.yaml uses. Unknown constructs fail loudly, so a
// new keyword in the spec cannot be silently dropped from the route schemas.

type JsonSchema = { [keyword: string]: unknown }
type Reference = { $ref: string }
type Parameter = { name: string; in: 'path' | 'query' | 'header' | 'cookie'; required?: boolean; schema: JsonSchema }
type Response = {
  content?: { 'application/json'?: { schema: JsonSchema }; 'text/event-stream'?: { schema: JsonSchema }; 'text/plain'?: { schema: JsonSchema } }
}
type Operation = {
  operationId: string
  parameters?: (Parameter | Reference)[]
  requestBody?: { required?: boolean; content: { 'application/json': { schema: JsonSchema } } }
  responses: Record<string, Response | Reference>
  security?: Record<string, string[]>[]
}
export type OpenApiDocument = {
  paths: Record<string, Record<string, Operation>>
  security?: Record<string, string[]>[]
  components: {
    schemas: Record<string, JsonSchema>
    parameters?: Record<string, Parameter>
    responses?: Record<string, Response>
  }
}

const httpMethods = ['get', 'put', 'post', 'delete', 'patch']
// Keywords that shape the TypeBox call itself.
const structuralKeywords = new Set(['type', 'properties', 'required', 'items', '$ref', 'enum', 'const', 'anyOf', 'oneOf'])
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
const advice: Record<string, string> = {
  nullable: 'OpenAPI 3.1 has no nullable: write type: [<type>, "null"] or oneOf with {type: "null"}',
  allOf: 'write the combined object out, or reference one schema',
  prefixItems: 'tuples are not translated: use items',
}

const referencedName = (ref: string, section: string): string => {
  const prefix = `#/components/${section}/`
  if (!ref.startsWith(prefix)) throw new Error(`Unsupported $ref ${ref} (expected ${prefix}…)`)
  return ref.slice(prefix.length)
}

const isReference = (value: unknown): value is Reference =>
  typeof value === 'object' && value !== null && '$ref' in value

function optionsOf(schema: JsonSchema): JsonSchema {
  const options: JsonSchema = {}
  for (const [keyword, value] of Object.entries(schema)) {
    if (structuralKeywords.has(keyword) || ignoredKeywords.has(keyword)) continue
    if (!optionKeywords.has(keyword)) {
      throw new Error(`Unsupported keyword "${keyword}" in ${JSON.stringify(schema)}${advice[keyword] ? `: ${advice[keyword]}` : ''}`)
    }
    if (keyword === 'additionalProperties' && typeof value !== 'boolean') continue
    options[keyword] = value
  }
  return options
}

function emitOptions(schema: JsonSchema): string {
  const options = optionsOf(schema)
  return Object.keys(options).length === 0 ? '' : JSON.stringify(options)
}

const withOptions = (call: string, args: string, options: string) =>
  `${call}(${[args, options].filter(Boolean).join(', ')})`

// Beside a $ref, OpenAPI 3.1 allows annotations; anything else would change the schema and is refused.
const annotationKeywords = new Set(['$ref', 'description', 'summary', 'title', 'example', 'examples', 'deprecated'])

export function emitSchema(schema: JsonSchema): string {
  if (typeof schema.$ref === 'string') {
    const extra = Object.keys(schema).filter((keyword) => !annotationKeywords.has(keyword))
    if (extra.length > 0) throw new Error(`Unsupported keywords beside $ref ${schema.$ref}: ${extra.join(', ')}`)
    return referencedName(schema.$ref, 'schemas')
  }
  if ('const' in schema) return withOptions('Type.Literal', JSON.stringify(schema.const), emitOptions(schema))
  if (Array.isArray(schema.enum)) {
    // Kept as a JSON Schema `enum` (not a union of literals) so a bad value gets one clear error.
    const union = schema.enum.map((value) => JSON.stringify(value)).join(' | ')
    return `Type.Unsafe<${union}>(${JSON.stringify({ type: schema.type, enum: schema.enum, ...optionsOf(schema) })})`
  }
  // TypeBox has no oneOf; a union (anyOf) means the same as long as the branches are disjoint, as the
  // spec's `X or null` ones are.
  if (schema.anyOf && schema.oneOf) throw new Error(`Unsupported: anyOf together with oneOf in ${JSON.stringify(schema)}`)
  const variants = (schema.anyOf ?? schema.oneOf) as JsonSchema[] | undefined
  if (variants) return withOptions('Type.Union', `[${variants.map(emitSchema).join(', ')}]`, emitOptions(schema))
  if (Array.isArray(schema.type)) {
    const members = schema.type.map((type) => emitSchema({ type }))
    return withOptions('Type.Union', `[${members.join(', ')}]`, emitOptions(schema))
  }
  switch (schema.type) {
    case 'string':
      return withOptions('Type.String', '', emitOptions(schema))
    case 'integer':
      return withOptions('Type.Integer', '', emitOptions(schema))
    case 'number':
      return withOptions('Type.Number', '', emitOptions(schema))
    case 'boolean':
      return withOptions('Type.Boolean', '', emitOptions(schema))
    case 'null':
      return withOptions('Type.Null', '', emitOptions(schema))
    case 'array':
      if (typeof schema.items !== 'object' || schema.items === null || Array.isArray(schema.items)) {
        throw new Error(`Unsupported array without an items schema: ${JSON.stringify(schema)}`)
      }
      return withOptions('Type.Array', emitSchema(schema.items as JsonSchema), emitOptions(schema))
    case 'object':
      return emitObject(schema)
    default:
      throw new Error(`Unsupported schema: ${JSON.stringify(schema)}`)
  }
}

function emitObject(schema: JsonSchema): string {
  const { properties, additionalProperties } = schema as {
    properties?: Record<string, JsonSchema>
    additionalProperties?: boolean | JsonSchema
  }
  if (typeof additionalProperties === 'object') {
    if (properties) throw new Error(`Unsupported: properties together with an additionalProperties schema`)
    return withOptions('Type.Record', `Type.String(), ${emitSchema(additionalProperties)}`, emitOptions(schema))
  }
  const required = new Set((schema.required as string[] | undefined) ?? [])
  return withOptions('Type.Object', emitProperties(properties ?? {}, required), emitOptions(schema))
}

function emitProperties(properties: Record<string, JsonSchema>, required: Set<string>): string {
  const members = Object.entries(properties).map(([name, property]) => {
    const emitted = emitSchema(property)
    return `${JSON.stringify(name)}: ${required.has(name) ? emitted : `Type.Optional(${emitted})`}`
  })
  return `{ ${members.join(', ')} }`
}

function referencedSchemaNames(value: unknown, found = new Set<string>()): Set<string> {
  if (Array.isArray(value)) value.forEach((item) => referencedSchemaNames(item, found))
  else if (typeof value === 'object' && value !== null) {
    for (const [key, child] of Object.entries(value)) {
      if (key === '$ref' && typeof child === 'string') found.add(referencedName(child, 'schemas'))
      else referencedSchemaNames(child, found)
    }
  }
  return found
}

/** Component schemas as `export const Name = Type…`, each after the schemas it references. */
export function emitSchemas(document: OpenApiDocument): string {
  const schemas = document.components.schemas
  const ordered: string[] = []
  const visit = (name: string, path: string[]) => {
    if (ordered.includes(name)) return
    if (path.includes(name)) throw new Error(`Recursive schema ${[...path, name].join(' -> ')} is not supported`)
    for (const dependency of referencedSchemaNames(schemas[name])) visit(dependency, [...path, name])
    ordered.push(name)
  }
  Object.keys(schemas).forEach((name) => visit(name, []))
  return ordered.map((name) => `export const ${name} = ${emitSchema(schemas[name])}\n`).join('\n')
}

function emitParameters(parameters: Parameter[], location: 'path' | 'query' | 'header'): string | undefined {
  const inLocation = parameters.filter((parameter) => parameter.in === location)
  if (inLocation.length === 0) return undefined
  // Node lower-cases header names, and Fastify validates them as it receives them.
  const nameOf = (parameter: Parameter) => (location === 'header' ? parameter.name.toLowerCase() : parameter.name)
  const properties = Object.fromEntries(inLocation.map((parameter) => [nameOf(parameter), parameter.schema]))
  const required = new Set(inLocation.filter((parameter) => parameter.required).map(nameOf))
  return `Type.Object(${emitProperties(properties, required)})`
}

/**
 * The roles are the scopes of the bearerAuth requirements. Alternatives are understood in three forms only:
 * bearerAuth with and without tenantId (the tenant header is optional), and a streamToken requirement on
 * its own (a stream token in the query stands in for both headers).
 */
function emitSecurity(operationId: string, requirements: Record<string, string[]>[]): string {
  if (requirements.length === 0) return 'null'
  const refuse = (why: string) => new Error(`${operationId}: security ${JSON.stringify(requirements)}: ${why}`)
  const bearer = requirements.filter((requirement) => 'bearerAuth' in requirement)
  const streamToken = requirements.some((requirement) => 'streamToken' in requirement)
  for (const requirement of requirements) {
    const schemes = Object.keys(requirement).sort().join('+')
    if (!['bearerAuth', 'bearerAuth+tenantId', 'streamToken'].includes(schemes)) throw refuse(`unsupported requirement ${schemes}`)
  }
  const roles = bearer[0]?.bearerAuth
  if (!roles || roles.length === 0) throw refuse('a secured operation must name its roles as bearerAuth scopes')
  if (bearer.some((requirement) => JSON.stringify(requirement.bearerAuth) !== JSON.stringify(roles))) {
    throw refuse('alternatives must allow the same roles')
  }
  const withTenant = bearer.filter((requirement) => 'tenantId' in requirement).length
  if (bearer.length > 2 || withTenant > 1 || (bearer.length === 2 && withTenant !== 1)) throw refuse('unsupported alternatives')
  const tenantScoped = withTenant === 0 ? 'false' : bearer.length === 2 ? "'optional'" : 'true'
  return `{ roles: ${JSON.stringify(roles)}, tenantScoped: ${tenantScoped}, streamToken: ${streamToken} }`
}

/** `operations`: for each operationId, its method, Fastify URL, roles and TypeBox schemas. */
export function emitOperations(document: OpenApiDocument): string {
  const { components } = document
  const entries: string[] = []
  for (const [path, pathItem] of Object.entries(document.paths)) {
    for (const method of httpMethods.filter((name) => name in pathItem)) {
      const operation = pathItem[method]
      const parameters = (operation.parameters ?? []).map((parameter) =>
        isReference(parameter) ? components.parameters![referencedName(parameter.$ref, 'parameters')] : parameter,
      )
      const unsupported = parameters.filter((parameter) => parameter.in === 'cookie')
      if (unsupported.length > 0) throw new Error(`${operation.operationId}: cookie parameters are not supported`)
      const schemaParts: string[] = []
      const params = emitParameters(parameters, 'path')
      const querystring = emitParameters(parameters, 'query')
      const headers = emitParameters(parameters, 'header')
      if (params) schemaParts.push(`params: ${params}`)
      if (querystring) schemaParts.push(`querystring: ${querystring}`)
      if (headers) schemaParts.push(`headers: ${headers}`)
      const body = operation.requestBody?.content['application/json'].schema
      if (body) schemaParts.push(`body: ${emitSchema(body)}`)
      // Fastify answers 413 and 415 to any request that carries a body; the spec must say so.
      const undocumented = ['413', '415'].filter((status) => method !== 'get' && !(status in operation.responses))
      if (undocumented.length > 0) throw new Error(`${operation.operationId} must document ${undocumented.join(' and ')}`)
      let eventStream = false
      const responses = Object.entries(operation.responses).flatMap(([status, response]) => {
        const resolved = isReference(response)
          ? components.responses![referencedName(response.$ref, 'responses')]
          : response
        // An event stream is written by its handler frame by frame, so Fastify has no body to serialize.
        if (status === '200' && resolved.content?.['text/event-stream'] && method === 'get') {
          eventStream = true
          return []
        }
        // text/plain (the metrics) is sent as a string, which Fastify does not serialize.
        const schema = resolved.content?.['application/json']?.schema ?? resolved.content?.['text/plain']?.schema
        if (!schema) throw new Error(`${operation.operationId} ${status}: every response must have a JSON or text body`)
        return [`${status}: ${emitSchema(schema)}`]
      })
      schemaParts.push(`response: { ${responses.join(', ')} }`)
      entries.push(
        [
          `  ${operation.operationId}: {`,
          `    method: '${method.toUpperCase()}',`,
          `    url: '${path.replace(/\{([^}]+)\}/g, ':$1')}',`,
          `    security: ${emitSecurity(operation.operationId, operation.security ?? document.security ?? [])},`,
          `    bodyRequired: ${operation.requestBody?.required ?? false},`,
          `    eventStream: ${eventStream},`,
          `    schema: {\n      ${schemaParts.join(',\n      ')},\n    },`,
          '  },',
        ].join('\n'),
      )
    }
  }
  return `export const operations = {\n${entries.join('\n')}\n} as const\n`
}
