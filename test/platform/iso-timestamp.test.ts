import t from 'tap'
import { isoTimestamp } from '../../src/platform/database.js'

// Timestamps read as text (db.execute) are turned into the API's ISO form without parsing a Date when they are
// in UTC. The result must be exactly what `new Date(text).toISOString()` gives, for any fraction length.
t.test('equals Date parsing for PostgreSQL text timestamps, UTC or not', async (t) => {
  const samples = ['2026-11-27 13:25:19.825999+00', '2026-11-27 13:25:19.8+00', '2026-11-27 13:25:19+00', '2026-11-27 20:25:19.123456+07', '2026-11-27 13:25:19.5+05:30']
  for (let i = 0; i < 2000; i++) {
    const text = new Date(Date.UTC(2000, 0, 1) + Math.floor(Math.random() * 1e12)).toISOString().replace('T', ' ').slice(0, 19)
    const fraction = String(Math.floor(Math.random() * 1e6)).padStart(6, '0').slice(0, 1 + (i % 6))
    samples.push(`${text}${i % 7 === 0 ? '' : `.${fraction}`}+00`)
  }
  const mismatches = samples.filter((sample) => isoTimestamp(sample) !== new Date(sample).toISOString())
  t.same(mismatches, [], `${samples.length} samples`)
})
