/** What one item of a batch came to: its result, or the error it alone fails with. */
export type Outcome<Result> = { ok: true; value: Result } | { ok: false; error: unknown }

type Options<Item, Result> = {
  /** Items with the same key may share a transaction, and one batch per key is written at a time. */
  keyOf: (item: Item) => number | string
  maxBatchSize: number
  /** Writes the items in one transaction; resolves once it has committed, with each item's outcome in order. */
  write: (items: Item[]) => Promise<Outcome<Result>[]>
  /** Whether a failed batch would fail the same way item by item (the database is unavailable), so is not split. */
  failsEveryItem: (error: unknown) => boolean
}

type Pending<Item, Result> = { item: Item; resolve: (value: Result) => void; reject: (error: unknown) => void }

/**
 * Group commit: items that arrive while a batch of their key is being written wait for it to end and are
 * then written together, in arrival order, in one transaction with one commit. An item arriving when its
 * key is idle is written at once, so a lone request waits for nobody, and under load the batches grow by
 * themselves. Each item is answered after its batch commits. When a batch fails as a whole, its items are
 * written again one by one, so one bad item fails alone.
 */
export function createGroupCommit<Item, Result>({ keyOf, maxBatchSize, write, failsEveryItem }: Options<Item, Result>) {
  const waiting = new Map<number | string, Pending<Item, Result>[]>()

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

  /** Writes the key's batches until none is waiting; the queue stays in `waiting` while this runs. */
  async function drain(key: number | string, queue: Pending<Item, Result>[]): Promise<void> {
    while (queue.length > 0) await writeBatch(queue.splice(0, maxBatchSize))
    waiting.delete(key)
  }

  return {
    submit(item: Item): Promise<Result> {
      return new Promise((resolve, reject) => {
        const key = keyOf(item)
        const queue = waiting.get(key)
        if (queue) return void queue.push({ item, resolve, reject })
        const started = [{ item, resolve, reject }]
        waiting.set(key, started)
        void drain(key, started)
      })
    },
  }
}
