import fc from 'fast-check'
import { bodyArbitraries, type RequestBody } from './body-arbitraries.js'
import { callerArbitraries, type Caller } from './caller-arbitraries.js'
import type { FuzzWorld } from './fuzz-world.js'
import { operations, type Operation, type Parameter } from './openapi-operations.js'
import { encodeComponent, headerParameterArbitraries, parameterArbitraries, uuidSource, type Part } from './parameter-arbitraries.js'

/** One generated request, with what the checks need to judge its response. */
export type FuzzRequest = {
  operation: Operation
  /** The operation's method, or HEAD for a GET: it must answer as the GET would, without a body. */
  method: string
  url: string
  headers: Record<string, string>
  body?: RequestBody
  caller: Caller
  /** The part generated invalid (caller, path, query, headers or body), if any. */
  broken?: string
}

/** X-Request-ID values the service must echo (1-128 of `A-Z a-z 0-9 . _ : -`) and ones it must replace. */
export const safeRequestId = /^[A-Za-z0-9._:-]{1,128}$/
const requestIds = fc.option(
  fc.oneof(fc.stringMatching(safeRequestId), fc.constantFrom('', ' ', 'a b', 'x'.repeat(129), 'id\t1', '<script>', '../../etc', 'é')),
  { nil: undefined, freq: 3 },
)

const shorten = (text: string) => (text.length > 300 ? `${JSON.stringify(text.slice(0, 300))}… (${text.length} characters)` : JSON.stringify(text))

/** How fast-check prints a counterexample: long bodies and URLs cut short, so the report stays readable. */
function describe({ operation, method, url, headers, body, caller, broken }: FuzzRequest): string {
  return [
    `${operation.operationId}: ${method} ${shorten(url)}`,
    `  caller: ${caller.kind}; invalid: ${broken ?? 'nothing'}`,
    `  headers: ${shorten(JSON.stringify(headers))}`,
    ...(body ? [`  body (${body.kind}, Content-Type ${body.contentType ?? 'none'}): ${shorten(body.text)}`] : []),
  ].join('\n')
}

/** Values for a list of parameters: all valid (optional ones sometimes left out), or one of them invalid. */
function parametersPart(values: Part<string>[], optional: boolean): Part<(string | undefined)[]> {
  const valid = values.map((value) => (optional ? fc.option(value.valid, { nil: undefined, freq: 2 }) : value.valid))
  return {
    valid: fc.tuple(...valid),
    invalid: values.length === 0 ? fc.constant([]) : fc.oneof(...values.map((value, index) => fc.tuple(...valid.with(index, value.invalid)))),
  }
}

// Unknown, prototype-named, list-shaped and malformed query parameters.
const oddQueries = ['foo=1', '__proto__=1', 'constructor=x', 'hasOwnProperty=1', 'limit[]=1', '&&', '=', 'a=%', 'a=%zz', 'toString']

function queryPart(world: FuzzWorld, operation: Operation, parameters: Parameter[]): Part<string[]> {
  const values = parametersPart(
    parameters.map((parameter) => parameterArbitraries(world, operation, parameter)),
    true,
  )
  const pairs = (texts: (string | undefined)[]) => texts.flatMap((text, index) => (text === undefined ? [] : [`${parameters[index].name}=${text}`]))
  const extra = [
    fc.constantFrom(...oddQueries).map((query) => [query]),
    // The same parameter twice: a list where the schema wants one value.
    ...(parameters.length > 0 ? [fc.constantFrom(...parameters).map((parameter) => [`${parameter.name}=1`, `${parameter.name}=2`])] : []),
  ]
  return {
    valid: values.valid.map(pairs),
    invalid: fc.oneof(values.invalid.map(pairs), ...extra.map((odd) => fc.tuple(values.valid, odd).map(([texts, more]) => [...pairs(texts), ...more]))),
  }
}

type Parts = { caller: Caller; path: (string | undefined)[]; query: string[]; headers: (string | undefined)[]; body: RequestBody | undefined }

/**
 * Requests for one operation: two in five entirely valid (so real rows are read and written), the rest with
 * exactly one part broken, so a counterexample says what broke it.
 */
export function requestArbitrary(world: FuzzWorld, operation: Operation): fc.Arbitrary<FuzzRequest> {
  const inPath = operation.parameters.filter((parameter) => parameter.in === 'path')
  const inHeaders = operation.parameters.filter((parameter) => parameter.in === 'header')
  const parts: { [Name in keyof Parts]: Part<Parts[Name]> } = {
    caller: callerArbitraries(world, operation),
    path: parametersPart(
      inPath.map((parameter) => parameterArbitraries(world, operation, parameter)),
      false,
    ),
    query: queryPart(world, operation, operation.parameters.filter((parameter) => parameter.in === 'query')),
    headers: parametersPart(inHeaders.map((parameter) => headerParameterArbitraries(world, parameter)), true),
    body: bodyArbitraries(operation.body, uuidSource(world, operation)),
  }
  const names = Object.keys(parts) as (keyof Parts)[]
  const valid = Object.fromEntries(names.map((name) => [name, parts[name].valid])) as { [Name in keyof Parts]: fc.Arbitrary<Parts[Name]> }
  const breakable = names.filter((name) => name !== 'path' || inPath.length > 0)
  const generated = fc.oneof(
    { arbitrary: fc.record(valid).map((request) => ({ ...request, broken: undefined })), weight: 2 },
    { arbitrary: fc.oneof(...breakable.map((name) => fc.record({ ...valid, [name]: parts[name].invalid }).map((request) => ({ ...request, broken: name })))), weight: 3 },
  )
  const methods = operation.method === 'GET' ? fc.oneof({ arbitrary: fc.constant('GET'), weight: 9 }, { arbitrary: fc.constant('HEAD'), weight: 1 }) : fc.constant(operation.method)
  return fc.tuple(generated, methods, requestIds).map(([{ caller, path, query, headers, body, broken }, method, requestId]) => {
    let url = operation.path
    inPath.forEach((parameter, index) => (url = url.replace(`{${parameter.name}}`, path[index]!)))
    const pairs = [...query, ...(caller.streamToken === undefined ? [] : [`stream_token=${encodeComponent(caller.streamToken)}`])]
    if (pairs.length > 0) url += `?${pairs.join('&')}`
    const requestHeaders: Record<string, string> = { ...caller.headers, ...(requestId !== undefined && { 'x-request-id': requestId }) }
    inHeaders.forEach((parameter, index) => {
      if (headers[index] !== undefined) requestHeaders[parameter.name.toLowerCase()] = headers[index]
    })
    if (body?.contentType !== undefined) requestHeaders['content-type'] = body.contentType
    const request: FuzzRequest = { operation, method, url, headers: requestHeaders, body, caller, broken }
    return Object.assign(request, { [fc.toStringMethod]: () => describe(request) })
  })
}

/** Requests for every operation of openapi.yaml, each operation as likely as the next. */
export const everyOperationRequest = (world: FuzzWorld): fc.Arbitrary<FuzzRequest> =>
  fc.oneof(...operations.map((operation) => requestArbitrary(world, operation)))
