import { readFileSync } from 'node:fs'
import t from 'tap'
import { parse } from 'yaml'
import { buildTestApp } from '../helpers/test-app.js'

type Operation = { operationId: string; description?: string; security?: Record<string, string[]>[] }
const written = parse(readFileSync(new URL('../../openapi.yaml', import.meta.url), 'utf8'))

t.test('Swagger UI serves openapi.yaml as written, with each operation naming its roles', async (t) => {
  const { app } = await buildTestApp(t, 'pglite')
  const page = await app.inject({ method: 'GET', url: '/docs/' })
  t.equal(page.statusCode, 200)
  t.match(page.headers['content-type'], /text\/html/)

  const served = (await app.inject({ method: 'GET', url: '/docs/json' })).json()
  t.same(Object.keys(served.paths), Object.keys(written.paths), 'the same paths')
  t.same(served.components, written.components, 'the same components')
  for (const [path, pathItem] of Object.entries(written.paths as Record<string, Record<string, Operation>>)) {
    for (const [method, operation] of Object.entries(pathItem)) {
      const shown: Operation = served.paths[path][method]
      const roles = [...new Set((operation.security ?? []).flatMap((requirement) => requirement.bearerAuth ?? []))]
      const line = roles.length > 0 ? `**Roles:** ${roles.map((role) => `\`${role}\``).join(', ')}` : '**Roles:** none (public)'
      t.ok(shown.description?.startsWith(line), `${operation.operationId}: ${line}`)
      if (operation.description) t.ok(shown.description?.endsWith(operation.description), `${operation.operationId}: its own description follows`)
      t.same(shown.security, operation.security, `${operation.operationId}: security unchanged`)
    }
  }
})
