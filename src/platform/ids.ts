import { randomFillSync } from 'node:crypto'
import { v7 } from 'uuid'

// uuid's v7 draws its 16 random bytes through WebCrypto for every id, which costs more than the rest of the
// id (4 % of a send's CPU, profiled); they come from a pool refilled 256 ids at a time instead. uuid keeps ids
// increasing only when it draws the bytes itself, so its rule is kept here: a new millisecond starts the
// counter at random, the same millisecond adds one, and an overflowing counter borrows the next millisecond.
const pool = new Uint8Array(16 * 256)
let taken = pool.length
const clock = { msecs: -Infinity, seq: 0 }

/** A new UUIDv7: time-ordered, and increasing within this process even within one millisecond. */
export function newId(): string {
  if (taken === pool.length) {
    randomFillSync(pool)
    taken = 0
  }
  const random = pool.subarray(taken, (taken += 16))
  const now = Date.now()
  if (now > clock.msecs) {
    clock.msecs = now
    clock.seq = ((random[6] & 0x7f) << 24) | (random[7] << 16) | (random[8] << 8) | random[9]
  } else {
    clock.seq = (clock.seq + 1) | 0
    if (clock.seq === 0) clock.msecs++
  }
  return v7({ random, msecs: clock.msecs, seq: clock.seq })
}
