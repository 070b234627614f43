import { readFileSync } from 'node:fs'
import { parse } from 'yaml'

export type JsonSchema = Record<string, any>

export type Parameter = { name: string; in: 'path' | 'query' | 'header'; required: boolean; schema: JsonSchema }

/** One way an operation may be called, as a security requirement of openapi.yaml says it. */
export type Requirement = { roles: string[]; tenant: boolean } | { streamToken: true }

export type Operation = {
  operationId: string
  method: string
  path: string
  parameters: Parameter[]
  body?: { required: boolean; schema: JsonSchema }
  /** Empty for operations anyone may call (health, metrics). */
  requirements: Requirement[]
  /** Documented statuses and the media type of each one's body. */
  responses: Map<number, string | undefined>
}

// Read from openapi.yaml itself, as the spec validator does: the fuzzer follows the contract, not generated/.
const document = parse(readFileSync(new URL('../../openapi.yaml', import.meta.url), 'utf8'))

/** The schema or component a local `$ref` ('#/components/…') points at. */
export function resolveReference(reference: string): JsonSchema {
  if (!reference.startsWith('#/')) throw new Error(`openapi.yaml: only local references are fuzzed, not ${reference}`)
  return reference
    .slice(2)
    .split('/')
    .reduce((node, key) => {
      const child = node?.[key.replaceAll('~1', '/').replaceAll('~0', '~')]
      if (child === undefined) throw new Error(`openapi.yaml: ${reference} points at nothing`)
      return child
    }, document)
}

const dereference = (node: JsonSchema): JsonSchema => (node.$ref ? dereference(resolveReference(node.$ref)) : node)

function requirementsOf(security: Record<string, string[]>[]): Requirement[] {
  return security.map((requirement) => {
    if ('streamToken' in requirement) return { streamToken: true }
    if (!requirement.bearerAuth) throw new Error(`openapi.yaml: unknown security requirement ${JSON.stringify(requirement)}`)
    return { roles: requirement.bearerAuth, tenant: 'tenantId' in requirement }
  })
}

function operationOf(path: string, method: string, operation: JsonSchema): Operation {
  const responses = new Map<number, string | undefined>()
  for (const [status, response] of Object.entries<JsonSchema>(operation.responses)) {
    responses.set(Number(status), Object.keys(dereference(response).content ?? {})[0])
  }
  const requestBody = operation.requestBody && dereference(operation.requestBody)
  return {
    operationId: operation.operationId,
    method: method.toUpperCase(),
    path,
    parameters: (operation.parameters ?? []).map((parameter: JsonSchema) => dereference(parameter) as Parameter),
    ...(requestBody && { body: { required: requestBody.required === true, schema: requestBody.content['application/json'].schema } }),
    requirements: requirementsOf(operation.security ?? document.security ?? []),
    responses,
  }
}

/** Every operation of openapi.yaml, in the order the file lists them. */
export const operations: Operation[] = Object.entries<JsonSchema>(document.paths).flatMap(([path, pathItem]) =>
  Object.entries<JsonSchema>(pathItem).map(([method, operation]) => operationOf(path, method, operation)),
)
