import { readFileSync } from 'node:fs'
import t from 'tap'
import { ConfigSchema } from '../../../src/config.js'
import { environmentTable, withEnvironmentTable } from '../../../scripts/docs/environment-table.js'

// Issue 15: "operations with the environment table generated from the config schema and checked in CI".
const operations = readFileSync(new URL('../../../docs/operations.md', import.meta.url), 'utf8')

t.test('docs/operations.md holds the table npm run docs writes from src/config.ts', async (t) => {
  t.equal(withEnvironmentTable(operations), operations, 'the table is current: run npm run docs and commit')
})

t.test('the table has one row per setting, with its default and description', async (t) => {
  const rows = environmentTable()
    .split('\n')
    .filter((line) => line.startsWith('| `'))
  t.same(
    rows.map((row) => /^\| `([A-Z_]+)`/.exec(row)?.[1]),
    Object.keys(ConfigSchema.properties),
  )
  t.ok(rows.includes('| `PORT` | `3000` | HTTP port. |'), 'a default is shown as code')
  t.ok(rows.some((row) => row.startsWith('| `DATABASE_URL` | unset |')), 'a setting without a default is unset')
})

t.test('a changed description makes the committed table stale', async (t) => {
  const stale = operations.replace('| HTTP port. |', '| The port. |')
  t.not(stale, operations)
  t.not(withEnvironmentTable(stale), stale)
})
