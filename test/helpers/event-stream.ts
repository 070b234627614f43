import { request as httpRequest, type IncomingMessage } from 'node:http'
import { createParser } from 'eventsource-parser'
import type { Test } from 'tap'
import type { TestApp } from './test-app.js'
import { componentErrors, specErrors } from './spec-validator.js'

export type ReceivedEvent = { id?: string; event: string; data: any }

/** The app on a real socket (streams cannot be injected: they never end); closed with the app. */
export async function listening(context: TestApp): Promise<string> {
  const address = context.app.server.address()
  if (address && typeof address === 'object') return `http://127.0.0.1:${address.port}`
  await context.app.listen({ port: 0, host: '127.0.0.1' })
  return listening(context)
}

type OpenOptions = { headers?: Record<string, string>; query?: Record<string, string> }

/**
 * A client of one event stream: every frame parsed as SSE, every event's data checked against
 * `StreamEvent` in openapi.yaml, and its `event:` against its `type`.
 */
export class EventStreamClient {
  readonly events: ReceivedEvent[] = []
  readonly invalid: string[] = []
  private consumed = 0
  private waiters: (() => void)[] = []
  readonly ended: Promise<void>
  private endedFlag = false
  private latestId: string | undefined

  private constructor(readonly response: IncomingMessage) {
    const parser = createParser({
      // Every `id:` counts, also one on a frame without data (a heartbeat's checkpoint), as in EventSource.
      onId: (id) => (this.latestId = id),
      onEvent: (message) => {
        const data = JSON.parse(message.data)
        const errors = componentErrors('StreamEvent', data)
        if (errors.length > 0) this.invalid.push(`${message.event}: ${errors.join('; ')}`)
        if (message.event !== data.type) this.invalid.push(`event ${message.event} carries type ${data.type}`)
        this.events.push({ id: message.id, event: message.event ?? 'message', data })
        this.wake()
      },
    })
    response.setEncoding('utf8')
    response.on('data', (chunk: string) => parser.feed(chunk))
    this.ended = new Promise((resolve) =>
      response.once('close', () => {
        this.endedFlag = true
        this.wake()
        resolve()
      }),
    )
  }

  get isEnded(): boolean {
    return this.endedFlag
  }

  private wake() {
    const waiters = this.waiters
    this.waiters = []
    waiters.forEach((wake) => wake())
  }

  /** The last id the stream sent, as EventSource keeps it: where a reconnect resumes. */
  get lastId(): string | undefined {
    return this.latestId
  }

  /** The next event not yet taken that matches, waiting up to `timeoutMs`. */
  async next(t: Test, match: (event: ReceivedEvent) => boolean = () => true, timeoutMs = 5000): Promise<ReceivedEvent> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const index = this.events.findIndex((event, position) => position >= this.consumed && match(event))
      if (index >= 0) {
        this.consumed = index + 1
        t.same(this.invalid, [], 'every event so far matches StreamEvent in openapi.yaml')
        return this.events[index]
      }
      if (this.endedFlag) throw new Error('the stream ended before the event came')
      const left = deadline - Date.now()
      if (left <= 0) throw new Error(`no such event within ${timeoutMs} ms; got ${this.events.map((event) => event.event).join(', ')}`)
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left)
        this.waiters.push(() => (clearTimeout(timer), resolve()))
      })
    }
  }

  /** Waits until `count` events of these types have arrived, then returns them (all of them, taken or not). */
  async collect(t: Test, types: string[], count: number, timeoutMs = 10000): Promise<ReceivedEvent[]> {
    const matching = () => this.events.filter((event) => types.includes(event.event))
    const deadline = Date.now() + timeoutMs
    while (matching().length < count) {
      if (this.endedFlag) break
      if (Date.now() > deadline) break
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(1, deadline - Date.now()))
        this.waiters.push(() => (clearTimeout(timer), resolve()))
      })
    }
    t.same(this.invalid, [], 'every event matches StreamEvent in openapi.yaml')
    return matching()
  }

  close(): void {
    this.response.destroy()
  }

  /** Opens the stream; a refusal comes back as its status and envelope, checked against the spec. */
  static async open(
    t: Test,
    baseUrl: string,
    operationId: string,
    path: string,
    options: OpenOptions = {},
  ): Promise<{ stream: EventStreamClient; status: 200 } | { stream?: undefined; status: number; body: any }> {
    const url = new URL(path, baseUrl)
    for (const [name, value] of Object.entries(options.query ?? {})) url.searchParams.set(name, value)
    const response = await new Promise<IncomingMessage>((resolve, reject) => {
      const request = httpRequest(url, { headers: { accept: 'text/event-stream', ...options.headers } }, resolve)
      request.on('error', reject)
      request.end()
    })
    if (response.statusCode === 200) {
      t.match(response.headers['content-type'], /^text\/event-stream/, 'the stream is text/event-stream')
      const stream = new EventStreamClient(response)
      t.teardown(() => stream.close())
      return { stream, status: 200 }
    }
    let text = ''
    for await (const chunk of response) text += chunk
    const body = JSON.parse(text)
    t.same(specErrors(operationId, response.statusCode!, body), [], `${operationId} ${response.statusCode} body matches openapi.yaml`)
    return { status: response.statusCode!, body }
  }
}

/** Opens a stream that must open. */
export async function openStream(t: Test, baseUrl: string, operationId: string, path: string, options?: OpenOptions) {
  const opened = await EventStreamClient.open(t, baseUrl, operationId, path, options)
  if (!opened.stream) throw new Error(`${path} answered ${opened.status}: ${JSON.stringify(opened.body)}`)
  return opened.stream
}
