import { ApiError, type Call } from './calls.js'
import { isTransient } from './error-codes.js'
import { pause } from './transport.js'

/** The client's `PUT`, all this needs: typed here, not imported from livechat-client.ts, which imports this file. */
type PresenceClient = { PUT: Call<'put'> }

const minRenewMs = 1000
const retryMs = 5000

/**
 * ONLINE lapses after the API's presence time-to-live unless renewed (an open agent event stream also renews
 * it). This sets ONLINE and renews it at a third of the time left, so one lost renewal still leaves time for the
 * next; a failure of the network or the API is retried, a refusal (the token, the tenant, the role) throws.
 * When `signal` aborts, or on a refusal, it sets OFFLINE.
 */
export async function stayOnline(client: PresenceClient, signal: AbortSignal): Promise<void> {
  try {
    while (!signal.aborted) {
      await pause(await renew(client, signal), signal).catch(() => undefined)
    }
  } finally {
    // Best effort: the page may be closing, and an agent left ONLINE lapses after the TTL anyway.
    await client.PUT('/livechat/agents/me/presence', { body: { status: 'OFFLINE' } }).catch(() => undefined)
  }
}

/** Sets ONLINE once; answers how long to wait before the next renewal. */
async function renew(client: PresenceClient, signal: AbortSignal): Promise<number> {
  try {
    const result = await client.PUT('/livechat/agents/me/presence', { body: { status: 'ONLINE' }, signal })
    if (result.ok) {
      // Both times are the API's, so a wrong clock here changes nothing.
      const leftMs = Date.parse(result.data.online_until ?? '') - Date.parse(result.meta.timestamp)
      return Math.max(minRenewMs, (leftMs || 0) / 3)
    }
    if (!isTransient(result.code) && result.code !== 'INTERNAL_ERROR') throw new ApiError(result)
    return retryMs
  } catch (error) {
    if (error instanceof ApiError) throw error
    return retryMs
  }
}
