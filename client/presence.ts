import { ApiError } from './calls.js'
import type { LivechatClient } from './livechat-client.js'
import { pause } from './transport.js'

// Renewed at a third of the time left, so one lost renewal still leaves time for the next.
const minRenewMs = 1000

/**
 * ONLINE lapses after the API's presence time-to-live unless renewed (an open agent event stream also renews
 * it). This renews it before `online_until`, and sets OFFLINE when `signal` aborts. A refused call throws.
 */
export async function stayOnline(client: Pick<LivechatClient, 'PUT'>, signal: AbortSignal): Promise<void> {
  while (!signal.aborted) {
    const result = await client.PUT('/livechat/agents/me/presence', { body: { status: 'ONLINE' }, signal })
    if (!result.ok) throw new ApiError(result)
    const leftMs = Date.parse(result.data.online_until ?? '') - Date.now()
    await pause(Math.max(minRenewMs, (leftMs || 0) / 3), signal).catch(() => undefined)
  }
  await client.PUT('/livechat/agents/me/presence', { body: { status: 'OFFLINE' } })
}
