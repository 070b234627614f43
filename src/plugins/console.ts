import { existsSync } from 'node:fs'
import { join } from 'node:path'
import fastifyStatic from '@fastify/static'
import { pipelineStage } from '../platform/pipeline-stage.js'
import { projectRoot } from '../platform/project-root.js'

const consoleDirectory = join(projectRoot, 'web', 'dist')

/**
 * The agent console (web/, built by `npm run build` or `npm run console:build`) at /console. Its file names
 * carry a content hash, so they may be cached for good; index.html is asked for anew each time. Like the docs, it
 * comes after every request hook.
 */
export const agentConsole = pipelineStage('console', ['user-rate-limit', 'error-handler'], async (app) => {
  app.get('/console', (_request, reply) => reply.redirect('/console/'))
  if (!existsSync(join(consoleDirectory, 'index.html'))) {
    app.get('/console/*', (_request, reply) =>
      reply.code(404).type('text/plain; charset=utf-8').send('The console is not built: run `npm run console:build` (or `npm run build`), then restart.\n'),
    )
    return
  }
  await app.register(fastifyStatic, {
    root: consoleDirectory,
    prefix: '/console/',
    // @fastify/swagger-ui registers this plugin too; one reply decorator is enough.
    decorateReply: false,
    cacheControl: false,
    setHeaders: (reply, path) => {
      reply.header('Cache-Control', path.startsWith(join(consoleDirectory, 'assets')) ? 'public, max-age=31536000, immutable' : 'no-cache')
      reply.header('X-Content-Type-Options', 'nosniff')
    },
  })
})
