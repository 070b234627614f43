/**
 * At most one `typing` per user and session per interval is forwarded. Counted on this instance: behind a
 * load balancer that spreads one user's calls, each instance forwards its own one per interval.
 */
export function createTypingLimiter(intervalMilliseconds: number) {
  const lastForwarded = new Map<string, number>()
  return {
    admit(tenantId: number, sessionId: string, userId: number): boolean {
      const key = `${tenantId}:${sessionId}:${userId}`
      const time = Date.now()
      const last = lastForwarded.get(key)
      if (last !== undefined && time - last < intervalMilliseconds) return false
      // Entries older than the interval decide nothing; drop them before the map grows large.
      if (lastForwarded.size >= 10_000) {
        for (const [other, at] of lastForwarded) if (time - at >= intervalMilliseconds) lastForwarded.delete(other)
      }
      lastForwarded.set(key, time)
      return true
    },
  }
}
