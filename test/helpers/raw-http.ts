import { once } from 'node:events'
import { connect, type Socket } from 'node:net'

export type RawResponse = { status: number; headers: Record<string, string>; text: string; json: () => any }

/**
 * HTTP/1.1 over a plain TCP socket, for what a fetch client hides: requests sent in pieces or never
 * finished, and whether the server closes the connection after answering.
 */
export class RawConnection {
  private received = Buffer.alloc(0)
  private wake: () => void = () => {}
  /** Resolves when the connection is closed, by either side. */
  readonly closed: Promise<void>
  private isClosed = false

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.received = Buffer.concat([this.received, chunk])
      this.wake()
    })
    // A server that resets the connection (instead of closing it) fails the test through its assertions.
    socket.on('error', () => {})
    this.closed = new Promise((resolve) =>
      socket.once('close', () => {
        this.isClosed = true
        this.wake()
        resolve()
      }),
    )
  }

  static async open(port: number): Promise<RawConnection> {
    const socket = connect(port, '127.0.0.1')
    await once(socket, 'connect')
    return new RawConnection(socket)
  }

  get isOpen(): boolean {
    return !this.isClosed
  }

  send(text: string): void {
    this.socket.write(text)
  }

  /** The next complete response (its body delimited by Content-Length), waiting up to `timeoutMs`. */
  async response(timeoutMs = 10_000): Promise<RawResponse> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const parsed = this.takeResponse()
      if (parsed) return parsed
      if (this.isClosed) throw new Error(`the connection closed before a full response; received ${JSON.stringify(this.received.toString())}`)
      const left = deadline - Date.now()
      if (left <= 0) throw new Error(`no response within ${timeoutMs} ms`)
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left)
        this.wake = () => (clearTimeout(timer), resolve())
      })
    }
  }

  /** Waits until the server closes the connection; false if it is still open after `timeoutMs`. */
  async closesWithin(timeoutMs: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)))
    try {
      return await Promise.race([this.closed.then(() => true), timeout])
    } finally {
      clearTimeout(timer)
    }
  }

  destroy(): void {
    this.socket.destroy()
  }

  private takeResponse(): RawResponse | undefined {
    const headEnd = this.received.indexOf('\r\n\r\n')
    if (headEnd < 0) return undefined
    const [statusLine, ...lines] = this.received.subarray(0, headEnd).toString('latin1').split('\r\n')
    const headers = Object.fromEntries(
      lines.map((line) => [line.slice(0, line.indexOf(':')).trim().toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]),
    )
    const length = Number(headers['content-length'] ?? 0)
    const bodyStart = headEnd + 4
    if (this.received.length < bodyStart + length) return undefined
    const text = this.received.subarray(bodyStart, bodyStart + length).toString('utf8')
    this.received = this.received.subarray(bodyStart + length)
    return { status: Number(statusLine.split(' ')[1]), headers, text, json: () => JSON.parse(text) }
  }
}
