import t from 'tap'
import { createGroupCommit, type Outcome } from '../../src/platform/group-commit.js'

// The batching itself, with a writer that records what it was given: no database is involved in the rule
// tested here (which items share a batch, in which order, and who fails). The database side is in
// test/modules/livechat/concurrent-sends.test.ts.

type Item = { key: number; value: string }

type Recording = {
  maxBatchSize?: number
  maxWaitMs?: number
  fail?: (items: Item[]) => Error | undefined
  unavailable?: (error: Error) => boolean
  /** Outcomes the writer leaves out, by item value. */
  forget?: string
}

function recordingGroupCommit(options: Recording = {}) {
  const batches: string[][] = []
  let release: (() => void) | undefined
  const groupCommit = createGroupCommit<Item, string>({
    keyOf: (item) => item.key,
    maxBatchSize: options.maxBatchSize ?? 100,
    maxBatchesInFlight: 1,
    maxWaitMs: options.maxWaitMs ?? 60_000,
    waitedTooLong: () => new Error('waited too long'),
    async write(items) {
      batches.push(items.map((item) => item.value))
      // The first batch is held open until the test releases it, so that others arrive meanwhile.
      if (batches.length === 1) await new Promise<void>((resolve) => (release = resolve))
      const failure = options.fail?.(items)
      if (failure) throw failure
      return items
        .filter((item) => item.value !== options.forget)
        .map((item): Outcome<string> => (item.value.startsWith('refused') ? { ok: false, error: new Error(`no ${item.value}`) } : { ok: true, value: item.value.toUpperCase() }))
    },
    failsEveryItem: (error) => options.unavailable?.(error as Error) ?? false,
  })
  return { groupCommit, batches, release: () => release?.() }
}

const settled = (promises: Promise<string>[]) =>
  Promise.all(promises.map((promise) => promise.then((value) => `ok ${value}`, (error: Error) => `failed ${error.message}`)))

t.test('a lone item is written at once; those arriving meanwhile form the next batch, in arrival order', async (t) => {
  const { groupCommit, batches, release } = recordingGroupCommit()
  const first = groupCommit.submit({ key: 1, value: 'a' })
  await new Promise((resolve) => setImmediate(resolve))
  t.same(batches, [['a']], 'the first item did not wait for company')
  const later = ['b', 'c', 'd'].map((value) => groupCommit.submit({ key: 1, value }))
  release()
  t.same(await settled([first, ...later]), ['ok A', 'ok B', 'ok C', 'ok D'], 'each is answered with its own result')
  t.same(batches, [['a'], ['b', 'c', 'd']])
})

t.test('keys are batched apart and do not wait for each other', async (t) => {
  const { groupCommit, batches, release } = recordingGroupCommit()
  const held = groupCommit.submit({ key: 1, value: 'a' })
  const other = await groupCommit.submit({ key: 2, value: 'x' })
  t.equal(other, 'X', 'key 2 was written while key 1 was still held')
  release()
  await held
  t.same(batches, [['a'], ['x']])
})

t.test('batches are cut at maxBatchSize', async (t) => {
  const { groupCommit, batches, release } = recordingGroupCommit({ maxBatchSize: 2 })
  const all = ['a', 'b', 'c', 'd', 'e'].map((value) => groupCommit.submit({ key: 1, value }))
  release()
  await settled(all)
  t.same(batches, [['a'], ['b', 'c'], ['d', 'e']])
})

t.test('an item refused by the writer fails alone', async (t) => {
  const { groupCommit, release } = recordingGroupCommit()
  const all = ['a', 'b', 'refused-c', 'd'].map((value) => groupCommit.submit({ key: 1, value }))
  release()
  t.same(await settled(all), ['ok A', 'ok B', 'failed no refused-c', 'ok D'])
})

t.test('a batch that fails as a whole is written again item by item, so only the bad item fails', async (t) => {
  const { groupCommit, batches, release } = recordingGroupCommit({ fail: (items) => (items.some((item) => item.value === 'poison') ? new Error('poisoned') : undefined) })
  const first = groupCommit.submit({ key: 1, value: 'a' })
  const later = ['b', 'poison', 'c'].map((value) => groupCommit.submit({ key: 1, value }))
  release()
  t.same(await settled([first, ...later]), ['ok A', 'ok B', 'failed poisoned', 'ok C'])
  t.same(batches, [['a'], ['b', 'poison', 'c'], ['b'], ['poison'], ['c']])
})

t.test('when the database is unavailable a failed batch is not split: every item gets the error once', async (t) => {
  const { groupCommit, batches, release } = recordingGroupCommit({ fail: () => new Error('database away'), unavailable: () => true })
  const all = ['a', 'b', 'c'].map((value) => groupCommit.submit({ key: 1, value }))
  release()
  t.same(await settled(all), ['failed database away', 'failed database away', 'failed database away'])
  t.same(batches, [['a'], ['b', 'c']])
})

t.test('a split batch stops at the first failure of the database: the rest fail at once, unwritten', async (t) => {
  let away = false
  const { groupCommit, batches, release } = recordingGroupCommit({
    fail: (items) => (items.length > 1 ? new Error('bad batch') : away || items[0].value === 'c' ? ((away = true), new Error('database away')) : undefined),
    unavailable: (error) => error.message === 'database away',
  })
  const first = groupCommit.submit({ key: 1, value: 'a' })
  const later = ['b', 'c', 'd', 'e'].map((value) => groupCommit.submit({ key: 1, value }))
  release()
  t.same(await settled([first, ...later]), ['ok A', 'ok B', 'failed database away', 'failed database away', 'failed database away'])
  t.same(batches, [['a'], ['b', 'c', 'd', 'e'], ['b'], ['c']], 'd and e were not tried')
})

t.test('an item that waited longer than maxWaitMs fails unwritten', async (t) => {
  const { groupCommit, batches, release } = recordingGroupCommit({ maxWaitMs: 50 })
  const first = groupCommit.submit({ key: 1, value: 'a' })
  const stale = groupCommit.submit({ key: 1, value: 'b' })
  await new Promise((resolve) => setTimeout(resolve, 80))
  const fresh = groupCommit.submit({ key: 1, value: 'c' })
  release()
  t.same(await settled([first, stale, fresh]), ['ok A', 'failed waited too long', 'ok C'])
  t.same(batches, [['a'], ['c']], 'b was never written')
})

t.test('an item the writer gave no outcome for fails, the others are answered, nothing is written twice', async (t) => {
  const { groupCommit, batches, release } = recordingGroupCommit({ forget: 'c' })
  const all = ['a', 'b', 'c'].map((value) => groupCommit.submit({ key: 1, value }))
  release()
  t.same(await settled(all), ['ok A', 'ok B', 'failed The batch writer gave no outcome for this item'])
  t.same(batches, [['a'], ['b', 'c']])
})
