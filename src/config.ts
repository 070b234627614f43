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
  /** Seconds an agent stays ONLINE after their last presence call. */
  PRESENCE_TTL_SECONDS: Type.Integer({ minimum: 1, maximum: 86400, default: 60 }),
  /** Seconds between keep-alive comment lines on event streams. */
  STREAM_HEARTBEAT_SECONDS: Type.Integer({ minimum: 1, maximum: 3600, default: 15 }),
  /** Event streams one user may hold open on one instance; one more is 429. */
  STREAM_MAX_PER_USER: Type.Integer({ minimum: 1, maximum: 10000, default: 10 }),
  /** Bytes a stream may have waiting for a slow client before it is closed (the client resumes). */
  STREAM_BUFFER_BYTES: Type.Integer({ minimum: 1024, maximum: 1073741824, default: 1048576 }),
  /** Hours stored events are kept for resuming streams; a resume from further back is 410. */
  STREAM_RETENTION_HOURS: Type.Integer({ minimum: 1, maximum: 87600, default: 168 }),
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

export function loadConfig(environment: Record<string, string | undefined>): Config {
  const known = Object.keys(ConfigSchema.properties)
  // An empty variable means "not set", as shells and .env files commonly write it.
  const given = Object.fromEntries(
    known.filter((name) => environment[name] !== undefined && environment[name] !== '').map((name) => [name, environment[name]]),
  )
  const candidate = Value.Convert(ConfigSchema, Value.Default(ConfigSchema, given))
  const problems = [...Value.Errors(ConfigSchema, candidate)].map((error) => `${error.path.slice(1)}: ${error.message}`)
  if (problems.length > 0) throw new ConfigError(`Invalid environment:\n  ${problems.join('\n  ')}`)
  const config = candidate as Config
  if (config.JWT_SECRET && config.JWT_PUBLIC_KEY) {
    throw new ConfigError('Invalid environment: set JWT_SECRET (HS256) or JWT_PUBLIC_KEY (RS256/ES256), not both')
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

export const corsOrigins = (config: Config): string[] =>
  config.CORS_ORIGINS.split(',')
    .map((origin) => origin.trim())
    .filter(Boolean)

/** Without JWT settings the service runs with a well-known signing secret, for trying it out only. */
export const isDevelopmentMode = (config: Config): boolean => !config.JWT_SECRET && !config.JWT_PUBLIC_KEY
