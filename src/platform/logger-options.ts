import type { FastifyServerOptions } from 'fastify'
import type { Config } from '../config.js'
import { serializeError } from './error-serializer.js'
import { redactUrl } from './redact-url.js'

/**
 * Credentials wherever a log call could put them. The request serializer already logs no headers; these
 * paths catch a header object or a credential field logged by hand.
 */
const redactedPaths = [
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'headers.cookie',
  '*.authorization',
  '*.cookie',
  '*.password',
  '*.token',
  '*.stream_token',
  'authorization',
  'password',
  'token',
  'stream_token',
]

/** The logger: requests without credentials in their URL, errors without the values they carried. */
export function loggerOptions(
  level: Config['LOG_LEVEL'],
  destination: { write: (line: string) => void } | undefined,
): NonNullable<Exclude<FastifyServerOptions['logger'], boolean>> {
  return {
    level,
    ...(destination && { stream: destination }),
    redact: { paths: redactedPaths, censor: '[redacted]' },
    serializers: {
      req: (request) => ({ method: request.method, url: redactUrl(request.url), host: request.host, remoteAddress: request.ip }),
      err: serializeError,
    },
  }
}
