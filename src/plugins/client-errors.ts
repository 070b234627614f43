import { randomUUID } from 'node:crypto'
import { STATUS_CODES } from 'node:http'
import type { Socket } from 'node:net'
import type { ConnectionError, FastifyInstance } from 'fastify'
import type { Config } from '../config.js'
import type { ErrorCode } from '../platform/domain-errors.js'
import { failure } from '../platform/envelope.js'

type Limits = Pick<Config, 'HTTP_REQUEST_TIMEOUT_SECONDS' | 'HTTP_HEADERS_TIMEOUT_SECONDS' | 'HTTP_MAX_HEADER_BYTES'>

function answerOf(error: ConnectionError, limits: Limits): { status: number; code: ErrorCode; message: string; detail: string } {
  if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    const detail = `Headers must arrive within ${limits.HTTP_HEADERS_TIMEOUT_SECONDS} s and the whole request within ${limits.HTTP_REQUEST_TIMEOUT_SECONDS} s`
    return { status: 408, code: 'REQUEST_TIMEOUT', message: 'Request timeout', detail }
  }
  if (error.code === 'HPE_HEADER_OVERFLOW') {
    return { status: 431, code: 'HEADERS_TOO_LARGE', message: 'Request headers too large', detail: `Request headers may take at most ${limits.HTTP_MAX_HEADER_BYTES} bytes` }
  }
  return { status: 400, code: 'MALFORMED_REQUEST', message: 'Malformed request', detail: 'The request is not valid HTTP/1.1' }
}

/**
 * Answers what Node's HTTP parser refuses before Fastify sees a request (a timeout, oversized headers,
 * malformed HTTP) in the envelope, and closes the connection: the parser cannot go on after such an
 * error, so `Connection: close` keeps a client from sending its next request into a dead connection.
 */
export function createClientErrorHandler(limits: Limits) {
  return function answerClientError(this: FastifyInstance, error: ConnectionError, socket: Socket): void {
    // A reset or already closed connection has nobody left to answer.
    if (error.code === 'ECONNRESET' || socket.destroyed) return
    const { status, code, message, detail } = answerOf(error, limits)
    // The code only: the error's rawPacket holds the request's bytes, authorization headers included.
    this.log.info({ code: error.code, status }, 'client error')
    // Once a response has begun on this socket, a second one would corrupt it (Node checks the same).
    const started = (socket as Socket & { _httpMessage?: { headersSent: boolean } })._httpMessage?.headersSent
    if (started || !socket.writable) return void socket.destroy()
    const requestId = randomUUID()
    const body = JSON.stringify(failure({ id: requestId }, code, message, { _: [detail] }))
    const head = [
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}`,
      'Content-Type: application/json; charset=utf-8',
      `Content-Length: ${Buffer.byteLength(body)}`,
      `X-Request-ID: ${requestId}`,
      'Connection: close',
    ]
    socket.end(`${head.join('\r\n')}\r\n\r\n${body}`, () => socket.destroy())
  }
}
