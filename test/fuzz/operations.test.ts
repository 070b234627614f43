import fc from 'fast-check'
import t from 'tap'
import { databaseKinds, onEachDatabase } from '../helpers/test-app.js'
import { operations } from './openapi-operations.js'
import { everyOperationRequest, type FuzzRequest } from './request-arbitraries.js'
import { responseProblems } from './response-problems.js'
import { seedFuzzWorld } from './seed-world.js'
import { sendRequest } from './send-request.js'

// A fixed seed, so CI sends the same requests every time; FUZZ_SEED and FUZZ_RUNS explore further.
const seed = Number(process.env.FUZZ_SEED ?? 20_250_607)
const numRuns = Number(process.env.FUZZ_RUNS ?? 3000)
// Requests take a few milliseconds each; more runs than the default need more than the file's 300 s.
t.setTimeout(Math.max(300_000, numRuns * 40 * databaseKinds.length))

/** Statuses seen per operation, printed so a run shows it reached successes as well as refusals. */
function statusTable(statuses: Map<string, Map<number, number>>): string {
  return operations
    .map(({ operationId }) => {
      const seen = [...(statuses.get(operationId) ?? new Map<number, number>())].sort(([a], [b]) => a - b)
      return `${operationId.padEnd(28)} ${seen.map(([status, count]) => `${status}×${count}`).join(' ')}`
    })
    .join('\n')
}

// Generated requests for every operation of openapi.yaml, valid and not, against two seeded tenants.
onEachDatabase(t, async (t, context) => {
  const world = await seedFuzzWorld(t, context)
  const statuses = new Map<string, Map<number, number>>()
  async function problemsOf(request: FuzzRequest): Promise<string[]> {
    const response = await sendRequest(context, request)
    const seen = statuses.get(request.operation.operationId) ?? new Map<number, number>()
    statuses.set(request.operation.operationId, seen.set(response.status, (seen.get(response.status) ?? 0) + 1))
    return responseProblems(request, response, world)
  }
  const requests = everyOperationRequest(world)
  // Several at once: different requests, or one sent several times, as retries racing each other send it.
  const batches = fc.oneof(
    fc.array(requests, { minLength: 2, maxLength: 6 }),
    fc.tuple(requests, fc.integer({ min: 2, max: 6 })).map(([request, copies]) => Array.from({ length: copies }, () => request)),
  )
  t.comment(`FUZZ_SEED=${seed} FUZZ_RUNS=${numRuns}`)
  async function holds<T>(name: string, property: fc.IAsyncProperty<T>, runs: number): Promise<void> {
    const started = Date.now()
    try {
      // On failure the message holds the counterexample, the seed and path to replay it, and what was wrong.
      await fc.assert(property, { seed, numRuns: runs, includeErrorInReport: true })
      t.pass(`${name}: no 5xx, every status documented, every body as openapi.yaml says, nothing of tenant B`)
    } catch (error) {
      t.fail(`${name}: fast-check found a counterexample`, { report: (error as Error).message })
    }
    t.comment(`${name} on ${context.kind}: ${Date.now() - started} ms`)
  }
  await holds(
    `${numRuns} requests one by one`,
    fc.asyncProperty(requests, async (request) => {
      const problems = await problemsOf(request)
      if (problems.length > 0) throw new Error(problems.join('\n'))
    }),
    numRuns,
  )
  const batchRuns = Math.ceil(numRuns / 10)
  await holds(
    `${batchRuns} batches of concurrent requests`,
    fc.asyncProperty(batches, async (batch) => {
      const problems = (await Promise.all(batch.map(problemsOf))).flatMap((found, index) => found.map((problem) => `request ${index}: ${problem}`))
      if (problems.length > 0) throw new Error(problems.join('\n'))
    }),
    batchRuns,
  )
  t.comment(statusTable(statuses))
  const neverSucceeded = operations.filter(({ operationId }) => ![...(statuses.get(operationId)?.keys() ?? [])].some((status) => status < 300))
  t.same(
    neverSucceeded.map(({ operationId }) => operationId),
    [],
    'every operation answered a success at least once',
  )
})
