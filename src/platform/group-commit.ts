/** What one item of a batch came to: its result, or the error it alone fails with. */
export type Outcome<Result> = { ok: true; value: Result } | { ok: false; error: unknown }

type Options<Item, Result> = {
  /** Items with the same key may share a transaction. */
  keyOf: (item: Item) => number | string
  maxBatchSize: number
  /** Batches of one key written at the same time: while they are, new items wait and form the next batch. */
  maxBatchesInFlight: number
  /** Writes the items in one transaction; resolves once it has committed, with each item's outcome in order. */
  write: (items: Item[]) => Promise<Outcome<Result>[]>
  /** Whether a failed batch would fail the same way item by item (the database is unavailable), so is not split. */
  failsEveryItem: (error: unknown) => boolean
}

type Pending<Item, Result> = { item: Item; resolve: (value: Result) => void; reject: (error: unknown) => void }

/**
 * Group commit: items that arrive while `maxBatchesInFlight` batches of their key are being written wait for
 * one to end and are then written together, in arrival order, in one transaction with one commit. An item
 * arriving when its key has room is written at once, so a lone request waits for nobody, and under load the
 * batches grow by themselves. Each item is answered after its batch commits. When a batch fails as a whole, its items are
 * written again one by one, so one bad item fails alone.
 */
export function createGroupCommit<Item, Result>({ keyOf, maxBatchSize, maxBatchesInFlight, write, failsEveryItem }: Options<Item, Result>) {
  type Lane = { waiting: Pending<Item, Result>[]; inFlight: number }
  const lanes = new Map<number | string, Lane>()

  function settle(pending: Pending<Item, Result>, outcome: Outcome<Result>): void {
    if (outcome.ok) pending.resolve(outcome.value)
    else pending.reject(outcome.error)
  }

  async function writeBatch(batch: Pending<Item, Result>[]): Promise<void> {
    try {
      const outcomes = await write(batch.map((pending) => pending.item))
      batch.forEach((pending, index) => settle(pending, outcomes[index]))
    } catch (error) {
      if (batch.length === 1 || failsEveryItem(error)) return batch.forEach((pending) => pending.reject(error))
      for (const pending of batch) await writeBatch([pending])
    }
  }

  /** Starts batches of the key while it has items waiting and room in flight; forgets an idle key. */
  function pump(key: number | string, lane: Lane): void {
    while (lane.waiting.length > 0 && lane.inFlight < maxBatchesInFlight) {
      lane.inFlight++
      void writeBatch(lane.waiting.splice(0, maxBatchSize)).then(() => {
        lane.inFlight--
        pump(key, lane)
      })
    }
    if (lane.inFlight === 0) lanes.delete(key)
  }

  return {
    submit(item: Item): Promise<Result> {
      return new Promise((resolve, reject) => {
        const key = keyOf(item)
        let lane = lanes.get(key)
        if (!lane) lanes.set(key, (lane = { waiting: [], inFlight: 0 }))
        lane.waiting.push({ item, resolve, reject })
        pump(key, lane)
      })
    },
  }
}
