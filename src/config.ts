import { Type, type Static } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'

// The environment is read once, at boot; its type comes from this schema, not from a second interface.
const ConfigSchema = Type.Object({
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 3000 }),
  HOST: Type.String({ minLength: 1, default: '127.0.0.1' }),
  DATABASE_URL: Type.Optional(Type.String({ pattern: '^postgres(ql)?://' })),
  DATA_DIR: Type.String({ minLength: 1, default: './data' }),
  JWT_SECRET: Type.Optional(Type.String({ minLength: 32 })),
  JWT_PUBLIC_KEY: Type.Optional(Type.String({ pattern: '-----BEGIN PUBLIC KEY-----' })),
  JWT_ISSUER: Type.Optional(Type.String({ minLength: 1 })),
  JWT_AUDIENCE: Type.Optional(Type.String({ minLength: 1 })),
  /** Seconds an agent stays ONLINE after their last presence call (an hour in development mode unless set). */
  PRESENCE_TTL_SECONDS: Type.Integer({ minimum: 1, maximum: 86400, default: 60 }),
  /** Seconds between keep-alive comment lines on event streams. */
  STREAM_HEARTBEAT_SECONDS: Type.Integer({ minimum: 1, maximum: 3600, default: 15 }),
  /** Event streams one user may hold open on one instance; one more is 429. */
  STREAM_MAX_PER_USER: Type.Integer({ minimum: 1, maximum: 10000, default: 10 }),
  /** Bytes a stream may have waiting for a slow client before it is closed (the client resumes). */
  STREAM_BUFFER_BYTES: Type.Integer({ minimum: 1024, maximum: 1073741824, default: 1048576 }),
  /** Hours stored events are kept for resuming streams; a resume from further back is 410. */
  STREAM_RETENTION_HOURS: Type.Integer({ minimum: 1, maximum: 87600, default: 168 }),
  /** Longest a request waits for its answer (database included) once it has arrived, before it is answered 503 with Retry-After. */
  RESPONSE_TIMEOUT_SECONDS: Type.Number({ minimum: 0.1, maximum: 300, default: 5 }),
  /** Seconds the whole request (headers and body) may take to arrive; later is 408. */
  HTTP_REQUEST_TIMEOUT_SECONDS: Type.Integer({ minimum: 1, maximum: 3600, default: 30 }),
  /** Seconds the request headers may take to arrive; later is 408. */
  HTTP_HEADERS_TIMEOUT_SECONDS: Type.Integer({ minimum: 1, maximum: 3600, default: 10 }),
  /** Seconds an idle keep-alive connection stays open; keep it above the proxy's idle timeout. */
  HTTP_KEEP_ALIVE_TIMEOUT_SECONDS: Type.Integer({ minimum: 1, maximum: 3600, default: 65 }),
  /** Bytes all request headers together may take; more is 431. */
  HTTP_MAX_HEADER_BYTES: Type.Integer({ minimum: 1024, maximum: 1048576, default: 16384 }),
  /** Bytes a request body may take; more is 413. */
  HTTP_MAX_BODY_BYTES: Type.Integer({ minimum: 1024, maximum: 104857600, default: 1048576 }),
  /** Connections in the PostgreSQL pool of this instance (DB_POOL_SIZE is accepted for it too). */
  DB_POOL_MAX: Type.Integer({ minimum: 1, maximum: 1000, default: 10 }),
  /** Longest a query waits for a free pool connection before the request is answered 503. */
  DB_ACQUIRE_TIMEOUT_MS: Type.Integer({ minimum: 1, maximum: 600000, default: 3000 }),
  /** Seconds to wait for a new PostgreSQL connection before giving up on it. */
  DB_CONNECT_TIMEOUT_SECONDS: Type.Integer({ minimum: 1, maximum: 600, default: 5 }),
  /** PostgreSQL's statement_timeout for the service's queries. */
  DB_STATEMENT_TIMEOUT_MS: Type.Integer({ minimum: 1, maximum: 3600000, default: 4000 }),
  /**
   * Whether each statement is prepared once per connection and reused (PostgreSQL then parses and plans it
   * once). Turn it off behind a pooler that cannot keep prepared statements (PgBouncer in transaction mode before 1.21).
   */
  DB_PREPARED_STATEMENTS: Type.Boolean({ default: true }),
  /** Seconds a SIGTERM or SIGINT may take to drain before the process gives up and exits non-zero. */
  SHUTDOWN_TIMEOUT_SECONDS: Type.Number({ minimum: 0.1, maximum: 600, default: 10 }),
  /** Requests one user may make in one tenant per RATE_LIMIT_WINDOW_SECONDS; 0 turns the limit off. */
  RATE_LIMIT_USER_MAX: Type.Integer({ minimum: 0, maximum: 100000000, default: 600 }),
  /** Requests one client address may make per RATE_LIMIT_WINDOW_SECONDS, counted before authentication; 0 turns it off. */
  RATE_LIMIT_IP_MAX: Type.Integer({ minimum: 0, maximum: 100000000, default: 1200 }),
  /** The rate-limit window in seconds. */
  RATE_LIMIT_WINDOW_SECONDS: Type.Integer({ minimum: 1, maximum: 86400, default: 60 }),
  /** Redis for state several instances share (rate-limit counts); without it each instance counts alone. */
  REDIS_URL: Type.Optional(Type.String({ pattern: '^rediss?://' })),
  /** Prefix of every Redis key this service writes, so deployments (or tests) sharing one Redis keep their counts apart. */
  REDIS_KEY_PREFIX: Type.String({ minLength: 1, maxLength: 200, default: 'livechat:' }),
  /** Seconds a tenant found active is believed so without asking the database; changes made through the API or the CLI apply at once. */
  TENANT_CACHE_SECONDS: Type.Number({ minimum: 0, maximum: 3600, default: 5 }),
  /** Hours an Idempotency-Key and its first response are kept. */
  IDEMPOTENCY_TTL_HOURS: Type.Integer({ minimum: 1, maximum: 8760, default: 24 }),
  /** Longest lifetime a token may have (exp after now, or after iat); longer-lived tokens are refused. */
  JWT_MAX_AGE_SECONDS: Type.Integer({ minimum: 60, maximum: 31536000, default: 86400 }),
  /** Seconds of clock difference allowed to the identity provider for iat, nbf and exp. */
  JWT_CLOCK_SKEW_SECONDS: Type.Integer({ minimum: 0, maximum: 600, default: 30 }),
  /** Which proxies to trust for the client address (X-Forwarded-For): `true`, a hop count, or addresses/CIDRs. */
  TRUST_PROXY: Type.Optional(Type.String({ minLength: 1 })),
  LOG_LEVEL: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((level) => Type.Literal(level)),
    { default: 'info' },
  ),
  NODE_ENV: Type.Optional(Type.String()),
  /** Comma-separated origins allowed to call from a browser, or `*`. */
  CORS_ORIGINS: Type.String({ default: '' }),
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
