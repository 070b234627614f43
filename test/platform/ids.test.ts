import t from 'tap'
import { validate, version } from 'uuid'
import { newId } from '../../src/platform/ids.js'

// Message ids break ties in message order (contract: ascending by created_at), so ids made by one process must
// increase even within one millisecond, across the refills of the random pool (256 ids each).
t.test('ids are UUIDv7, unique and strictly increasing, thousands per millisecond included', async (t) => {
  const ids = Array.from({ length: 50_000 }, () => newId())
  t.equal(ids.filter((id) => !validate(id) || version(id) !== 7).length, 0, 'every id is a valid UUIDv7')
  t.equal(new Set(ids).size, ids.length, 'no id twice')
  const outOfOrder = ids.findIndex((id, index) => index > 0 && !(ids[index - 1] < id))
  t.equal(outOfOrder, -1, 'each id sorts after the one before')
  t.ok(ids.length / new Set(ids.map((id) => id.slice(0, 13))).size > 1, 'several ids shared a millisecond, so the counter was exercised')
})

t.test('the time in an id is now', async (t) => {
  const before = Date.now()
  const id = newId()
  const millis = parseInt(id.replace(/-/g, '').slice(0, 12), 16)
  t.ok(millis >= before && millis <= Date.now() + 1, 'the first 48 bits are the creation time in milliseconds')
})
