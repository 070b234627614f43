// Writes what docs/ takes from the code: the table of settings in docs/operations.md, from src/config.ts.
import { readFileSync, writeFileSync } from 'node:fs'
import { withEnvironmentTable } from './docs/environment-table.js'

const operations = new URL('../docs/operations.md', import.meta.url)
writeFileSync(operations, withEnvironmentTable(readFileSync(operations, 'utf8')))
console.log('docs/operations.md: environment table written from src/config.ts')
