import { request as httpRequest } from 'node:http'
import { createParser } from 'eventsource-parser'
import { listening } from '../helpers/event-stream.js'
import type { TestApp } from '../helpers/test-app.js'
import type { FuzzRequest } from './request-arbitraries.js'

export type FuzzResponse = {
  status: number
  contentType?: string
  requestId?: string
  /** `Idempotent-Replayed: true`: the body is the first response's, stored under the Idempotency-Key. */
  replayed: boolean
  body: string
  /** For an event stream that opened: the data of the events it sent before going quiet and being hung up on. */
  events?: unknown[]
}

const isEventStream = (request: FuzzRequest): boolean => request.operation.responses.get(200) === 'text/event-stream'

// Longer than any bound the service promises (RESPONSE_TIMEOUT_SECONDS is 5 s), with room for a busy machine.
const answerTimeoutMs = 15_000
// A resumed stream replays what was missed in one burst; this long without data ends the burst.
const streamQuietMs = 50

/**
 * Event streams never end, so `inject` cannot wait for them: they go over a real socket, and the client
 * reads until the stream goes quiet (the first event, and any replay of missed ones), then hangs up, as
 * a browser closing its tab would.
 */
async function openStream(baseUrl: string, request: FuzzRequest): Promise<FuzzResponse> {
  const { url, body } = request
  // Framed by its length, as inject frames it: a GET body without it would reach the server as a second request.
  const headers = { ...request.headers, ...(body && { 'content-length': String(Buffer.byteLength(body.text)) }) }
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(new URL(url, baseUrl), { method: request.method, headers, agent: false }, (response) => {
      const status = response.statusCode ?? 0
      const contentType = response.headers['content-type']
      const requestId = response.headers['x-request-id'] as string | undefined
      const replayed = response.headers['idempotent-replayed'] === 'true'
      let text = ''
      response.setEncoding('utf8')
      if (status === 200 && contentType?.startsWith('text/event-stream')) {
        const events: unknown[] = []
        let quiet: NodeJS.Timeout | undefined
        const hangUp = () => {
          outgoing.destroy()
          resolve({ status, contentType, requestId, replayed, body: text, events })
        }
        const parser = createParser({ onEvent: (event) => events.push(JSON.parse(event.data)) })
        response.on('data', (chunk: string) => {
          text += chunk
          parser.feed(chunk)
          clearTimeout(quiet)
          if (events.length > 0) quiet = setTimeout(hangUp, streamQuietMs)
        })
      } else {
        response.on('data', (chunk: string) => (text += chunk))
        response.on('end', () => resolve({ status, contentType, requestId, replayed, body: text }))
      }
      response.on('error', () => {})
    })
    outgoing.setTimeout(answerTimeoutMs, () => outgoing.destroy(new Error(`no answer or first event within ${answerTimeoutMs} ms`)))
    outgoing.on('error', (error) => reject(error))
    outgoing.end(body?.text)
  })
}

/** Injects a request; one that is never answered (a HEAD that never ends, say) fails instead of hanging the suite. */
async function inject(context: TestApp, request: FuzzRequest): Promise<FuzzResponse> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${answerTimeoutMs} ms`)), answerTimeoutMs)))
  const injected = context.app.inject({ method: request.method as 'GET', url: request.url, headers: request.headers, payload: request.body?.text })
  const response = await Promise.race([injected, timeout]).finally(() => clearTimeout(timer))
  const header = (name: string) => response.headers[name] as string | undefined
  return {
    status: response.statusCode,
    contentType: header('content-type'),
    requestId: header('x-request-id'),
    replayed: header('idempotent-replayed') === 'true',
    body: response.body,
  }
}

/** Sends a generated request: injected, or over a socket for event streams (a HEAD has no stream to wait for). */
export async function sendRequest(context: TestApp, request: FuzzRequest): Promise<FuzzResponse> {
  if (isEventStream(request) && request.method !== 'HEAD') return openStream(await listening(context), request)
  return inject(context, request)
}
