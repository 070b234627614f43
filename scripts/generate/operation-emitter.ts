// Emits the operation table of generated/routes.ts: for each operationId its method, Fastify URL, roles and the
// TypeBox schemas of its parameters, body and responses (translated by schema-emitter.ts). What the table
// cannot say is refused with the JSON pointer of the node, like the schemas are.
import { pointerTo, Refusal } from './refusal.js'
import { emitObjectType, emitSchema, type JsonSchema } from './schema-emitter.js'

type Reference = { $ref: string }
type Parameter = { name: string; in: string; required?: boolean; schema?: JsonSchema }
type Content = Record<string, { schema?: JsonSchema }>
type Response = { content?: Content }
type SecurityRequirement = Record<string, string[]>
type Operation = {
  operationId?: string
  parameters?: (Parameter | Reference)[]
  requestBody?: { required?: boolean; content?: Content } | Reference
  responses: Record<string, Response | Reference>
  security?: SecurityRequirement[]
}
export type OpenApiDocument = {
  paths: Record<string, Record<string, Operation>>
  security?: SecurityRequirement[]
  components: {
    schemas: Record<string, JsonSchema>
    parameters?: Record<string, Parameter>
    responses?: Record<string, Response>
  }
}

/** A node of openapi.yaml with its pointer: for one reached through a $ref, the pointer of the target. */
type Located<Node> = { node: Node; pointer: string }
type Context = { document: OpenApiDocument; componentNames: ReadonlySet<string> }

const httpMethods = ['get', 'put', 'post', 'delete', 'patch']
const pathItemAnnotations = ['summary', 'description']
const parameterLocations = ['path', 'query', 'header'] as const

/** `operations`: for each operationId, its method, Fastify URL, roles and TypeBox schemas. */
export function emitOperationTable(document: OpenApiDocument): string {
  const context: Context = { document, componentNames: new Set(Object.keys(document.components.schemas)) }
  const entries = Object.entries(document.paths).flatMap(([path, pathItem]) => {
    const pathPointer = pointerTo('#/paths', path)
    for (const key of Object.keys(pathItem)) {
      if (httpMethods.includes(key) || pathItemAnnotations.includes(key)) continue
      const instead = key === 'parameters' ? 'list the parameters in each operation' : 'write get, put, post, delete or patch operations'
      throw new Refusal(pointerTo(pathPointer, key), key, 'is not translated in a path item', instead)
    }
    return httpMethods
      .filter((method) => method in pathItem)
      .map((method) => emitOperation(path, method, pathItem[method], pointerTo(pathPointer, method), context))
  })
  return `export const operations = {\n${entries.join('\n')}\n} as const\n`
}

function emitOperation(path: string, method: string, operation: Operation, pointer: string, context: Context): string {
  const { operationId } = operation
  if (typeof operationId !== 'string') {
    throw new Refusal(pointer, 'operationId', 'is missing', 'name the operation: its operationId is its key in the table')
  }
  if (!/^[A-Za-z_$][\w$]*$/.test(operationId)) {
    throw new Refusal(pointerTo(pointer, 'operationId'), 'operationId', `${operationId} is not a TypeScript identifier, which the key of the table is`, 'name the operation in letters, digits and _')
  }
  const parameters = (operation.parameters ?? []).map((parameter, index) =>
    checkParameter(resolve(parameter, pointerTo(pointer, 'parameters', index), 'parameters', context.document)),
  )
  const schemaParts: string[] = []
  const [params, querystring, headers] = parameterLocations.map((location) => emitParameters(parameters, location, context))
  if (params) schemaParts.push(`params: ${params}`)
  if (querystring) schemaParts.push(`querystring: ${querystring}`)
  if (headers) schemaParts.push(`headers: ${headers}`)
  const body = emitBody(operation, pointer, context)
  if (body) schemaParts.push(`body: ${body}`)
  const { responses, eventStream } = emitResponses(method, operation, pointer, context)
  schemaParts.push(`response: { ${responses.join(', ')} }`)
  const securityPointer = operation.security ? pointerTo(pointer, 'security') : '#/security'
  const requestBody = operation.requestBody as { required?: boolean } | undefined
  return [
    `  ${operationId}: {`,
    `    method: '${method.toUpperCase()}',`,
    `    url: '${path.replace(/\{([^}]+)\}/g, ':$1')}',`,
    `    security: ${emitSecurity(operation.security ?? context.document.security ?? [], securityPointer)},`,
    `    bodyRequired: ${requestBody?.required ?? false},`,
    `    eventStream: ${eventStream},`,
    `    schema: {\n      ${schemaParts.join(',\n      ')},\n    },`,
    '  },',
  ].join('\n')
}

const isReference = (value: unknown): value is Reference => typeof value === 'object' && value !== null && '$ref' in value

function resolve<Node>(value: Node | Reference, pointer: string, section: 'parameters' | 'responses', document: OpenApiDocument): Located<Node> {
  if (!isReference(value)) return { node: value, pointer }
  const at = pointerTo(pointer, '$ref')
  const prefix = `#/components/${section}/`
  const name = value.$ref.slice(prefix.length)
  if (!value.$ref.startsWith(prefix) || name.includes('/')) {
    throw new Refusal(at, '$ref', `to ${value.$ref} is not to one of the components/${section}`, `refer to a whole one, as ${prefix}<Name>`)
  }
  const components = document.components[section] ?? {}
  if (!Object.hasOwn(components, name)) {
    throw new Refusal(at, '$ref', `names ${value.$ref}, which does not exist`, `define ${name} under components/${section}, or correct the name`)
  }
  return { node: components[name] as Node, pointer: pointerTo(`#/components/${section}`, name) }
}

function checkParameter(parameter: Located<Parameter>): Located<Parameter> {
  const { node, pointer } = parameter
  if (!(parameterLocations as readonly string[]).includes(node.in)) {
    throw new Refusal(pointerTo(pointer, 'in'), 'in', `is ${String(node.in)}, which is not translated`, 'send it in the path, the query or a header')
  }
  if (!node.schema) throw new Refusal(pointerTo(pointer, 'schema'), 'schema', 'is missing (content is not translated)', 'describe the parameter with schema')
  return parameter
}

function emitParameters(parameters: Located<Parameter>[], location: string, { componentNames }: Context): string | undefined {
  const inLocation = parameters.filter(({ node }) => node.in === location)
  if (inLocation.length === 0) return undefined
  return emitObjectType(
    inLocation.map(({ node, pointer }) => ({
      // Node lower-cases header names, and Fastify validates them as it receives them.
      name: location === 'header' ? node.name.toLowerCase() : node.name,
      type: emitSchema(node.schema!, pointerTo(pointer, 'schema'), componentNames),
      required: Boolean(node.required),
    })),
  )
}

// Bodies are JSON only (src/plugins/json-body.ts answers 415 to any other media type), so a body of another
// media type would document what the API refuses.
function emitBody({ requestBody }: Operation, operationPointer: string, { componentNames }: Context): string | undefined {
  if (!requestBody) return undefined
  const pointer = pointerTo(operationPointer, 'requestBody')
  if (isReference(requestBody)) {
    throw new Refusal(pointerTo(pointer, '$ref'), '$ref', 'to components/requestBodies is not translated', 'write the request body in the operation')
  }
  const contentPointer = pointerTo(pointer, 'content')
  for (const mediaType of Object.keys(requestBody.content ?? {})) {
    if (mediaType === 'application/json') continue
    throw new Refusal(pointerTo(contentPointer, mediaType), mediaType, 'is not a body the API reads (it answers 415 to any but application/json)', 'take the body as application/json')
  }
  const schema = requestBody.content?.['application/json']?.schema
  const schemaPointer = pointerTo(contentPointer, 'application/json', 'schema')
  if (!schema) throw new Refusal(schemaPointer, 'schema', 'of an application/json body is missing', 'describe the body with content: {application/json: {schema: …}}')
  return emitSchema(schema, schemaPointer, componentNames)
}

function emitResponses(method: string, operation: Operation, operationPointer: string, { document, componentNames }: Context) {
  const pointer = pointerTo(operationPointer, 'responses')
  // Fastify answers 413 and 415 to any request that carries a body; the spec must say so.
  const undocumented = ['413', '415'].filter((status) => method !== 'get' && !(status in operation.responses))
  if (undocumented.length > 0) {
    throw new Refusal(pointer, 'responses', `lacks ${undocumented.join(' and ')}, which Fastify answers to any request that carries a body`, `document ${undocumented.join(' and ')}`)
  }
  let eventStream = false
  const responses = Object.entries(operation.responses).flatMap(([status, response]) => {
    const at = pointerTo(pointer, status)
    if (!/^\d{3}$/.test(status)) throw new Refusal(at, status, 'is not translated as a status', 'document each status code on its own')
    const { node, pointer: resolvedPointer } = resolve(response, at, 'responses', document)
    // An event stream is written by its handler frame by frame, so Fastify has no body to serialize.
    if (status === '200' && node.content?.['text/event-stream'] && method === 'get') {
      eventStream = true
      return []
    }
    // text/plain (the metrics) is sent as a string, which Fastify does not serialize.
    const mediaType = ['application/json', 'text/plain'].find((type) => node.content?.[type]?.schema)
    if (!mediaType) {
      const through = resolvedPointer === at ? '' : ` (through ${resolvedPointer})`
      throw new Refusal(at, 'content', `has no application/json or text/plain schema${through}, and text/event-stream is only the 200 of a GET`, 'describe the body as application/json')
    }
    return [`${status}: ${emitSchema(node.content![mediaType].schema!, pointerTo(resolvedPointer, 'content', mediaType, 'schema'), componentNames)}`]
  })
  return { responses, eventStream }
}

/**
 * The roles are the scopes of the bearerAuth requirements. Alternatives are understood in three forms only:
 * bearerAuth with and without tenantId (the tenant header is optional), and a streamToken requirement on
 * its own (a stream token in the query stands in for both headers).
 */
function emitSecurity(requirements: SecurityRequirement[], pointer: string): string {
  if (requirements.length === 0) return 'null'
  requirements.forEach((requirement, index) => {
    const schemes = Object.keys(requirement).sort().join('+')
    if (['bearerAuth', 'bearerAuth+tenantId', 'streamToken'].includes(schemes)) return
    throw new Refusal(pointerTo(pointer, index), 'security', `requirement ${schemes} is not translated`, 'require bearerAuth (with or without tenantId), or streamToken alone')
  })
  const bearer = requirements.flatMap((requirement, index) => ('bearerAuth' in requirement ? [{ requirement, index }] : []))
  const roles = bearer[0]?.requirement.bearerAuth
  if (!roles || roles.length === 0) {
    const at = bearer[0] ? pointerTo(pointer, bearer[0].index, 'bearerAuth') : pointer
    throw new Refusal(at, 'bearerAuth', 'names no roles', 'list the roles allowed as its scopes, or write security: [] for a public operation')
  }
  const differing = bearer.find(({ requirement }) => JSON.stringify(requirement.bearerAuth) !== JSON.stringify(roles))
  if (differing) {
    throw new Refusal(pointerTo(pointer, differing.index, 'bearerAuth'), 'bearerAuth', `allows other roles than ${JSON.stringify(roles)}`, 'allow the same roles in every alternative')
  }
  const withTenant = bearer.filter(({ requirement }) => 'tenantId' in requirement).length
  if (bearer.length > 2 || withTenant > 1 || (bearer.length === 2 && withTenant !== 1)) {
    throw new Refusal(pointer, 'security', 'alternatives are not one of the forms translated', 'offer bearerAuth once with tenantId and once without, and streamToken')
  }
  const streamToken = requirements.some((requirement) => 'streamToken' in requirement)
  const tenantScoped = withTenant === 0 ? 'false' : bearer.length === 2 ? "'optional'" : 'true'
  return `{ roles: ${JSON.stringify(roles)}, tenantScoped: ${tenantScoped}, streamToken: ${streamToken} }`
}
