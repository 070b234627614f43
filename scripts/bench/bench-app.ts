import { randomBytes } from 'node:crypto'
import postgres from 'postgres'
import { buildApp, type AppOptions } from '../../src/app.js'
import { loadConfig } from '../../src/config.js'

/**
 * The app on a fresh database of its own: a new database on DATABASE_URL's server when set (dropped by
 * `close`), else in-memory PGlite. Benchmarks never touch data they did not make.
 */
export async function openBenchApp(options: Pick<AppOptions, 'eventBus'> = {}) {
  let location: Record<string, string> = { DATA_DIR: 'memory://' }
  let dropDatabase = async () => {}
  if (process.env.DATABASE_URL) {
    const server = new URL(process.env.DATABASE_URL)
    const name = `livechat_bench_${randomBytes(4).toString('hex')}`
    const admin = postgres(server.href, { max: 1, onnotice: () => {} })
    await admin.unsafe(`create database ${name}`)
    dropDatabase = async () => {
      await admin.unsafe(`drop database if exists ${name} with (force)`)
      await admin.end()
    }
    server.pathname = `/${name}`
    location = { DATABASE_URL: server.href }
  }
  // No rate limits: a benchmark's load is one user at one address, far above what either limit allows a client.
  const config = loadConfig({ JWT_SECRET: randomBytes(32).toString('hex'), LOG_LEVEL: 'silent', RATE_LIMIT_IP_MAX: '0', RATE_LIMIT_USER_MAX: '0', ...location })
  const app = await buildApp(config, { logger: false, ...options })
  return {
    app,
    config,
    async close() {
      await app.close()
      await dropDatabase()
    },
  }
}

/** Median and p95 of `count` runs of `run`, in milliseconds. */
export async function timeRuns(count: number, run: () => Promise<void>) {
  const timings: number[] = []
  for (let index = 0; index < count; index++) {
    const started = performance.now()
    await run()
    timings.push(performance.now() - started)
  }
  timings.sort((a, b) => a - b)
  const at = (quantile: number) => timings[Math.floor(quantile * (timings.length - 1))].toFixed(2)
  return `median ${at(0.5)} ms, p95 ${at(0.95)} ms`
}
