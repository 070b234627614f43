import type { TSchema } from '@sinclair/typebox'
import { ConfigSchema } from '../../src/config.js'

export const tableStart = '<!-- environment-table: written by `npm run docs` from src/config.ts; edit the descriptions there -->'
export const tableEnd = '<!-- /environment-table -->'

const defaultOf = (setting: TSchema): string =>
  setting.default === undefined || setting.default === '' ? 'unset' : `\`${String(setting.default)}\``

/** The settings of the service as a Markdown table: name, default and description, from the config schema. */
export function environmentTable(): string {
  const rows = Object.entries(ConfigSchema.properties).map(([name, setting]: [string, TSchema]) => {
    if (!setting.description) throw new Error(`src/config.ts: ${name} has no description for docs/operations.md`)
    return `| \`${name}\` | ${defaultOf(setting)} | ${setting.description} |`
  })
  return [tableStart, '| variable | default | meaning |', '|---|---|---|', ...rows, tableEnd].join('\n')
}

/** `document` with its generated table replaced by the current one. */
export function withEnvironmentTable(document: string): string {
  const start = document.indexOf(tableStart)
  const end = document.indexOf(tableEnd)
  if (start < 0 || end < start) throw new Error(`docs/operations.md has no ${tableStart} … ${tableEnd} block`)
  return document.slice(0, start) + environmentTable() + document.slice(end + tableEnd.length)
}
