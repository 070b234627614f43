/** What one item of a batch came to: its result, or the error it alone fails with. */
export type Outcome<Result> = { ok: true; value: Result } | { ok: false; error: unknown }

export type GroupCommitOptions<Item, Result> = {
  /** Items with the same key may share a transaction. */
  keyOf: (item: Item) => number | string
  maxBatchSize: number
  /** Batches of one key written at the same time: while they are, new items wait and form the next batch. */
  maxBatchesInFlight: number
  /** Longest an item may wait for its batch to start; then it fails with `waitedTooLong()` and is not written. */
  maxWaitMs: number
  waitedTooLong: () => Error
  /** Writes the items in one transaction; resolves once it has committed, with each item's outcome in order. */
  write: (items: Item[]) => Promise<Outcome<Result>[]>
  /** Whether a failed batch would fail the same way item by item (the database is unavailable), so is not split. */
  failsEveryItem: (error: unknown) => boolean
}

type Pending<Item, Result> = { item: Item; arrivedAt: number; resolve: (value: Result) => void; reject: (error: unknown) => void }

/**
 * Group commit: items that arrive while `maxBatchesInFlight` batches of their key are being written wait for
 * one to end and are then written together, in arrival order, in one transaction with one commit. An item
 * arriving when its key has room is written at once, so a lone request waits for nobody, and under load the
 * batches grow by themselves. Each item is answered after its batch commits. An item that waited longer than
 * `maxWaitMs` fails unwritten, as a query waiting that long for a pool connection would, so that nothing
 * is written after its request was answered 503. When a batch fails as a whole, its items are written again
 * one by one, so one bad item fails alone.
 */
export function createGroupCommit<Item, Result>(options: GroupCommitOptions<Item, Result>) {
  const { keyOf, maxBatchSize, maxBatchesInFlight, maxWaitMs, waitedTooLong, write, failsEveryItem } = options
  type Lane = { waiting: Pending<Item, Result>[]; inFlight: number }
  const lanes = new Map<number | string, Lane>()

  /** Answers an item with its outcome; a writer that gave none for it fails it. */
  function settle(pending: Pending<Item, Result>, outcome: Outcome<Result> | undefined): void {
    if (outcome?.ok) pending.resolve(outcome.value)
    else pending.reject(outcome ? outcome.error : new Error('The batch writer gave no outcome for this item'))
  }

  /** Writes the batch and settles each of its items once, whatever `write` does. */
  async function writeBatch(batch: Pending<Item, Result>[]): Promise<void> {
    let outcomes: Outcome<Result>[]
    try {
      outcomes = await write(batch.map((pending) => pending.item))
    } catch (error) {
      if (batch.length === 1 || failsEveryItem(error)) return batch.forEach((pending) => pending.reject(error))
      return writeOneByOne(batch)
    }
    batch.forEach((pending, index) => settle(pending, outcomes[index]))
  }

  /** After a batch failed: each item alone, until the database itself fails, which fails the rest at once. */
  async function writeOneByOne(batch: Pending<Item, Result>[]): Promise<void> {
    for (const [index, pending] of batch.entries()) {
      try {
        settle(pending, (await write([pending.item]))[0])
      } catch (error) {
        pending.reject(error)
        if (failsEveryItem(error)) return batch.slice(index + 1).forEach((rest) => rest.reject(error))
      }
    }
  }

  /** The next batch of the lane; those that waited too long are failed, unwritten. */
  function nextBatch(lane: Lane): Pending<Item, Result>[] {
    const oldestAllowed = Date.now() - maxWaitMs
    while (lane.waiting.length > 0 && lane.waiting[0].arrivedAt < oldestAllowed) lane.waiting.shift()!.reject(waitedTooLong())
    return lane.waiting.splice(0, maxBatchSize)
  }

  /** Starts batches of the key while it has items waiting and room in flight; forgets an idle key. */
  function pump(key: number | string, lane: Lane): void {
    while (lane.inFlight < maxBatchesInFlight) {
      const batch = nextBatch(lane)
      if (batch.length === 0) break
      lane.inFlight++
      const done = () => {
        lane.inFlight--
        pump(key, lane)
      }
      writeBatch(batch).then(done, (error: unknown) => {
        batch.forEach((pending) => pending.reject(error))
        done()
      })
    }
    if (lane.inFlight === 0 && lane.waiting.length === 0) lanes.delete(key)
  }

  return {
    submit(item: Item): Promise<Result> {
      return new Promise((resolve, reject) => {
        const key = keyOf(item)
        let lane = lanes.get(key)
        if (!lane) lanes.set(key, (lane = { waiting: [], inFlight: 0 }))
        lane.waiting.push({ item, arrivedAt: Date.now(), resolve, reject })
        pump(key, lane)
      })
    },
  }
}
