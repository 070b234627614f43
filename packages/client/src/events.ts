import { createParser, type EventSourceMessage } from 'eventsource-parser'
import { ApiError } from './calls.js'
import { errorCodeOf, isTransient } from './error-codes.js'
import { unwrap } from './result.js'
import { backoff, pause, retryAfterMs, sign, type TransportOptions } from './transport.js'
import type { ErrorCode, StreamEvent } from './types.js'

export type EventsOptions = {
  /** `agent`: `GET /livechat/events` (the default); `client`: the tenant user's `GET /livechat/client/events`. */
  side?: 'agent' | 'client'
  /** Follow one session only. */
  sessionId?: string
  /** Resume after this event (a `lastEventId` kept from an earlier stream). */
  lastEventId?: string
  /** Ends the stream: the loop over it then finishes. */
  signal?: AbortSignal
  /** Told when the stream is open and when it is lost and being reopened: show it to people. */
  onConnectionChange?: (state: 'open' | 'reconnecting') => void
  /**
   * A stream that sends nothing this long is taken for lost (a cut network often ends nothing) and reopened.
   * The API sends a keep-alive every `STREAM_HEARTBEAT_SECONDS` (15 s by default). Default 45 s.
   */
  idleTimeoutMs?: number
}

/** An open event stream: loop over it with `for await`. It reopens itself after any loss, from the last event seen. */
export type LiveEvents = AsyncIterable<StreamEvent> & {
  /** The id of the last stored event delivered: pass it as `lastEventId` to resume in a later stream. */
  readonly lastEventId: string | undefined
}

// Besides the transient failures, refusals that reconnecting may cure: a failed instance, the caller's other streams closing.
const reopenedCodes: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['INTERNAL_ERROR', 'TOO_MANY_STREAMS'])
// An answer that is not the envelope (a proxy's or balancer's error page) is judged by its status.
const reopenedProxyStatuses = new Set([408, 429, 500, 502, 503, 504])

const reopens = (code: ErrorCode | undefined, status: number) =>
  code === undefined ? reopenedProxyStatuses.has(status) : isTransient(code) || reopenedCodes.has(code)

/**
 * Reads the stream with fetch rather than `EventSource`, so it sends the token and tenant as headers and resumes
 * with `Last-Event-ID` after every loss: each missed event comes once, in order, then the live ones. A refused
 * stream (`UNAUTHENTICATED`, `FORBIDDEN`, `NOT_FOUND`, or `LAST_EVENT_ID_EXPIRED` when the resume point is too old)
 * throws an `ApiError`.
 */
export function eventsOf(baseUrl: string, transport: TransportOptions, options: EventsOptions = {}): LiveEvents {
  const path = options.side === 'client' ? '/livechat/client/events' : '/livechat/events'
  const send = transport.fetch ?? ((request: Request) => globalThis.fetch(request))
  const idleTimeoutMs = options.idleTimeoutMs ?? 45_000
  const state = { lastEventId: options.lastEventId, retryMs: 1000, failures: 0 }

  /** The response of a stream that opened, or how long to wait before trying again. */
  async function open(signal: AbortSignal): Promise<Response | number> {
    const url = new URL(`${baseUrl.replace(/\/+$/, '')}${path}`)
    if (options.sessionId !== undefined) url.searchParams.set('session_id', options.sessionId)
    const headers = new Headers({ Accept: 'text/event-stream' })
    if (state.lastEventId !== undefined) headers.set('Last-Event-ID', state.lastEventId)
    await sign(headers, transport)
    const response = await send(new Request(url, { headers, signal }))
    if (response.ok && response.body) return response
    if (response.ok || reopens(await errorCodeOf(response), response.status)) {
      await response.body?.cancel()
      return retryAfterMs(response) ?? backoff(state.retryMs, ++state.failures)
    }
    const body = await response.json().catch(() => undefined)
    const result = unwrap({ error: body, response })
    throw result.ok ? new Error(`The stream answered ${response.status}`) : new ApiError(result)
  }

  async function* follow(): AsyncGenerator<StreamEvent> {
    if (options.signal?.aborted) return
    const stop = new AbortController()
    const abort = () => stop.abort(options.signal?.reason)
    options.signal?.addEventListener('abort', abort, { once: true })
    try {
      while (!stop.signal.aborted) {
        // One controller per connection: the idle watchdog cuts this connection, not the whole stream.
        const connection = new AbortController()
        const cut = () => connection.abort()
        stop.signal.addEventListener('abort', cut, { once: true })
        const watchdog = new Watchdog(() => connection.abort(), idleTimeoutMs)
        let waitMs: number
        try {
          const opened = await open(connection.signal)
          if (typeof opened === 'number') {
            waitMs = opened
          } else {
            state.failures = 0
            options.onConnectionChange?.('open')
            yield* framesOf(opened.body!, watchdog, state)
            waitMs = state.retryMs
          }
        } catch (error) {
          if (stop.signal.aborted) return
          // A network failure, or the watchdog's cut: reconnect. Anything else is not cured by reconnecting.
          if (!(error instanceof TypeError || connection.signal.aborted)) throw error
          waitMs = backoff(state.retryMs, ++state.failures)
        } finally {
          watchdog.stop()
          stop.signal.removeEventListener('abort', cut)
          connection.abort()
        }
        options.onConnectionChange?.('reconnecting')
        await pause(waitMs, stop.signal).catch(() => undefined)
      }
    } finally {
      options.signal?.removeEventListener('abort', abort)
    }
  }

  return {
    [Symbol.asyncIterator]: follow,
    get lastEventId() {
      return state.lastEventId
    },
  }
}

/** Cuts a connection that stays silent, while opening as while reading: a blackholed network ends nothing. */
class Watchdog {
  private timer: ReturnType<typeof setTimeout>

  constructor(
    private readonly cut: () => void,
    private readonly timeoutMs: number,
  ) {
    this.timer = setTimeout(cut, timeoutMs)
  }

  heard(): void {
    clearTimeout(this.timer)
    this.timer = setTimeout(this.cut, this.timeoutMs)
  }

  stop(): void {
    clearTimeout(this.timer)
  }
}

/** The events of one connection, until it ends or fails. */
async function* framesOf(body: ReadableStream<Uint8Array>, watchdog: Watchdog, state: { lastEventId: string | undefined; retryMs: number }): AsyncGenerator<StreamEvent> {
  // In arrival order: events, and the ids of heartbeats that carry one without data (the position moves past
  // events not meant for this stream), which eventsource-parser reports only through onId.
  const received: (EventSourceMessage | { positionOnly: string })[] = []
  const parser = createParser({
    onId: (id) => received.push({ positionOnly: id }),
    // An event's own id comes through onId first: the event takes its place.
    onEvent: (message) => {
      const last = received.at(-1)
      if (last && 'positionOnly' in last && last.positionOnly === message.id) received.pop()
      received.push(message)
    },
    onRetry: (milliseconds) => (state.retryMs = milliseconds),
  })
  const reader = body.getReader()
  const decoder = new TextDecoder()
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) return
      watchdog.heard()
      parser.feed(decoder.decode(value, { stream: true }))
      for (const message of received.splice(0)) {
        if ('positionOnly' in message) {
          state.lastEventId = message.positionOnly
          continue
        }
        if (message.id !== undefined && message.id !== '') state.lastEventId = message.id
        // The caller's time with an event is not the connection's silence.
        watchdog.stop()
        yield JSON.parse(message.data) as StreamEvent
        watchdog.heard()
      }
    }
  } finally {
    await reader.cancel().catch(() => undefined)
  }
}
