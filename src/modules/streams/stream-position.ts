import type { Side } from '../event-log/stream-event.js'

/**
 * Where a stream stands: for each tenant it covers, the number of the last event it has passed. It is
 * the SSE `id:` of every stored event, so it may name several tenants. Clients treat it as opaque; it
 * names the stream's side and user, so an id from someone else's stream is recognised and refused.
 * Form: `a12:3-41,7-0` (agent 12; tenant 3 at event 41, tenant 7 at 0).
 */
export type StreamPosition = { side: Side; userId: number; seqByTenant: Map<number, number> }

const pattern = /^([ac])([1-9][0-9]{0,9}):([1-9][0-9]{0,9}-(?:0|[1-9][0-9]{0,14})(?:,[1-9][0-9]{0,9}-(?:0|[1-9][0-9]{0,14}))*)$/

export function formatPosition(position: StreamPosition): string {
  const tenants = [...position.seqByTenant].sort(([a], [b]) => a - b)
  return `${position.side === 'agent' ? 'a' : 'c'}${position.userId}:${tenants.map(([tenant, seq]) => `${tenant}-${seq}`).join(',')}`
}

/** `undefined` when the text is not a position this service wrote. */
export function parsePosition(text: string): StreamPosition | undefined {
  const match = pattern.exec(text.trim())
  if (!match) return undefined
  const seqByTenant = new Map<number, number>()
  for (const pair of match[3].split(',')) {
    const [tenant, seq] = pair.split('-').map(Number)
    if (seqByTenant.has(tenant) || !Number.isSafeInteger(seq)) return undefined
    seqByTenant.set(tenant, seq)
  }
  return { side: match[1] === 'a' ? 'agent' : 'tenant', userId: Number(match[2]), seqByTenant }
}
