import type { ChatSession, Schema } from '@livechat-api/client'
import { useEffect } from 'preact/hooks'
import { LoadMore } from '../feedback'
import type { Live } from '../live'
import { usePagedList } from '../paged-list'
import { formatDateTime } from '../text'
import type { ChatSide } from './sides'

/**
 * The sessions a side sees, newest first, kept current by the stream: new sessions appear, closed, queued and
 * assigned ones change, and messages from others count as unread until their session is opened.
 */
export function useSessions(side: ChatSide, live: Live, me: number, openId: string | undefined) {
  const { items: sessions, setItems: setSessions, moreLeft, loadMore, problem } = usePagedList(side.sessions, [side])

  const remember = (added: ChatSession) => setSessions((shown) => (shown.some((session) => session.id === added.id) ? shown : [added, ...shown]))
  const update = (id: string, change: (session: ChatSession) => ChatSession) =>
    setSessions((shown) => shown.map((session) => (session.id === id ? change(session) : session)))
  // A chat asked for by a tenant user reaches this side first as queued or assigned, never as opened.
  const changedOrAdded = (change: Schema<'ChatSessionChange'>) =>
    setSessions((shown) =>
      shown.some((session) => session.id === change.id)
        ? shown.map((session) => (session.id === change.id ? { ...session, ...change } : session))
        : [{ unread_count: 0, ...change }, ...shown],
    )

  live.useListener(
    (event) => {
      if (event.type === 'session.opened' || event.type === 'session.queued' || event.type === 'session.assigned') {
        changedOrAdded(event.session)
      } else if (event.type === 'session.closed') {
        update(event.session_id, (session) => ({ ...session, ...event.session }))
      } else if (event.type === 'message.created' && event.message.sender_id !== me && event.session_id !== openId) {
        update(event.session_id, (session) => ({ ...session, unread_count: session.unread_count + 1 }))
      }
    },
    [me, openId],
  )

  // Opening a session reads it (the conversation moves the read position).
  useEffect(() => {
    if (openId) update(openId, (session) => ({ ...session, unread_count: 0 }))
  }, [openId])

  return { sessions, moreLeft, loadMore, problem, update, remember, changedOrAdded }
}

type ListProps = {
  sessions: ChatSession[]
  openId: string | undefined
  onOpen: (id: string) => void
  moreLeft: boolean
  onMore: () => void
}

// A session closed while queued never had an agent.
const holderOf = (session: ChatSession) =>
  session.status === 'QUEUED' ? `Number ${session.queue_position} in the queue` : session.agent_id === null ? 'No agent' : `Agent ${session.agent_id}`

export function SessionList({ sessions, openId, onOpen, moreLeft, onMore }: ListProps) {
  if (sessions.length === 0) return <p class="empty">No sessions yet.</p>
  return (
    <>
      <ul class="session-list" aria-label="Sessions">
        {sessions.map((session) => (
          <li key={session.id}>
            <button type="button" aria-current={session.id === openId} onClick={() => onOpen(session.id)}>
              <span>
                Session <code>{session.id.slice(-8)}</code>
              </span>
              <span class={`status status-${session.status.toLowerCase()}`}>{session.status}</span>
              {session.unread_count > 0 && (
                <span class="badge">
                  {session.unread_count}
                  <span class="visually-hidden"> unread</span>
                </span>
              )}
              <small>
                {holderOf(session)} · {formatDateTime(session.created_at)}
              </small>
            </button>
          </li>
        ))}
      </ul>
      <LoadMore left={moreLeft} what="sessions" onMore={onMore} />
    </>
  )
}
