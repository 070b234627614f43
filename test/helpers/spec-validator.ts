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
