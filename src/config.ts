import { Type, type Static } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'

// The environment is read once, at boot; its type comes from this schema, not from a second interface, and the
// table of settings in docs/operations.md from its descriptions (npm run docs).
export const ConfigSchema = Type.Object({
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 3000, description: 'HTTP port.' }),
  HOST: Type.String({ minLength: 1, default: '127.0.0.1', description: 'Interface to listen on; `0.0.0.0` for all (not in development mode, which stays on loopback).' }),
  DATABASE_URL: Type.Optional(Type.String({ pattern: '^postgres(ql)?://', description: '`postgres://user:password@host:5432/db` to use PostgreSQL (14 or later). Unset: embedded PGlite.' })),
  DATA_DIR: Type.String({ minLength: 1, default: './data', description: 'Where the embedded database keeps its files when `DATABASE_URL` is unset (`memory://` for none).' }),
  JWT_SECRET: Type.Optional(Type.String({ minLength: 32, description: 'HS256 secret, at least 32 characters.' })),
  JWT_PUBLIC_KEY: Type.Optional(Type.String({ pattern: '-----BEGIN PUBLIC KEY-----', description: 'PEM public key (`-----BEGIN PUBLIC KEY-----`) for RS256 or ES256 tokens. Set this or `JWT_SECRET`, not both.' })),
  JWT_ISSUER: Type.Optional(Type.String({ minLength: 1, description: 'When set, tokens must carry this `iss`.' })),
  JWT_AUDIENCE: Type.Optional(Type.String({ minLength: 1, description: 'When set, tokens must carry this `aud`.' })),
  PRESENCE_TTL_SECONDS: Type.Integer({ minimum: 1, maximum: 86400, default: 60, description: 'How long `ONLINE` holds after an agent\'s last presence call (1 to 86400); `3600` in development mode when unset.' }),
  QUEUE_MAX_WAIT_SECONDS: Type.Integer({ minimum: 1, maximum: 86400, default: 300, description: 'Longest a tenant user\'s chat waits in the queue; then it is closed and filed as a ticket with its messages (1 to 86400).' }),
  STREAM_HEARTBEAT_SECONDS: Type.Integer({ minimum: 1, maximum: 3600, default: 15, description: 'Seconds between `: keep-alive` lines on event streams (1 to 3600).' }),
  STREAM_MAX_PER_USER: Type.Integer({ minimum: 1, maximum: 10000, default: 10, description: 'Event streams one user may hold open on one instance; one more is 429.' }),
  STREAM_BUFFER_BYTES: Type.Integer({ minimum: 1024, maximum: 1073741824, default: 1048576, description: 'Bytes a stream may have waiting for a slow client before it is disconnected (it resumes from its last id).' }),
  STREAM_RETENTION_HOURS: Type.Integer({ minimum: 1, maximum: 87600, default: 168, description: 'How long stored events are kept for resuming; a `Last-Event-ID` from further back is 410 (reload, then stream without it).' }),
  RESPONSE_TIMEOUT_SECONDS: Type.Number({ minimum: 0.1, maximum: 300, default: 5, description: 'Longest a request waits for its answer, counted from its arrival (from its body\'s, when the client uploads it slower); then 503 with `Retry-After` (event streams, once open, excepted).' }),
  HTTP_REQUEST_TIMEOUT_SECONDS: Type.Integer({ minimum: 1, maximum: 3600, default: 30, description: 'The whole request (headers and body) must arrive in this time; else 408 and the connection is closed.' }),
  HTTP_HEADERS_TIMEOUT_SECONDS: Type.Integer({ minimum: 1, maximum: 3600, default: 10, description: 'The headers must arrive in this time (not above the former); else 408.' }),
  HTTP_KEEP_ALIVE_TIMEOUT_SECONDS: Type.Integer({ minimum: 1, maximum: 3600, default: 65, description: 'An idle keep-alive connection is closed after this; keep it above your proxy\'s idle timeout.' }),
  HTTP_MAX_HEADER_BYTES: Type.Integer({ minimum: 1024, maximum: 1048576, default: 16384, description: 'Request headers larger than this are 431 (connection closed).' }),
  HTTP_MAX_BODY_BYTES: Type.Integer({ minimum: 1024, maximum: 104857600, default: 1048576, description: 'Request bodies larger than this are 413. The rest of such a body, up to 16 MiB past this, is read and discarded before the answer, so that `fetch` and browsers read the 413 rather than a reset; a body declared or sent larger is cut (connection closed).' }),
  DB_POOL_MAX: Type.Integer({ minimum: 1, maximum: 1000, default: 10, description: 'PostgreSQL connections per instance; `DB_POOL_SIZE` is read as the same setting.' }),
  DB_ACQUIRE_TIMEOUT_MS: Type.Integer({ minimum: 1, maximum: 600000, default: 3000, description: 'Longest a query waits for a free pool connection; then the request is 503.' }),
  DB_CONNECT_TIMEOUT_SECONDS: Type.Integer({ minimum: 1, maximum: 600, default: 5, description: 'Longest to wait for a new PostgreSQL connection.' }),
  DB_STATEMENT_TIMEOUT_MS: Type.Integer({ minimum: 1, maximum: 3600000, default: 4000, description: 'PostgreSQL `statement_timeout` of the service\'s queries (migrations have none); a statement cut off is 503.' }),
  DB_PREPARED_STATEMENTS: Type.Boolean({ default: true, description: 'Each statement is prepared once per connection and reused (PostgreSQL parses and plans it once). Set `false` behind a pooler that cannot keep prepared statements (PgBouncer in transaction mode before 1.21).' }),
  SHUTDOWN_TIMEOUT_SECONDS: Type.Number({ minimum: 0.1, maximum: 600, default: 10, description: 'SIGTERM/SIGINT drains within this, then exits 0; past it the process exits 1.' }),
  RATE_LIMIT_USER_MAX: Type.Integer({ minimum: 0, maximum: 100000000, default: 600, description: 'Requests per window for one user in one tenant; then 429. `0` turns it off.' }),
  RATE_LIMIT_IP_MAX: Type.Integer({ minimum: 0, maximum: 100000000, default: 1200, description: 'Requests per window from one client address, counted before the token is checked; then 429. `0` turns it off.' }),
  RATE_LIMIT_WINDOW_SECONDS: Type.Integer({ minimum: 1, maximum: 86400, default: 60, description: 'The rate-limit window.' }),
  REDIS_URL: Type.Optional(Type.String({ pattern: '^rediss?://', description: '`redis://host:6379`: rate-limit counts shared by every instance. Unset: each instance counts alone. If Redis is down, requests are let through (and a warning logged).' })),
  REDIS_KEY_PREFIX: Type.String({ minLength: 1, maxLength: 200, default: 'livechat:', description: 'Prefix of this deployment\'s Redis keys.' }),
  TENANT_CACHE_SECONDS: Type.Number({ minimum: 0, maximum: 3600, default: 5, description: 'How long the tenant check of every request reuses an answer: a tenant found active, and which tenant (or none) a host name is the domain of. A (de)activation or domain change through the admin API or `npm run tenant` applies at once on every instance sharing the database (they tell each other); one made in SQL behind the service\'s back, within this time. `0` asks the database every time.' }),
  IDEMPOTENCY_TTL_HOURS: Type.Integer({ minimum: 1, maximum: 8760, default: 24, description: 'How long an `Idempotency-Key` and its first response are kept.' }),
  JWT_MAX_AGE_SECONDS: Type.Integer({ minimum: 60, maximum: 31536000, default: 86400, description: 'Longest token lifetime accepted: a token whose `exp` is further away, or whose `exp - iat` is longer, is 401.' }),
  JWT_CLOCK_SKEW_SECONDS: Type.Integer({ minimum: 0, maximum: 600, default: 30, description: 'Clock difference allowed to the identity provider for `iat`, `nbf` and `exp`.' }),
  TRUST_PROXY: Type.Optional(Type.String({ minLength: 1, description: 'Which proxies to believe: `true`, a hop count, or comma-separated addresses/CIDRs. From them `X-Forwarded-For` gives the client address (rate limits, logs) and `X-Forwarded-Host` the host matched against tenant domains; unset, both are ignored and `Host` names the domain.' })),
  LOG_LEVEL: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((level) => Type.Literal(level)),
    { default: 'info', description: '`fatal`, `error`, `warn`, `info`, `debug`, `trace` or `silent`. Logs are JSON lines with `reqId`.' },
  ),
  NODE_ENV: Type.Optional(Type.String({ description: 'With `production`, the service refuses to start without `JWT_SECRET` or `JWT_PUBLIC_KEY`.' })),
  CORS_ORIGINS: Type.String({ default: '', description: 'Comma-separated origins whose browser pages may call the API (e.g. `https://app.example.com`), or `*`. Unset: no CORS headers; in development mode, pages served from this machine (`http://localhost`, `http://127.0.0.1`, `http://[::1]`, any port).' }),
})

export type Config = Readonly<Static<typeof ConfigSchema>>

export class ConfigError extends Error {}

const loopbackHosts = ['127.0.0.1', 'localhost', '::1']
const developmentPresenceTtlSeconds = 3600

export function loadConfig(environment: Record<string, string | undefined>): Config {
  const known = Object.keys(ConfigSchema.properties)
  // An empty variable means "not set", as shells and .env files commonly write it.
  const given = Object.fromEntries(
    known.filter((name) => environment[name] !== undefined && environment[name] !== '').map((name) => [name, environment[name]]),
  )
  // DB_POOL_SIZE is the name many deployments already use for the same setting.
  const poolSize = environment.DB_POOL_SIZE || undefined
  if (poolSize !== undefined && given.DB_POOL_MAX !== undefined && given.DB_POOL_MAX !== poolSize) {
    throw new ConfigError('Invalid environment: DB_POOL_SIZE and DB_POOL_MAX name the same setting; set one, or both alike')
  }
  if (poolSize !== undefined) given.DB_POOL_MAX = poolSize
  // Someone trying the API from Swagger UI sets ONLINE once: a minute later the agent would be OFFLINE again
  // and the next start would file a ticket. Development mode keeps an agent ONLINE for an hour instead.
  const trying = !given.JWT_SECRET && !given.JWT_PUBLIC_KEY && given.PRESENCE_TTL_SECONDS === undefined
  const candidate = Value.Convert(ConfigSchema, Value.Default(ConfigSchema, { ...(trying && { PRESENCE_TTL_SECONDS: developmentPresenceTtlSeconds }), ...given }))
  const problems = [...Value.Errors(ConfigSchema, candidate)].map((error) => `${error.path.slice(1)}: ${error.message}`)
  if (problems.length > 0) throw new ConfigError(`Invalid environment:\n  ${problems.join('\n  ')}`)
  const config = candidate as Config
  if (config.JWT_SECRET && config.JWT_PUBLIC_KEY) {
    throw new ConfigError('Invalid environment: set JWT_SECRET (HS256) or JWT_PUBLIC_KEY (RS256/ES256), not both')
  }
  // Node stops at the request timeout anyway; a longer header timeout would only mislead.
  if (config.HTTP_HEADERS_TIMEOUT_SECONDS > config.HTTP_REQUEST_TIMEOUT_SECONDS) {
    throw new ConfigError('Invalid environment: HTTP_HEADERS_TIMEOUT_SECONDS must not exceed HTTP_REQUEST_TIMEOUT_SECONDS')
  }
  if (isDevelopmentMode(config) && config.NODE_ENV === 'production') {
    throw new ConfigError('Invalid environment: NODE_ENV=production needs JWT_SECRET or JWT_PUBLIC_KEY')
  }
  // Anyone can mint tokens with the public development secret, so it never listens beyond this machine.
  if (isDevelopmentMode(config) && !loopbackHosts.includes(config.HOST)) {
    throw new ConfigError(`Invalid environment: HOST=${config.HOST} needs JWT_SECRET or JWT_PUBLIC_KEY (development mode listens on loopback only)`)
  }
  return Object.freeze(config)
}

// Any port of this machine: the development servers of frontends (Vite's 5173, and the like).
const loopbackOrigin = /^http:\/\/(localhost|127\.0\.0\.1|\[::1\])(:[0-9]{1,5})?$/

/** Origins whose pages may call the API: CORS_ORIGINS, or in development mode without it, pages served from this machine. */
export function corsOrigins(config: Config): (string | RegExp)[] {
  const listed = config.CORS_ORIGINS.split(',')
    .map((origin) => origin.trim())
    .filter(Boolean)
  return listed.length === 0 && isDevelopmentMode(config) ? [loopbackOrigin] : listed
}

/** Without JWT settings the service runs with a well-known signing secret, for trying it out only. */
export const isDevelopmentMode = (config: Config): boolean => !config.JWT_SECRET && !config.JWT_PUBLIC_KEY
