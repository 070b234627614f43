// Measures how long the compiled service takes to start: `node dist/server.js` (no TypeScript loader),
// from spawn until /health/ready answers 200, on a fresh database; the first start applies the migrations.
//   npm run bench:start -- [--starts 5] [--smoke]
// `npm run bench:start` builds dist/ first; run directly, the script needs dist/ there. --smoke: 2 starts (CI
// runs it so, to keep the benchmark working).
// PostgreSQL when DATABASE_URL is set (a fresh database on its server, dropped afterwards), else PGlite in
// a temporary directory. The target is under 2 s against PostgreSQL.
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { access } from 'node:fs/promises'
import { performance } from 'node:perf_hooks'
import { parseArgs } from 'node:util'
import { freePort } from '../server-process.js'
import { freshBenchDatabase } from './bench-database.js'

const { values } = parseArgs({ options: { starts: { type: 'string' }, smoke: { type: 'boolean', default: false } } })
const starts = Number(values.starts ?? (values.smoke ? 2 : 5))
const compiledServer = new URL('../../dist/server.js', import.meta.url).pathname

/** Milliseconds from spawning the server until /health/ready is 200; the server is stopped afterwards. */
async function timeOneStart(environment: Record<string, string>): Promise<number> {
  const port = await freePort()
  const started = performance.now()
  const server = spawn(process.execPath, [compiledServer], {
    // No loader: NODE_OPTIONS could carry tsx's hooks from `npm run`.
    env: { ...process.env, NODE_OPTIONS: '', HOST: '127.0.0.1', PORT: String(port), JWT_SECRET: randomBytes(32).toString('hex'), LOG_LEVEL: 'warn', ...environment },
    stdio: ['ignore', 'inherit', 'inherit'],
  })
  try {
    for (;;) {
      if (server.exitCode !== null) throw new Error(`the server exited with ${server.exitCode}`)
      const ready = await fetch(`http://127.0.0.1:${port}/health/ready`).then(
        (response) => response.status === 200,
        () => false,
      )
      if (ready) return performance.now() - started
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
  } finally {
    const exited = once(server, 'exit')
    server.kill('SIGTERM')
    await exited
  }
}

await access(compiledServer).catch(() => {
  console.error('dist/ is missing: run `npm run build` first')
  process.exit(2)
})
const database = await freshBenchDatabase()
try {
  const times: number[] = []
  for (let start = 0; start < starts; start++) times.push(await timeOneStart(database.environment))
  const [first, ...later] = times
  const sorted = [...later].sort((a, b) => a - b)
  console.log(`database: ${process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite'}`)
  console.log(`first start (applies the migrations): ${first.toFixed(0)} ms`)
  if (sorted.length > 0) {
    console.log(`later starts: median ${sorted[Math.floor(sorted.length / 2)].toFixed(0)} ms, max ${sorted.at(-1)!.toFixed(0)} ms (${sorted.map((ms) => ms.toFixed(0)).join(', ')})`)
  }
} finally {
  await database.drop()
}
