import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import postgres from 'postgres'

export type BenchDatabase = {
  /** What the server process needs to use it: DATABASE_URL, or DATA_DIR for PGlite. */
  environment: Record<string, string>
  drop: () => Promise<void>
}

/**
 * A database of the benchmark's own, so it never touches data it did not make: a new database on the server
 * `serverUrl` names (DATABASE_URL by default), dropped by `drop`; without one, PGlite in a temporary directory.
 */
export async function freshBenchDatabase(serverUrl = process.env.DATABASE_URL): Promise<BenchDatabase> {
  if (!serverUrl) {
    const directory = await mkdtemp(join(tmpdir(), 'livechat-bench-'))
    return { environment: { DATA_DIR: join(directory, 'data') }, drop: () => rm(directory, { recursive: true, force: true }) }
  }
  const server = new URL(serverUrl)
  const name = `livechat_bench_${randomBytes(4).toString('hex')}`
  const admin = postgres(server.href, { max: 1, onnotice: () => {} })
  await admin.unsafe(`create database ${name}`)
  server.pathname = `/${name}`
  return {
    environment: { DATABASE_URL: server.href },
    async drop() {
      await admin.unsafe(`drop database if exists ${name} with (force)`)
      await admin.end()
    },
  }
}
