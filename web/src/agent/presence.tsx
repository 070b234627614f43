import type { LivechatClient } from '@livechat-api/client'
import { useEffect, useRef, useState } from 'preact/hooks'
import { Problem } from '../feedback'
import { failureText } from '../text'

/**
 * The agent's presence: ONLINE from sign-in, renewed while the page is open (the agent's open event stream
 * renews it too), OFFLINE when the agent says so or signs out.
 */
export function PresenceToggle({ client }: { client: LivechatClient }) {
  const [online, setOnline] = useState(true)
  const [problem, setProblem] = useState<string>()
  // Each ONLINE spell starts once the last one has set OFFLINE, so a quick off-and-on cannot end OFFLINE.
  const lastSpell = useRef<Promise<void>>(Promise.resolve())
  useEffect(() => {
    if (!online) return
    const stop = new AbortController()
    setProblem(undefined)
    lastSpell.current = lastSpell.current
      .then(() => (stop.signal.aborted ? undefined : client.stayOnline(stop.signal)))
      .then(
        () => undefined,
        (error: unknown) => {
          setProblem(failureText(error))
          setOnline(false)
        },
      )
    return () => stop.abort()
  }, [client, online])

  return (
    <div class="presence">
      <span class={`dot ${online ? 'dot-online' : 'dot-offline'}`} aria-hidden="true" />
      <span role="status" aria-label="Presence">
        {online ? 'ONLINE' : 'OFFLINE'}
      </span>
      <button type="button" onClick={() => setOnline(!online)}>
        {online ? 'Go offline' : 'Go online'}
      </button>
      <Problem text={problem} />
    </div>
  )
}
