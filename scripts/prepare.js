// Builds the typed client (dist/client) when this package is installed from git or packed, so `livechat-api/client`
// resolves in the project that installed it. An install without dev dependencies (`npm ci --omit=dev` for
// production) has no compiler and needs no client: it skips the build. Plain JavaScript: it runs before tsx.
import { spawnSync } from 'node:child_process'
import { createRequire } from 'node:module'

let compiler
try {
  compiler = createRequire(import.meta.url).resolve('typescript/bin/tsc')
} catch {
  console.log('livechat-api: no TypeScript compiler (dev dependencies omitted): the client is not built')
  process.exit(0)
}
const { status } = spawnSync(process.execPath, [compiler, '-p', 'tsconfig.client.json'], { stdio: 'inherit' })
process.exit(status ?? 1)
