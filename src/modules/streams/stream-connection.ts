import { once } from 'node:events'
import type { ServerResponse } from 'node:http'

export type StreamEndReason = 'shutdown' | 'credentials_expired' | 'tenant_inactive'

/**
 * One Server-Sent Events response. Live frames are written without waiting; when the client reads too
 * slowly and more than `bufferLimitBytes` pile up unsent, the connection is closed, and the client
 * resumes from its last id. Replays wait for the socket instead, so a long backlog is not a slow client.
 */
export class EventStreamConnection {
  private ended = false

  constructor(
    private readonly response: ServerResponse,
    private readonly bufferLimitBytes: number,
    private readonly onOverflow: () => void,
  ) {}

  open(headers: Record<string, string | number | string[] | undefined>, retryMilliseconds: number): void {
    this.response.writeHead(200, {
      ...headers,
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      // Proxies such as nginx would otherwise hold frames back.
      'x-accel-buffering': 'no',
    })
    this.response.socket?.setNoDelay(true)
    this.write(`retry: ${retryMilliseconds}\n\n`)
  }

  get closed(): boolean {
    return this.ended || this.response.destroyed || this.response.writableEnded
  }

  /** A frame; `id` only for stored events. */
  static frame(type: string, data: string, id?: string): string {
    return `${id === undefined ? '' : `id: ${id}\n`}event: ${type}\ndata: ${data}\n\n`
  }

  /** Writes now; false when the connection is (now) closed. */
  write(text: string): boolean {
    if (this.closed) return false
    // As bytes: for strings, writableLength counts UTF-16 units, which would let 3-byte text run 3x over.
    this.response.write(Buffer.from(text))
    if (this.response.writableLength > this.bufferLimitBytes) {
      this.onOverflow()
      this.destroy()
      return false
    }
    return true
  }

  /** Writes, then waits until the socket has taken it. */
  async writeAndDrain(text: string): Promise<boolean> {
    if (this.closed) return false
    if (this.response.write(text)) return true
    // Whichever comes first; the other listener is removed, so long replays do not pile them up.
    const settled = new AbortController()
    const { signal } = settled
    await Promise.race([once(this.response, 'drain', { signal }), once(this.response, 'close', { signal })]).catch(() => {})
    settled.abort()
    return !this.closed
  }

  /** Tells the client why and to reconnect, then ends the response. */
  end(reason: StreamEndReason): void {
    if (this.closed) return
    const data = JSON.stringify({ type: 'stream.reconnect', reason })
    this.response.end(`retry: 1000\n\n${EventStreamConnection.frame('stream.reconnect', data)}`)
    this.ended = true
  }

  destroy(): void {
    this.ended = true
    this.response.destroy()
  }
}
