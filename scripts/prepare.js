// Builds what the source tree does not hold: the client package (packages/client/dist), so `@livechat-api/client`
// packs and `livechat-api/client` resolves in a project that installed this package from git or a tarball, and the
// console (web/dist) that /console serves.
// An install without dev dependencies (`npm ci --omit=dev`) has neither compiler: it skips both, and
// `npm run build` is where a production build makes them. Plain JavaScript: it runs before tsx.
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'

// npm runs this in the package's directory, where `npm install` of its dev dependencies put them.
const tsc = 'node_modules/typescript/bin/tsc'
const vite = 'node_modules/vite/bin/vite.js'
if (!existsSync(tsc) || !existsSync(vite)) {
  console.log('livechat-api: dev dependencies omitted: the client and the console are not built (npm run build builds them)')
  process.exit(0)
}
const run = (...args) => spawnSync(process.execPath, args, { stdio: 'inherit' }).status ?? 1
process.exit(run(tsc, '-p', 'packages/client') || run(vite, 'build', '--config', 'web/vite.config.ts', '--logLevel', 'warn'))
