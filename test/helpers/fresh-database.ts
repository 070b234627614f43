import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import postgres from 'postgres'
import type { Test } from 'tap'

/**
 * A new, empty database on the server DATABASE_URL names, dropped when `t` ends; made as test-app.ts makes
 * its own. Returns the URL of the new database.
 */
export async function freshPostgresDatabase(t: Test, serverUrl = process.env.DATABASE_URL): Promise<string> {
  if (!serverUrl) throw new Error('freshPostgresDatabase needs DATABASE_URL')
  const url = new URL(serverUrl)
  const name = `livechat_test_${randomBytes(6).toString('hex')}`
  const admin = postgres(url.href, { max: 1, onnotice: () => {} })
  await admin.unsafe(`create database ${name}`)
  t.teardown(async () => {
    await admin.unsafe(`drop database if exists ${name} with (force)`)
    await admin.end()
  })
  url.pathname = `/${name}`
  return url.href
}

/** A new, empty directory for an on-disk PGlite database, removed when `t` ends. */
export async function freshDataDir(t: Test): Promise<string> {
  const directory = await mkdtemp(join(tmpdir(), 'livechat-test-'))
  t.teardown(() => rm(directory, { recursive: true, force: true }))
  return join(directory, 'data')
}
