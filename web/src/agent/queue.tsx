import type { ChatSession, LivechatClient } from '@livechat-api/client'
import { useEffect, useRef, useState } from 'preact/hooks'
import { Problem } from '../feedback'
import type { Live } from '../live'
import { failureText, formatTime } from '../text'
import { assignmentRefusalText } from './assignment-refusal'

type Props = { client: LivechatClient; live: Live; onTaken: (session: ChatSession) => void }

// A queued chat reaches no agent's stream (`session.queued` goes to its requester alone), so the queue is asked
// for again this often, besides after every session event the agent hears.
const queuePollMs = 3000
const shownAtMost = 20

/** The tenant's queue, first in line first, each chat with a Take button. */
export function Queue({ client, live, onTaken }: Props) {
  const [queue, setQueue] = useState<ChatSession[]>([])
  const [moreWaiting, setMoreWaiting] = useState(false)
  const [problem, setProblem] = useState<string>()
  // Shown beside the chat it concerns, for as long as that chat is in the queue.
  const [refusal, setRefusal] = useState<{ sessionId: string; text: string }>()
  // A poll and an event may ask at once: only the latest answer is shown.
  const latest = useRef(0)

  async function refresh() {
    const asked = ++latest.current
    try {
      const listed = await client.GET('/livechat/sessions', { params: { query: { status: 'QUEUED', limit: shownAtMost } } })
      if (asked !== latest.current) return
      if (!listed.ok) return setProblem(failureText(listed))
      setQueue(listed.data)
      setMoreWaiting(listed.meta.pagination.has_next)
      setProblem(undefined)
    } catch (error) {
      if (asked === latest.current) setProblem(failureText(error))
    }
  }

  useEffect(() => {
    void refresh()
    const timer = setInterval(() => void refresh(), queuePollMs)
    return () => clearInterval(timer)
  }, [client])

  live.useListener((event) => {
    if (event.type.startsWith('session.')) void refresh()
  }, [])

  async function take(id: string) {
    setRefusal(undefined)
    const taken = await client.POST('/livechat/sessions/{id}/assign', { params: { path: { id } } })
    void refresh()
    if (!taken.ok) return setRefusal({ sessionId: id, text: assignmentRefusalText(taken) })
    onTaken(taken.data)
  }

  return (
    <section class="queue" aria-label="Queue">
      <h2>Queue</h2>
      <Problem text={problem} />
      {queue.length === 0 ? (
        <p class="empty">Nobody is waiting.</p>
      ) : (
        <ol class="queue-list" aria-label="Queued chats">
          {queue.map((session) => (
            <li key={session.id}>
              <span>
                {session.queue_position}. User {session.requester_id} <small>since {formatTime(session.created_at)}</small>
              </span>
              <button type="button" onClick={() => void take(session.id)}>
                Take
              </button>
              <Problem text={refusal?.sessionId === session.id ? refusal.text : undefined} />
            </li>
          ))}
        </ol>
      )}
      {moreWaiting && <p class="hint">More are waiting after these.</p>}
    </section>
  )
}
