import { readFileSync } from 'node:fs'
import Ajv2020 from 'ajv/dist/2020.js'
import addFormats from 'ajv-formats'
import { parse } from 'yaml'

// Checks responses against openapi.yaml itself, not against generated/, so a generator bug cannot hide.
const document = parse(readFileSync(new URL('../../openapi.yaml', import.meta.url), 'utf8'))
const ajv = addFormats.default(new Ajv2020.default({ strict: false, allErrors: true }))
ajv.addSchema(document, 'openapi')

type Responses = Record<string, { $ref?: string; content?: { 'application/json': { schema: object } } }>
const operations = new Map<string, Responses>()
for (const pathItem of Object.values(document.paths as Record<string, Record<string, { operationId: string; responses: Responses }>>)) {
  for (const operation of Object.values(pathItem)) operations.set(operation.operationId, operation.responses)
}

function schemaPointer(operationId: string, status: number): string {
  const responses = operations.get(operationId)
  if (!responses) throw new Error(`openapi.yaml has no operation ${operationId}`)
  const response = responses[String(status)]
  if (!response) throw new Error(`openapi.yaml does not document ${status} for ${operationId}`)
  if (response.$ref) return `openapi${response.$ref}/content/application~1json/schema`
  const [path, method] = findOperationPath(operationId)
  return `openapi#/paths/${path.replaceAll('~', '~0').replaceAll('/', '~1')}/${method}/responses/${status}/content/application~1json/schema`
}

function findOperationPath(operationId: string): [string, string] {
  for (const [path, pathItem] of Object.entries(document.paths as Record<string, Record<string, { operationId: string }>>)) {
    for (const [method, operation] of Object.entries(pathItem)) if (operation.operationId === operationId) return [path, method]
  }
  throw new Error(`openapi.yaml has no operation ${operationId}`)
}

/** Errors of `body` against the response schema openapi.yaml documents for the operation and status. */
export function specErrors(operationId: string, status: number, body: unknown): string[] {
  const validate = ajv.getSchema(schemaPointer(operationId, status)) ?? ajv.compile({ $ref: schemaPointer(operationId, status) })
  return validate(body) ? [] : (validate.errors ?? []).map((error) => `${error.instancePath} ${error.message}`)
}

/** Errors of `body` against a component schema, for responses of no operation (unknown routes). */
export function componentErrors(schemaName: string, body: unknown): string[] {
  const validate = ajv.compile({ $ref: `openapi#/components/schemas/${schemaName}` })
  return validate(body) ? [] : (validate.errors ?? []).map((error) => `${error.instancePath} ${error.message}`)
}

// Each operation's path as a pattern, static paths before those with parameters (`/agents/me/…` before `/agents/{id}/…`).
const routes = Object.entries(document.paths as Record<string, Record<string, { operationId: string }>>)
  .flatMap(([path, pathItem]) =>
    Object.entries(pathItem).map(([method, operation]) => ({
      method: method.toUpperCase(),
      pattern: new RegExp(`^${path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+')}$`),
      parameters: (path.match(/\{/g) ?? []).length,
      operationId: operation.operationId,
    })),
  )
  .sort((a, b) => a.parameters - b.parameters)

/** The operation a request reaches, by its method and path, as the router would match it; undefined for none. */
export function operationOf(method: string, url: string): string | undefined {
  const path = url.split('?')[0]
  return routes.find((route) => route.method === method.toUpperCase() && route.pattern.test(path))?.operationId
}

type HeaderObject = { $ref?: string; required?: boolean }

/** The response headers openapi.yaml marks required for the operation and status, lower-cased. */
function requiredHeaders(operationId: string, status: number): string[] {
  const declared = operations.get(operationId)![String(status)] as { $ref?: string; headers?: Record<string, HeaderObject> }
  const response = declared.$ref ? (document.components.responses[declared.$ref.split('/').pop()!] as typeof declared) : declared
  const resolve = (header: HeaderObject): HeaderObject => (header.$ref ? document.components.headers[header.$ref.split('/').pop()!] : header)
  return Object.entries(response.headers ?? {})
    .filter(([, header]) => resolve(header).required)
    .map(([name]) => name.toLowerCase())
}

/**
 * Throws unless a JSON response to an operation fits openapi.yaml for its status, headers it marks required included. Responses of no operation
 * (unknown routes, preflights, /docs), empty ones (HEAD) and other media types (event streams, metrics) pass.
 */
export function assertResponseFitsSpec(method: string, url: string, response: { statusCode: number; headers: Record<string, unknown>; body: string }): void {
  const operationId = operationOf(method, url)
  const json = String(response.headers['content-type'] ?? '').startsWith('application/json')
  if (!operationId || !json || response.body === '') return
  const errors = [
    ...specErrors(operationId, response.statusCode, JSON.parse(response.body)),
    ...requiredHeaders(operationId, response.statusCode)
      .filter((name) => response.headers[name] === undefined)
      .map((name) => `the ${name} header is missing`),
  ]
  if (errors.length > 0) {
    throw new Error(`${method} ${url} answered ${response.statusCode}, which does not fit openapi.yaml for ${operationId}: ${errors.join('; ')}`)
  }
}
