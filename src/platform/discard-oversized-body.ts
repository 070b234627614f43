import type { IncomingMessage } from 'node:http'

/**
 * Bytes of an oversized body read and thrown away past HTTP_MAX_BODY_BYTES before its 413 is sent. A server that
 * answers and closes while the client is still sending resets the connection, and `fetch` and browsers then
 * report a network error instead of the 413 (issue 15). Up to the limit plus these bytes a body is read to its
 * end; a body declared or sent larger is cut. The bound keeps this from being a lever: each chunk is dropped
 * as it arrives (nothing is held), at most 16 MiB per request, and HTTP_REQUEST_TIMEOUT_SECONDS bounds the
 * time as it does every body's (408 past it).
 */
export const discardedBodyBytes = 16 * 1024 * 1024

/**
 * Reads what is left of a request body refused as too large and discards it. True once the client has sent it
 * all: its answer can be sent, and the connection closed, without a reset. False when the body is declared or
 * found larger than `limit` plus `discardedBodyBytes`, or the connection ended first: reading stops there,
 * and the connection is cut once the answer is written.
 */
export function discardOversizedBody(request: IncomingMessage, limit: number): Promise<boolean> {
  if (request.readableEnded) return Promise.resolve(true)
  if (request.destroyed || Number(request.headers['content-length']) > limit + discardedBodyBytes) return Promise.resolve(false)
  return new Promise((resolve) => {
    let discarded = 0
    const onData = (chunk: Buffer) => {
      discarded += chunk.length
      if (discarded > discardedBodyBytes) finish(false)
    }
    const onEnd = () => finish(true)
    const onClose = () => finish(false)
    const finish = (whole: boolean) => {
      request.off('data', onData).off('end', onEnd).off('close', onClose)
      if (!whole) request.pause()
      resolve(whole)
    }
    request.on('data', onData).once('end', onEnd).once('close', onClose)
    request.resume()
  })
}
