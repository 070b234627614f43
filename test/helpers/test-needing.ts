import type { Test } from 'tap'

/**
 * `t.test(name, body)` for a test that needs something `npm test` cannot bring itself and `.ci/run` provides (a
 * PostgreSQL server in DATABASE_URL, Redis, a built dist/); `missing` says why it is absent, false when present.
 * Without `CI` such a test is skipped with that reason, so the summary counts it; under `CI` it fails with it, so
 * a run cannot pass by skipping what it is there to prove. (Chromium: browser.ts.)
 */
export function testNeeding(t: Test, name: string, missing: string | false, body: (t: Test) => Promise<void>): void {
  if (!missing) void t.test(name, body)
  else if (!process.env.CI) void t.test(name, { skip: missing }, body)
  else void t.test(name, async (t) => void t.fail(`CI is set, so this is a failure, not a skip: ${missing}`))
}
