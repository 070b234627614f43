import { join } from 'node:path'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import { pipelineStage } from '../platform/pipeline-stage.js'
import { projectRoot } from '../platform/project-root.js'

// openapi.yaml as JSON (`npm run generate`): the same document, read in a fraction of the time.
const specificationPath = join(projectRoot, 'generated', 'openapi.json')

type Operation = { description?: string; security?: Record<string, string[]>[] }
type Document = { paths: Record<string, Record<string, Operation>>; security?: Record<string, string[]>[] }

/**
 * Swagger UI shows scopes only for OAuth schemes, so the roles of each operation, which openapi.yaml
 * declares as the scopes of its bearerAuth requirement, are also written at the top of its description.
 */
function withRolesShown<Spec>(specification: Spec): Spec {
  const document = structuredClone(specification) as Document
  for (const pathItem of Object.values(document.paths)) {
    for (const operation of Object.values(pathItem)) {
      // Alternatives (with or without X-Tenant-ID, or a stream token) repeat the same roles.
      const roles = [...new Set((operation.security ?? document.security ?? []).flatMap((requirement) => requirement.bearerAuth ?? []))]
      const who = roles.length > 0 ? `**Roles:** ${roles.map((role) => `\`${role}\``).join(', ')}` : '**Roles:** none (public)'
      operation.description = [who, operation.description].filter(Boolean).join('\n\n')
    }
  }
  return document as Spec
}

/**
 * Serves the hand-written openapi.yaml (static mode, from its JSON copy) and Swagger UI at /docs. Its routes come
 * after every request hook, so they are timed, counted and rate-limited like the operations.
 */
export const docs = pipelineStage('docs', ['user-rate-limit', 'error-handler'], async (app) => {
  await app.register(swagger, {
    mode: 'static',
    specification: { path: specificationPath, baseDir: '', postProcessor: withRolesShown },
  })
  await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { persistAuthorization: true } })
})
