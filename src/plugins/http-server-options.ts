import type { Server } from 'node:http'
import type { FastifyHttpOptions, FastifyServerOptions } from 'fastify'
import type { Config } from '../config.js'
import { createClientErrorHandler } from './client-errors.js'

// How often Node looks for requests past their header or request timeout (its default is every 30 s).
const timeoutCheckMilliseconds = 1000

/**
 * `true` or `false`; a number of proxy hops in front of the service; or addresses and CIDRs of the
 * proxies. Fastify 5 ignores a bare hop count, which cannot tell a proxy from a client that connects
 * directly, so a count is honoured here as a rule by hops: only set one when clients cannot bypass the proxies.
 */
export function trustProxyOf(setting: string | undefined): FastifyServerOptions['trustProxy'] {
  if (setting === undefined || setting === 'false') return false
  if (setting === 'true') return true
  if (/^\d+$/.test(setting)) {
    const hops = Number(setting)
    return (_address, hop) => hop < hops
  }
  // Addresses and CIDRs, comma-separated, as Fastify reads them.
  return setting
}

/** The bounds of the HTTP server: how long a request may take to arrive, how large it may be, whom to believe. */
export function httpServerOptions(config: Config) {
  return {
    requestTimeout: config.HTTP_REQUEST_TIMEOUT_SECONDS * 1000,
    keepAliveTimeout: config.HTTP_KEEP_ALIVE_TIMEOUT_SECONDS * 1000,
    bodyLimit: config.HTTP_MAX_BODY_BYTES,
    trustProxy: trustProxyOf(config.TRUST_PROXY),
    http: {
      headersTimeout: config.HTTP_HEADERS_TIMEOUT_SECONDS * 1000,
      maxHeaderSize: config.HTTP_MAX_HEADER_BYTES,
      connectionsCheckingInterval: timeoutCheckMilliseconds,
    },
    clientErrorHandler: createClientErrorHandler(config),
    // Requests arriving while the app closes are answered by the shutdown gate, in the envelope.
    return503OnClosing: false,
  } satisfies FastifyHttpOptions<Server>
}
