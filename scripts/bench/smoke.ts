// Every benchmark in its smoke mode (--smoke: tiny sizes, a few seconds each), one after another, so that none
// can stop working unnoticed: CI runs this after its build. All run even when one fails, so one failure does not
// hide another; the exit status is non-zero when any failed. Needs what the benchmarks need: dist/ (`npm run
// bench:smoke` builds it first), PostgreSQL and pgbench for `npm run bench` (DATABASE_URL's server, else the
// local one); the others use DATABASE_URL's server when set, else PGlite.
//   npm run bench:smoke
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { performance } from 'node:perf_hooks'

/** Each benchmark by its npm script, with the arguments of its smoke run; --profile keeps the profile's reading working too. */
const benchmarks: [script: string, file: string, args: string[]][] = [
  ['bench:pagination', 'pagination.ts', []],
  ['bench:messages', 'messages.ts', []],
  ['bench:notifications', 'notifications.ts', []],
  ['bench:stream', 'stream.ts', []],
  ['bench:start', 'start.ts', []],
  ['bench', 'run.ts', ['--profile']],
]
/** Longest one smoke run may take before it is stopped and counted as failed: a hang must not hold CI. */
const timeoutSeconds = 180

let running: number | undefined
/** Each benchmark runs in a process group of its own, with the servers it starts: stopped whole. */
function stopGroup(leader: number | undefined) {
  try {
    if (leader !== undefined) process.kill(-leader, 'SIGKILL')
  } catch {
    // The group is gone already.
  }
}
const stopRunning = () => stopGroup(running)
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    stopRunning()
    process.exit(1)
  })
}

const results: { script: string; seconds: number; outcome: string }[] = []
for (const [script, file, args] of benchmarks) {
  console.log(`\n== ${script} --smoke`)
  const started = performance.now()
  const child = spawn(process.execPath, ['--import', 'tsx', new URL(file, import.meta.url).pathname, '--smoke', ...args], {
    stdio: 'inherit',
    detached: true,
  })
  running = child.pid
  let timedOut = false
  const timer = setTimeout(() => {
    timedOut = true
    stopRunning()
  }, timeoutSeconds * 1000)
  const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null]
  clearTimeout(timer)
  // What is left of its group goes with it: a server that a failed run did not stop must not outlive it.
  stopGroup(child.pid)
  running = undefined
  const outcome = timedOut ? `failed: still running after ${timeoutSeconds} s` : code === 0 ? 'ok' : `failed: exit ${code ?? signal}`
  results.push({ script, seconds: (performance.now() - started) / 1000, outcome })
}

console.log('\n| benchmark | smoke run | outcome |\n|---|---|---|')
for (const { script, seconds, outcome } of results) console.log(`| npm run ${script} | ${seconds.toFixed(1)} s | ${outcome} |`)
const failed = results.filter((result) => result.outcome !== 'ok')
if (failed.length > 0) {
  console.error(`\n${failed.length} of ${results.length} benchmarks failed their smoke run: ${failed.map((result) => result.script).join(', ')}`)
  process.exit(1)
}
