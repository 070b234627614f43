import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { parse } from 'yaml'

// Issue 15: "every error envelope gains a `code` string … listed as an enum in openapi.yaml with what each means, one
// per cause". The compiler keeps the service to the enum (ErrorCode is the generated type); this keeps the enum to
// the service: no code is listed that nothing sends, and each is explained once in the table a reader sees.
const document = parse(readFileSync(new URL('../../openapi.yaml', import.meta.url), 'utf8'))
const errorCode = document.components.schemas.ErrorCode as { enum: string[]; description: string }

function sourcesUnder(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => readFileSync(join(entry.parentPath, entry.name), 'utf8'))
}
const serviceSource = sourcesUnder(new URL('../../src', import.meta.url).pathname).join('\n')

t.test('ErrorResponse requires a code from the ErrorCode enum', async (t) => {
  const errorResponse = document.components.schemas.ErrorResponse
  t.ok(errorResponse.required.includes('code'), 'code is required')
  t.same(errorResponse.properties.code, { $ref: '#/components/schemas/ErrorCode' })
  t.equal(new Set(errorCode.enum).size, errorCode.enum.length, 'no code is listed twice')
})

t.test('every code of the enum is sent by the service', async (t) => {
  for (const code of errorCode.enum) t.ok(serviceSource.includes(`'${code}'`), `${code} appears in src/`)
})

t.test("every code has one row in the enum's table, with its status and meaning", async (t) => {
  const rows = [...errorCode.description.matchAll(/^\| `([A-Z_]+)` \| (\d{3}) \| (.+) \|$/gm)]
  t.same(
    rows.map((row) => row[1]),
    errorCode.enum,
    'the table lists the codes in the order of the enum',
  )
  for (const [, code, , meaning] of rows) t.ok(meaning!.trim().length > 10, `${code} says what it means`)
})
