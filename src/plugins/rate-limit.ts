import { once } from 'node:events'
import rateLimit, { type RateLimitPluginOptions } from '@fastify/rate-limit'
import type { FastifyInstance, onRequestAsyncHookHandler } from 'fastify'
import type { Redis } from 'ioredis'
import type { Config } from '../config.js'
import { DomainError } from '../platform/domain-errors.js'
import { pipelineStage } from '../platform/pipeline-stage.js'

/** Probes and scrapers poll on their own schedule: a 429 there would read as an outage, so they are never limited. */
const unlimitedRoutes = new Set(['/health', '/health/live', '/health/ready', '/metrics'])

// A rate limit must never be the reason a request waits: Redis gets a short connect and command timeout
// and no offline queue, so while it is away each check fails at once and the request goes through.
const redisConnectTimeoutMs = 2000
const redisCommandTimeoutMs = 500
// Counters the in-memory store keeps (least recently used go first); about 100 bytes each.
const inMemoryCounters = 100_000

class RateLimitedError extends DomainError {
  constructor(who: string, max: number, windowSeconds: number, retryAfterSeconds: number) {
    super('RATE_LIMITED', 429, 'Too many requests', {
      _: [`Too many requests: ${max} per ${windowSeconds} s for ${who}; retry after ${retryAfterSeconds} s`],
    })
  }
}

export type RateLimits = {
  /** Counts per client address (`request.ip`, so TRUST_PROXY decides about X-Forwarded-For). */
  byAddress: onRequestAsyncHookHandler
  /** Counts per user and tenant, for operations that authenticate. */
  byUserAndTenant: onRequestAsyncHookHandler
}

/** A CORS preflight is answered before it is counted; an address is counted before its token is checked, so guessing tokens is limited too. */
export const addressRateLimit = pipelineStage<{ limits: RateLimits }>('address-rate-limit', ['cors'], async (app, { limits }) => {
  app.addHook('onRequest', limits.byAddress)
})

/** Counting by user needs the user that authentication found. */
export const userRateLimit = pipelineStage<{ limits: RateLimits }>('user-rate-limit', ['authentication'], async (app, { limits }) => {
  app.addHook('onRequest', limits.byUserAndTenant)
})

/**
 * The two limits of the contract (429 with `Retry-After` and `RateLimit-*`), counted in Redis when
 * REDIS_URL is set so that every instance shares them, in this process otherwise. A limit of 0 is off.
 */
export async function createRateLimits(app: FastifyInstance, config: Config): Promise<RateLimits> {
  const windowSeconds = config.RATE_LIMIT_WINDOW_SECONDS
  const redis = config.REDIS_URL ? await connectRedis(app, config.REDIS_URL) : undefined
  const shared: RateLimitPluginOptions = {
    global: false,
    timeWindow: windowSeconds * 1000,
    enableDraftSpec: true,
    // Fail open: a Redis outage must not take the API down with it.
    skipOnError: true,
    ...(redis ? { redis } : { cache: inMemoryCounters }),
  }
  const byAddress = await limiter(app, config.RATE_LIMIT_IP_MAX, {
    ...shared,
    nameSpace: `${config.REDIS_KEY_PREFIX}rate-limit:address:`,
    errorResponseBuilder: (_request, context) => new RateLimitedError('this address', context.max, windowSeconds, seconds(context.ttl)),
  })
  const byUserAndTenant = await limiter(app, config.RATE_LIMIT_USER_MAX, {
    ...shared,
    nameSpace: `${config.REDIS_KEY_PREFIX}rate-limit:`,
    // Tenant 0 for the admin API, which takes none: the key keeps the shape earlier versions counted under.
    keyGenerator: (request) => `user:${request.principal.userId}:tenant:${request.tenantId ?? 0}`,
    errorResponseBuilder: (_request, context) =>
      new RateLimitedError('this user and tenant', context.max, windowSeconds, seconds(context.ttl)),
  })
  return {
    byAddress: async function (request, reply) {
      if (byAddress && !unlimitedRoutes.has(request.routeOptions.url ?? '')) await byAddress.call(this, request, reply)
    },
    // Operations without security (health, metrics, docs) have no user to count.
    byUserAndTenant: async function (request, reply) {
      if (!byUserAndTenant || !request.routeOptions.config.security) return
      const addressHeaders = rateLimitHeaders.map((name) => [name, reply.getHeader(name)] as const)
      const addressRemaining = Number(reply.getHeader('ratelimit-remaining'))
      await byUserAndTenant.call(this, request, reply)
      // One set of RateLimit-* headers: the limit with fewer requests left, so a client paces itself by the nearer one.
      if (addressRemaining < Number(reply.getHeader('ratelimit-remaining'))) {
        for (const [name, value] of addressHeaders) reply.header(name, value)
      }
    },
  }
}

/**
 * One registration of the plugin per limit: the plugin runs only the first of its hooks on a request,
 * so two limits from one registration would never both count.
 */
async function limiter(app: FastifyInstance, max: number, options: RateLimitPluginOptions): Promise<onRequestAsyncHookHandler | undefined> {
  if (max === 0) return undefined
  let hook: onRequestAsyncHookHandler | undefined
  await app.register(async (scope) => {
    await scope.register(rateLimit, { ...options, max })
    hook = scope.rateLimit() as onRequestAsyncHookHandler
  })
  return hook
}

const rateLimitHeaders = ['ratelimit-limit', 'ratelimit-remaining', 'ratelimit-reset'] as const

const seconds = (milliseconds: number): number => Math.ceil(milliseconds / 1000)

async function connectRedis(app: FastifyInstance, url: string): Promise<Redis> {
  // Loaded only when used: it is a quarter of a second of every start otherwise.
  const { Redis } = await import('ioredis')
  const redis = new Redis(url, {
    connectTimeout: redisConnectTimeoutMs,
    commandTimeout: redisCommandTimeoutMs,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
  })
  // ioredis reconnects by itself and reports every failed attempt; the log says once that it is away and once that it is back.
  let away = false
  redis.on('error', (error) => {
    if (!away) app.log.warn({ err: error }, 'redis does not answer: rate limits are not enforced until it does')
    away = true
  })
  redis.on('ready', () => {
    if (away) app.log.info('redis answers again: rate limits are enforced')
    away = false
  })
  app.addHook('onClose', async () => redis.disconnect())
  // Counting starts with the first request; a Redis that is away (bounded by the connect timeout) does not hold the start.
  await once(redis, 'ready').catch(() => undefined)
  return redis
}
