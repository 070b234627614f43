import { errorCodeOf, isTransient } from './error-codes.js'

/** Who calls and how persistently: applied to every request the client makes, streams included. */
export type TransportOptions = {
  /** The bearer token, or a function that returns the current one (called for every attempt, so a refreshed token is used). */
  token: string | (() => string | Promise<string>)
  /** The tenant to act for. Leave it out when the API's host is the tenant's domain. */
  tenantId?: number
  /**
   * Attempts per request when the network fails or the API answers a transient error (a time-out, a rate limit,
   * the database away, a retry whose first request still runs); 1 turns retries off. Default 4.
   */
  attempts?: number
  /** The first retry's wait when the API gives no `Retry-After`, doubled for each next one. Default 250 ms. */
  retryDelayMs?: number
  /** The fetch to use (a test's, or one with credentials set); default `globalThis.fetch`. */
  fetch?: (request: Request) => Promise<Response>
}

// An answer that is not the envelope (a proxy's or balancer's error page) is retried by its status.
const retriedProxyStatuses = new Set([408, 429, 502, 503, 504])
const maxRetryDelayMs = 30_000

/**
 * A fetch that signs each request and retries what is safe to retry. A POST is retried only with an
 * `Idempotency-Key`, so one is added to every POST that has none: the API then answers a retry with the first
 * answer and does nothing twice. PUT and PATCH set fields, so repeating them changes nothing.
 */
export function createTransport(options: TransportOptions): (request: Request) => Promise<Response> {
  const send = options.fetch ?? ((request: Request) => globalThis.fetch(request))
  const attempts = Math.max(1, options.attempts ?? 4)
  const firstDelayMs = options.retryDelayMs ?? 250

  return async (request) => {
    if (request.method === 'POST' && !request.headers.has('Idempotency-Key')) request.headers.set('Idempotency-Key', newIdempotencyKey())
    for (let attempt = 1; ; attempt += 1) {
      const last = attempt >= attempts
      const sent = last ? request : request.clone()
      await sign(sent.headers, options)
      try {
        const response = await send(sent)
        if (last || !(await isRetried(response))) return response
        await response.body?.cancel()
        await pause(retryAfterMs(response) ?? backoff(firstDelayMs, attempt), request.signal)
      } catch (error) {
        if (last || request.signal.aborted || !(error instanceof TypeError)) throw error
        await pause(backoff(firstDelayMs, attempt), request.signal)
      }
    }
  }
}

async function isRetried(response: Response): Promise<boolean> {
  if (response.ok) return false
  const code = await errorCodeOf(response)
  return code === undefined ? retriedProxyStatuses.has(response.status) : isTransient(code)
}

/** Sets the token and tenant unless the request carries its own. */
export async function sign(headers: Headers, options: Pick<TransportOptions, 'token' | 'tenantId'>): Promise<void> {
  if (!headers.has('Authorization')) {
    const token = typeof options.token === 'function' ? await options.token() : options.token
    headers.set('Authorization', `Bearer ${token}`)
  }
  if (options.tenantId !== undefined && !headers.has('X-Tenant-ID')) headers.set('X-Tenant-ID', String(options.tenantId))
}

/** `Retry-After` in seconds (the API sends seconds), bounded so a wrong header cannot stall a page. */
export function retryAfterMs(response: Response): number | undefined {
  const seconds = Number(response.headers.get('Retry-After'))
  return response.headers.has('Retry-After') && Number.isFinite(seconds) && seconds >= 0 ? Math.min(seconds * 1000, maxRetryDelayMs) : undefined
}

export const backoff = (firstDelayMs: number, attempt: number) => Math.min(firstDelayMs * 2 ** (attempt - 1), maxRetryDelayMs)

export function pause(milliseconds: number, signal?: AbortSignal | null): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason)
    const done = () => {
      clearTimeout(timer)
      signal?.removeEventListener('abort', aborted)
    }
    const aborted = () => {
      done()
      reject(signal!.reason)
    }
    const timer = setTimeout(() => {
      done()
      resolve()
    }, milliseconds)
    signal?.addEventListener('abort', aborted, { once: true })
  })
}

/**
 * A new `Idempotency-Key`: a random UUID (v4). Every POST gets one, kept across its retries; pass your own (as
 * the `Idempotency-Key` header) to keep one across a person's resends of the same thing. `crypto.randomUUID`
 * exists only in secure contexts (https, localhost), and a page on a LAN address over http is not one.
 */
export function newIdempotencyKey(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16))
  bytes[6] = (bytes[6] & 0x0f) | 0x40
  bytes[8] = (bytes[8] & 0x3f) | 0x80
  const hex = Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}
