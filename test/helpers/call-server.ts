import type { Test } from 'tap'
import { jsonReader, type Answered, type OperationId, type RequestBody, type Status, type UntypedBody } from './operation-types.js'
import { assertResponseFitsSpec, specErrors } from './spec-validator.js'

/** `call`'s options over fetch: the payload is the operation's request body, or, for a refusal, text or an `untypedBody`. */
export type ServerCallOptions<K extends OperationId> = {
  method?: string
  url: string
  headers?: Record<string, string>
  query?: Record<string, string>
  payload?: RequestBody<K> | UntypedBody | string
  signal?: AbortSignal
}

/** A fetched answer, typed as `call`'s: its status and body those openapi.yaml documents for the operation. */
export type ServerAnswer<K extends OperationId> = Answered<K> & { headers: Headers; body: string }

/**
 * `call` for a server on a socket (a server process, or an app listening): sends the request with fetch, checks the
 * answer against openapi.yaml for the operation (its body, and the headers it marks required), and types it by
 * the operation. An object payload goes as JSON; text goes as it is, with the headers the test gives.
 */
export async function callServer<K extends OperationId>(t: Test, baseUrl: string, operationId: K, options: ServerCallOptions<K>): Promise<ServerAnswer<K>> {
  const { method = 'GET', url, headers = {}, query = {}, payload, signal } = options
  const target = new URL(url, baseUrl)
  for (const [name, value] of Object.entries(query)) target.searchParams.set(name, value)
  const json = payload !== undefined && typeof payload !== 'string'
  const response = await fetch(target, {
    method,
    headers: { ...(json && { 'content-type': 'application/json' }), ...headers },
    body: json ? JSON.stringify(payload) : payload,
    signal,
  })
  const text = await response.text()
  const body = JSON.parse(text)
  t.same(specErrors(operationId, response.status, body), [], `${operationId} ${response.status} body matches openapi.yaml`)
  assertResponseFitsSpec(method, target.pathname, { statusCode: response.status, headers: Object.fromEntries(response.headers), body: text })
  return { statusCode: response.status as Status<K>, headers: response.headers, body: text, json: jsonReader(operationId, response.status, body) } as ServerAnswer<K>
}
